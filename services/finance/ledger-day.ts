import { curtailedByInterval } from '../curtailment/event-intervals.ts';
import type { EventRecord } from '../curtailment/event-record.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import { defaultCatalogs, summarizeBlock, type Catalogs } from '../domain/site.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Series, TelemetryHistory } from '../telemetry/history.ts';
import { contractDayRentUsd, powerCostOf } from './contracts.ts';
import { ledgerRow, type HourReading, type LedgerRow } from './ledger.ts';

/**
 * One day of the realised ledger for one site, from the telemetry history (hourly means of
 * block power_w and hashrate_hs), the price paid each hour, the day's hashprice and BTC price,
 * and the curtailment event records (credits, restarts). A day that has ended is final; the
 * current day is provisional and also gets one row per hour so far.
 */

export interface DayMarket {
  hashpriceUsdPerPhDay: number;
  btcPriceUsd: number | null;
}

export interface LedgerSources {
  site: SiteFile;
  history: TelemetryHistory;
  /** Spot price for the hour starting at hourMs, USD/MWh; undefined where none is known. */
  spotAt: (hourMs: number) => number | undefined;
  marketOn: (dayStartMs: number) => DayMarket;
  /** Curtailment records that may touch [fromMs, toMs). */
  events: (fromMs: number, toMs: number) => EventRecord[] | Promise<EventRecord[]>;
  catalogs?: Catalogs;
}

export interface LedgerDay {
  dayStartMs: number;
  status: 'final' | 'provisional';
  days: LedgerRow[];
  hours: LedgerRow[];
  /** Hours of the day with telemetry but no price: left out of energy cost, listed here. */
  unpricedHours: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Hourly means of block power_w and hashrate_hs, grouped by block (as the history answers). */
export interface DaySeries {
  power: Series[];
  hashrate: Series[];
}

/** The history's hourly block series over [fromMs, toMs): one query per field. */
export async function blockSeries(history: TelemetryHistory, fromMs: number, toMs: number): Promise<DaySeries> {
  const q = (field: string) => history.query({ measurement: 'block', field, groupBy: 'block', fromMs, toMs, stepMs: HOUR, aggregate: 'mean' });
  const [power, hashrate] = await Promise.all([q('power_w'), q('hashrate_hs')]);
  return { power, hashrate };
}

/** One day of a longer fetch (a backfill reads a week at a time). */
export function sliceDay(s: DaySeries, dayStartMs: number): DaySeries {
  const cut = (series: Series[]) => series.map((x) => ({ tags: x.tags, points: x.points.filter(([t]) => t >= dayStartMs && t < dayStartMs + DAY) }));
  return { power: cut(s.power), hashrate: cut(s.hashrate) };
}

export async function ledgerDay(src: LedgerSources, dayStartMs: number, nowMs: number, fetched?: DaySeries): Promise<LedgerDay> {
  const catalogs = src.catalogs ?? defaultCatalogs();
  const site = src.site;
  const settings = site.dispatch;
  const endMs = Math.min(dayStartMs + DAY, Math.floor(nowMs / HOUR) * HOUR + HOUR);
  const status = nowMs >= dayStartMs + DAY ? 'final' : 'provisional';
  const { power, hashrate } = fetched ?? (await blockSeries(src.history, dayStartMs, dayStartMs + DAY));
  const byBlock = (series: typeof power) => {
    const m = new Map<string, Map<number, number>>();
    for (const s of series) if (s.tags.block) m.set(s.tags.block, new Map(s.points));
    return m;
  };
  const powerBy = byBlock(power);
  const hashBy = byBlock(hashrate);

  // Price paid each hour: spot; under a PPA the site's whole energy bill for the hour over its
  // metered MWh — the PPA block is paid whether used or not, the unused part resold at spot less
  // the resale discount, load above it bought at spot — so every block pays the same blended price:
  //   bill = mw × ppa price − max(0, mw − load) × (spot − discount) + max(0, load − mw) × spot
  const siteMwAt = new Map<number, number>();
  for (const pts of powerBy.values()) for (const [at, w] of pts) siteMwAt.set(at, (siteMwAt.get(at) ?? 0) + w / 1e6);
  const ppa = settings?.ppa;
  // Spot once per hour of the day (every block pays the same price that hour).
  const spotByHour = new Map<number, number | undefined>();
  const spotAt = (at: number) => {
    const hour = Math.floor(at / HOUR) * HOUR;
    if (!spotByHour.has(hour)) spotByHour.set(hour, src.spotAt(hour));
    return spotByHour.get(hour);
  };
  const paidAt = (at: number): number | undefined => {
    const spot = spotAt(at);
    if (spot === undefined || !ppa) return spot;
    const load = siteMwAt.get(at) ?? 0;
    if (load <= 0) return spot;
    const bill = ppa.mw * ppa.priceUsdPerMwh - Math.max(0, ppa.mw - load) * (spot - (ppa.resaleDiscountUsdPerMwh ?? 0)) + Math.max(0, load - ppa.mw) * spot;
    return bill / load;
  };

  const { credits, restarts } = await eventMoney(src, site, dayStartMs, catalogs);
  const market = src.marketOn(dayStartMs);
  const contracts = new Map(site.contracts.map((c) => [c.id, c]));
  let unpriced = 0;
  const days: LedgerRow[] = [];
  const hours: LedgerRow[] = [];
  for (const b of site.blocks) {
    const readings: HourReading[] = [];
    for (const [at, w] of powerBy.get(b.id) ?? []) {
      if (at >= endMs) continue;
      const price = paidAt(at);
      if (price === undefined) {
        unpriced++;
        continue;
      }
      readings.push({ atMs: at, powerW: w, hashrateHs: hashBy.get(b.id)?.get(at) ?? null, priceUsdPerMwh: price });
    }
    readings.sort((x, y) => x.atMs - y.atMs);
    const contract = b.state === 'ai' && b.contractId ? contracts.get(b.contractId) : undefined;
    const share = contract ? contractShare(site, b.id, contract.id, catalogs) : 0;
    // A provisional day books the rent of the hours so far, like its energy; a closed day all of it.
    const dayRent = contract ? contractDayRentUsd(contract, dayStartMs) * share : 0;
    const rentSoFar = dayRent * Math.min(1, (endMs - dayStartMs) / DAY);
    const ai = (rentUsd: number) =>
      contract
        ? {
            contractId: contract.id,
            rentUsd,
            slaUptimePct: contract.slaUptimePct,
            slaCreditPctPerPoint: contract.kind === 'colocation' ? contract.slaCreditPctPerPoint : 5,
            passThrough: powerCostOf(contract) === 'pass-through',
          }
        : undefined;
    const common = { blockId: b.id, capacityMw: b.capacityMw, hashpriceUsdPerPhDay: market.hashpriceUsdPerPhDay, btcPriceUsd: market.btcPriceUsd, poolFee: site.site.poolFee };
    const aiDay = ai(rentSoFar);
    const credit = credits.get(b.id) ?? 0;
    const restart = restarts.get(b.id) ?? 0;
    // No telemetry and no money: no row. A block without readings is unknown, not a zero margin
    // (a zero row would also dilute the per-MW figures of every group it falls in).
    if (readings.length === 0 && rentSoFar === 0 && credit === 0 && restart === 0) continue;
    days.push(
      ledgerRow({
        ...common,
        startMs: dayStartMs,
        periodHours: 24,
        hours: readings,
        ...(aiDay ? { ai: aiDay } : {}),
        creditsUsd: credit,
        restartCostUsd: restart,
      }),
    );
    if (status === 'provisional') {
      for (const h of readings) {
        const aiHour = ai(dayRent / 24);
        hours.push(ledgerRow({ ...common, startMs: h.atMs, periodHours: 1, hours: [h], ...(aiHour ? { ai: aiHour } : {}), creditsUsd: 0, restartCostUsd: 0 }));
      }
    }
  }
  return { dayStartMs, status, days, hours, unpricedHours: unpriced };
}

/** Block's share of its contract: its block capacity over the capacity of all blocks on the contract. */
function contractShare(site: SiteFile, blockId: string, contractId: string, catalogs: Catalogs): number {
  const on = site.blocks.filter((b) => b.contractId === contractId && b.state === 'ai');
  const mw = (id: string) => summarizeBlock(site.blocks.find((b) => b.id === id)!, catalogs).itPowerW;
  const total = on.reduce((s, b) => s + mw(b.id), 0);
  return total > 0 ? mw(blockId) / total : 0;
}

/**
 * Credits and restart costs of the day's curtailment events, per block. Credit: curtailed MWh
 * (revenue meter, per hour) × the demand-response credit of the programs whose windows cover
 * the hour, split over blocks by the load each shed (expectedDeltaW). Restart: each block an
 * event restored that day pays restartCostUsdPerMw × its gross MW once.
 */
async function eventMoney(src: LedgerSources, site: SiteFile, dayStartMs: number, catalogs: Catalogs): Promise<{ credits: Map<string, number>; restarts: Map<string, number> }> {
  const credits = new Map<string, number>();
  const restarts = new Map<string, number>();
  const programs = site.dispatch?.demandResponse ?? [];
  const restartPerMw = site.dispatch?.restartCostUsdPerMw ?? 15;
  for (const r of await src.events(dayStartMs, dayStartMs + DAY)) {
    const shedW = new Map<string, number>();
    for (const d of r.devices) if (d.phase === 'shed' && d.expectedDeltaW < 0) shedW.set(d.blockId, (shedW.get(d.blockId) ?? 0) - d.expectedDeltaW);
    const totalShed = [...shedW.values()].reduce((a, b) => a + b, 0);
    if (r.baselineW !== null && totalShed > 0 && programs.length > 0) {
      let intervals;
      try {
        intervals = curtailedByInterval(r, 60);
      } catch (err) {
        throw new Error(`ledger: measuring curtailment event ${r.id}: ${errorMessage(err)}`, { cause: err });
      }
      for (const iv of intervals) {
        if (iv.startMs < dayStartMs || iv.startMs >= dayStartMs + DAY) continue;
        const rate = programs.filter((p) => Date.parse(p.start) < iv.endMs && Date.parse(p.end) > iv.startMs).reduce((s, p) => s + p.creditUsdPerMwh, 0);
        for (const [blockId, w] of shedW) credits.set(blockId, (credits.get(blockId) ?? 0) + iv.curtailedMwh * rate * (w / totalShed));
      }
    }
    const restored = new Set(r.devices.filter((d) => d.phase === 'restore' && d.outcome === 'acked' && d.sentAtMs >= dayStartMs && d.sentAtMs < dayStartMs + DAY).map((d) => d.blockId));
    for (const blockId of restored) {
      const b = site.blocks.find((x) => x.id === blockId);
      if (b) restarts.set(blockId, (restarts.get(blockId) ?? 0) + restartPerMw * (summarizeBlock(b, catalogs).grossPowerW / 1e6));
    }
  }
  return { credits, restarts };
}
