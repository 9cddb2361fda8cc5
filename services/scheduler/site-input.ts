import { check } from '../domain/schema.ts';
import { defaultCatalogs, summarizeBlock, type Catalogs } from '../domain/site.ts';
import { aiLoadItMw } from '../finance/ai-load.ts';
import { DispatchSettings, type Block, type Contract, type SiteFile } from '../domain/site-schema.ts';
import { contractRentUsdPerHour, contractTerm, powerCostOf } from '../finance/contracts.ts';
import { ContextError } from '../lib/errors.ts';
import { wallClock } from '../market/central-time.ts';
import type { PriceInterval } from '../market/price-series.ts';
import type { DispatchBlock, DispatchInput, DispatchInterval } from './dispatch/input.ts';

/**
 * A site file plus market data → the dispatch optimiser's input. Blocks mining (or curtailed)
 * with miners become mining blocks, one tranche per miner group; blocks serving an AI
 * contract become AI blocks; blocks being converted draw nothing and are listed as such.
 */

export interface SiteInputSources {
  /** Prices at the settlement point, sorted and contiguous (services/market). */
  prices: readonly PriceInterval[];
  /** Hashprice, USD/PH/day: a number, or a lookup by time (chain history). */
  hashprice: number | ((timeMs: number) => number);
  /** First interval's start; rounded down to the plan's interval. Default: the first price. */
  startMs?: number;
  /** Plan interval, minutes; default the site's dispatch.intervalMinutes (a backtest uses its prices'). */
  intervalMinutes?: number;
  /** Intervals to plan, or hours to plan; default the settings' horizon. */
  intervalCount?: number;
  horizonHours?: number;
  /** Meter load now, MW (live telemetry), where the ramp limits start. */
  initialLoadMw?: number;
  /** Override per block: running now or not (live telemetry); default from the block's state. */
  runningNow?: ReadonlyMap<string, boolean>;
}

export interface SiteInput {
  input: DispatchInput;
  settings: DispatchSettings;
  /** Intervals priced from the hour-of-day profile, not the price file. */
  profileIntervals: number;
  /** Blocks not in the plan, with why. */
  excluded: { blockId: string; reason: string }[];
}

export class DispatchInputError extends ContextError {
  constructor(message: string) {
    super('E_DISPATCH_INPUT', message);
    this.name = 'DispatchInputError';
  }
}

export function dispatchSettings(site: SiteFile): DispatchSettings {
  return site.dispatch ?? check(DispatchSettings, {}, 'dispatch defaults');
}

export function siteDispatchInput(site: SiteFile, sources: SiteInputSources, catalogs: Catalogs = defaultCatalogs()): SiteInput {
  const base = dispatchSettings(site);
  const settings = sources.intervalMinutes === undefined ? base : { ...base, intervalMinutes: sources.intervalMinutes as DispatchSettings['intervalMinutes'] };
  const step = settings.intervalMinutes * 60_000;
  const first = sources.startMs ?? sources.prices[0]?.startMs;
  if (first === undefined) throw new DispatchInputError('no prices: give a price file or dispatch.priceProfileUsdPerMwh in the site file');
  const startMs = Math.floor(first / step) * step;
  const wanted = sources.intervalCount ?? Math.round(((sources.horizonHours ?? settings.horizonHours) * 60) / settings.intervalMinutes);
  const intervals: DispatchInterval[] = [];
  let profileIntervals = 0;
  for (let t = 0; t < wanted; t++) {
    const at = startMs + t * step;
    let price = priceOver(sources.prices, at, step);
    if (price === undefined && settings.priceProfileUsdPerMwh) {
      price = settings.priceProfileUsdPerMwh[wallClock(at, site.site.timezone).getUTCHours()]!;
      profileIntervals++;
    }
    if (price === undefined) {
      if (t === 0) throw new DispatchInputError(`no price covers the plan start ${new Date(at).toISOString()} and the site has no dispatch.priceProfileUsdPerMwh`);
      break; // plan as far as the prices reach
    }
    const hashprice = typeof sources.hashprice === 'number' ? sources.hashprice : sources.hashprice(at);
    const iv: DispatchInterval = { startMs: at, priceUsdPerMwh: price, hashpriceUsdPerPhDay: hashprice };
    const credit = settings.demandResponse.filter((p) => overlaps(p.start, p.end, at, step)).reduce((s, p) => s + p.creditUsdPerMwh, 0);
    if (credit > 0) iv.creditUsdPerMwh = credit;
    if (settings.fourCpWindows.some((w) => overlaps(w.start, w.end, at, step))) iv.fourCp = true;
    intervals.push(iv);
  }

  const blocks: DispatchBlock[] = [];
  const excluded: SiteInput['excluded'] = [];
  const contracts = new Map(site.contracts.map((c) => [c.id, c]));
  const horizonHours = (intervals.length * settings.intervalMinutes) / 60;
  const endMs = startMs + intervals.length * step;
  for (const block of site.blocks) {
    const made = dispatchBlock(block, site, settings, contracts, catalogs, { startMs, endMs }, horizonHours, sources.runningNow?.get(block.id));
    if ('reason' in made) excluded.push({ blockId: block.id, reason: made.reason });
    else blocks.push(made);
  }
  if (blocks.length === 0) throw new DispatchInputError(`no block can be planned: ${excluded.map((e) => `${e.blockId} (${e.reason})`).join(', ')}`);
  const input: DispatchInput = {
    intervalMinutes: settings.intervalMinutes,
    intervals,
    site: {
      importLimitMw: site.site.importLimitMw,
      poolFee: site.site.poolFee,
      ...(settings.rampUpMwPerMin !== undefined ? { rampUpMwPerMin: settings.rampUpMwPerMin } : {}),
      ...(settings.rampDownMwPerMin !== undefined ? { rampDownMwPerMin: settings.rampDownMwPerMin } : {}),
      ...(sources.initialLoadMw !== undefined ? { initialLoadMw: sources.initialLoadMw } : {}),
      ...(settings.fourCpCapMw !== undefined ? { fourCpCapMw: settings.fourCpCapMw } : {}),
      ...(settings.ppa ? { ppa: { ...settings.ppa, resaleDiscountUsdPerMwh: settings.ppa.resaleDiscountUsdPerMwh ?? 0 } } : {}),
    },
    blocks,
  };
  return { input, settings, profileIntervals, excluded };
}

function dispatchBlock(
  block: Block,
  site: SiteFile,
  settings: DispatchSettings,
  contracts: ReadonlyMap<string, Contract>,
  catalogs: Catalogs,
  span: { startMs: number; endMs: number },
  horizonHours: number,
  runningNow: boolean | undefined,
): DispatchBlock | { reason: string } {
  const summary = summarizeBlock(block, catalogs);
  if (block.state === 'converting') return { reason: 'being converted; draws no plannable load' };
  if (block.state === 'ai') {
    if (!block.contractId) return { reason: 'state ai without a contractId' };
    const contract = contracts.get(block.contractId);
    if (!contract) return { reason: `contract ${block.contractId} is not in the site file` };
    const term = contractTerm(contract);
    // A hall whose contract is outside its term for the whole plan has no tenant: no rent, no load.
    if (term.endMs <= span.startMs || term.startMs >= span.endMs) {
      return { reason: `contract ${contract.id} is not in its term (${term.startDate} to ${term.endDate})` };
    }
    const fullItMw = aiLoadItMw(block, catalogs);
    if (fullItMw <= 0) return { reason: 'state ai with no GPUs installed' };
    const sharers = site.blocks.filter((b) => b.contractId === contract.id);
    const share = fullItMw / sharers.reduce((s, b) => s + aiLoadItMw(b, catalogs), 0);
    // Rent at the plan's first in-term instant: a plan spans hours, an escalator steps yearly.
    const rentAt = Math.max(span.startMs, term.startMs);
    const flex = contract.flexibility;
    const events = flex && flex.maxCurtailPct > 0 ? Math.ceil((flex.maxEventsPerMonth * horizonHours) / (30 * 24)) : 0;
    return {
      kind: 'ai',
      id: block.id,
      contractId: contract.id,
      overheadFactor: block.overheadFactor,
      fullItMw,
      floorItMw: flex ? fullItMw * (1 - flex.maxCurtailPct / 100) : fullItMw,
      maxCappedIntervals: Math.floor((events * settings.flexEventMinutes) / settings.intervalMinutes),
      revenueUsdPerHour: contractRentUsdPerHour(contract, rentAt) * share,
      revenueScalesWithLoad: contract.kind === 'gpu-cloud',
      termStartMs: term.startMs,
      termEndMs: term.endMs,
      energyPassThrough: powerCostOf(contract) === 'pass-through',
    };
  }
  if (block.miners.length === 0) return { reason: `state ${block.state} with no miners` };
  const segments = block.miners.map((g) => {
    const m = catalogs.asics.get(g.model)!;
    return { label: g.model, minItMw: (g.count * m.minPowerW) / 1e6, maxItMw: (g.count * m.powerW) / 1e6, efficiencyJPerTh: m.efficiencyJPerTh };
  });
  const minOn = Math.ceil(settings.minOnMinutes / settings.intervalMinutes);
  const minOff = Math.ceil(settings.minOffMinutes / settings.intervalMinutes);
  return {
    kind: 'mining',
    id: block.id,
    overheadFactor: block.overheadFactor,
    segments,
    sleepItMw: summary.minerSleepPowerW / 1e6,
    minOnIntervals: minOn,
    minOffIntervals: minOff,
    restartCostUsd: settings.restartCostUsdPerMw * (summary.grossPowerW / 1e6),
    // Without telemetry a block is taken to have been in its state long enough to change it.
    initial: { on: runningNow ?? block.state === 'mining', intervalsInState: Math.max(minOn, minOff) },
  };
}

/** Time-weighted mean price over [at, at + stepMs), or undefined if the prices do not cover it all. */
export function priceOver(prices: readonly PriceInterval[], at: number, stepMs: number): number | undefined {
  let lo = 0;
  let hi = prices.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (prices[mid]!.startMs <= at) lo = mid;
    else hi = mid - 1;
  }
  let covered = 0;
  let sum = 0;
  for (let i = lo; i < prices.length && covered < stepMs; i++) {
    const p = prices[i]!;
    const from = Math.max(p.startMs, at + covered);
    const to = Math.min(p.startMs + p.minutes * 60_000, at + stepMs);
    if (from !== at + covered) return undefined; // a hole, or the series starts after `at`
    if (to <= from) continue;
    sum += p.priceUsdPerMwh * (to - from);
    covered = to - at;
  }
  return covered >= stepMs ? sum / stepMs : undefined;
}

function overlaps(start: string, end: string, at: number, stepMs: number): boolean {
  return Date.parse(start) < at + stepMs && Date.parse(end) > at;
}
