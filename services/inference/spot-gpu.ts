import { ContextError } from '../lib/errors.ts';

/**
 * Uncontracted GPU capacity on a spot GPU market: given an hourly $/GPU-hour price series and
 * what one more GPU-hour costs the operator (energy at the block's power price with facility
 * overhead, plus per-hour operating cost), offer the hours whose price covers that cost.
 * Depreciation is sunk for GPUs already installed, so it is not part of the offer decision.
 * Pure; prices come in as [epoch ms, USD per GPU-hour].
 */
export interface SpotInputs {
  prices: ReadonlyArray<readonly [number, number]>;
  gpus: number;
  /** Power per GPU including its share of the host, W. */
  powerPerGpuW: number;
  overheadFactor: number;
  powerPriceUsdPerMwh: number;
  opexUsdPerGpuHour: number;
  /** Share of offered GPU-hours the market takes, 0..1 (default 1). */
  fillRate?: number;
}

export interface SpotPlan {
  marginalCostUsdPerGpuHour: number;
  hours: number;
  offeredHours: number;
  gpuHoursSold: number;
  revenueUsd: number;
  costUsd: number;
  marginUsd: number;
  /** Per hour: offered or not. */
  schedule: Array<{ atMs: number; priceUsdPerGpuHour: number; offer: boolean }>;
}

export function planSpot(i: SpotInputs): SpotPlan {
  if (!(i.gpus >= 0) || !Number.isInteger(i.gpus)) throw new ContextError('E_SPOT_INPUT', `spot GPUs must be a whole number ≥ 0 (got ${i.gpus})`);
  const fill = i.fillRate ?? 1;
  if (!(fill >= 0 && fill <= 1)) throw new ContextError('E_SPOT_INPUT', `fill rate must be 0..1 (got ${fill})`);
  const energy = (i.powerPerGpuW * i.overheadFactor * i.powerPriceUsdPerMwh) / 1e6;
  const marginal = energy + i.opexUsdPerGpuHour;
  const schedule = i.prices.map(([atMs, price]) => {
    if (!Number.isFinite(price)) throw new ContextError('E_SPOT_INPUT', `spot price at ${new Date(atMs).toISOString()} is not a number`);
    return { atMs, priceUsdPerGpuHour: price, offer: price >= marginal };
  });
  let revenue = 0;
  let sold = 0;
  for (const h of schedule) {
    if (!h.offer) continue;
    const gh = i.gpus * fill;
    sold += gh;
    revenue += gh * h.priceUsdPerGpuHour;
  }
  const cost = sold * marginal;
  return { marginalCostUsdPerGpuHour: marginal, hours: schedule.length, offeredHours: schedule.filter((h) => h.offer).length, gpuHoursSold: sold, revenueUsd: revenue, costUsd: cost, marginUsd: revenue - cost, schedule };
}

/** `timestamp,price_usd_per_gpu_hour` CSV (ISO or epoch ms); a bad row is an error naming its line. */
export function parseSpotCsv(text: string, what: string): Array<[number, number]> {
  const lines = text.split(/\r?\n/);
  const out: Array<[number, number]> = [];
  lines.forEach((line, n) => {
    const t = line.trim();
    if (t === '' || (n === 0 && /[a-z]/i.test(t.split(',')[1] ?? ''))) return;
    const [ts, p, extra] = t.split(',');
    const at = /^\d+$/.test(ts ?? '') ? Number(ts) : Date.parse(ts ?? '');
    const price = Number(p);
    if (extra !== undefined || !Number.isFinite(at) || p === undefined || p.trim() === '' || !Number.isFinite(price)) {
      throw new ContextError('E_SPOT_INPUT', `${what} line ${n + 1}: expected timestamp,price_usd_per_gpu_hour, got "${t.slice(0, 80)}"`);
    }
    out.push([at, price]);
  });
  return out;
}

/** GPUs of a block not sold under its contract (all of them when the block serves none). */
export function uncontractedGpus(site: { blocks: ReadonlyArray<{ id: string; contractId?: string; gpus: ReadonlyArray<{ count: number }> }>; contracts: ReadonlyArray<{ id: string; kind: string; gpuCount?: number }> }, blockId: string): number {
  const block = site.blocks.find((b) => b.id === blockId);
  if (block === undefined) return 0;
  const total = block.gpus.reduce((n, g) => n + g.count, 0);
  const contract = site.contracts.find((c) => c.id === block.contractId);
  if (contract === undefined) return total;
  if (contract.kind === 'colocation') return 0;
  return Math.max(0, total - (contract.gpuCount ?? 0));
}
