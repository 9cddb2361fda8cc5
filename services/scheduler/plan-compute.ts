import type { SiteFile } from '../domain/site-schema.ts';
import { hashpriceAt, type ChainDay } from '../market/chain-history.ts';
import type { PriceInterval } from '../market/price-series.ts';
import type { DispatchInput } from './dispatch/input.ts';
import type { DispatchPlan } from './dispatch/plan.ts';
import { solveSiteInput, type PlanReport } from './plan-report.ts';
import { dispatchSettings, siteDispatchInput } from './site-input.ts';
import type { SolverWorker } from './solver/solve.ts';

/**
 * One plan from the site and its market: build the dispatch input (with a what-if's changes),
 * solve it, report it. The scheduled plan runs it on the main thread; a preview runs it whole
 * on the preview worker (preview/), so building a 168 h model never blocks the API's loop.
 * Everything in a request is plain data (it crosses a thread by structured clone).
 */

export interface PreviewOverrides {
  hashpriceUsdPerPhDay?: number;
  /** Replaces the price for the intervals it covers. */
  prices?: { startMs: number; priceUsdPerMwh: number }[];
  /** Multiplies every price (e.g. 1.5 for a hot week). */
  priceScale?: number;
  importLimitMw?: number;
  horizonHours?: number;
  startMs?: number;
}

export interface PlanComputeRequest {
  site: SiteFile;
  /** The price file's intervals over the plan (planPrices), sorted; empty without a price file. */
  prices: readonly PriceInterval[];
  /** A fixed hashprice, USD/PH/day, or the chain history it is read from per interval. */
  hashprice: number | { chain: readonly ChainDay[] };
  overrides: PreviewOverrides;
  nowMs: number;
  /** Site meter load now, MW, where ramp limits start; null when unknown. */
  initialLoadMw: number | null;
  timeLimitS: number;
}

export interface PlanComputeResult {
  input: DispatchInput;
  plan: DispatchPlan;
  report: PlanReport;
}

/** Where the plan starts: the what-if's start, else now rounded down to the plan's interval. */
export function planStartMs(site: SiteFile, overrides: PreviewOverrides, nowMs: number): number {
  const step = dispatchSettings(site).intervalMinutes * 60_000;
  return overrides.startMs ?? Math.floor(nowMs / step) * step;
}

/**
 * The price intervals a plan from `startMs` can read (a year of 5-minute prices is 105k
 * intervals; a plan reads at most a week of them), so a request stays small to copy.
 */
export function planPrices(prices: readonly PriceInterval[], site: SiteFile, overrides: PreviewOverrides, nowMs: number): PriceInterval[] {
  const settings = dispatchSettings(site);
  const step = settings.intervalMinutes * 60_000;
  const startMs = Math.floor(planStartMs(site, overrides, nowMs) / step) * step;
  const endMs = startMs + (overrides.horizonHours ?? settings.horizonHours) * 3_600_000 + step;
  let lo = 0;
  let hi = prices.length - 1;
  // The last interval starting at or before the plan start: it may cover the first step.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (prices[mid]!.startMs <= startMs) lo = mid;
    else hi = mid - 1;
  }
  let end = lo;
  while (end < prices.length && prices[end]!.startMs < endMs) end++;
  return prices.slice(lo, end);
}

export async function computePlan(req: PlanComputeRequest, worker?: SolverWorker): Promise<PlanComputeResult> {
  const ov = req.overrides;
  const step = dispatchSettings(req.site).intervalMinutes * 60_000;
  const site: SiteFile = ov.importLimitMw !== undefined ? { ...req.site, site: { ...req.site.site, importLimitMw: ov.importLimitMw } } : req.site;
  const chain = typeof req.hashprice === 'number' ? null : req.hashprice.chain;
  const built = siteDispatchInput(site, {
    prices: req.prices,
    hashprice: ov.hashpriceUsdPerPhDay ?? (chain ? (ms: number) => hashpriceAt(chain, ms) : (req.hashprice as number)),
    startMs: planStartMs(req.site, ov, req.nowMs),
    ...(ov.horizonHours !== undefined ? { horizonHours: ov.horizonHours } : {}),
    ...(req.initialLoadMw !== null ? { initialLoadMw: req.initialLoadMw } : {}),
  });
  if (ov.priceScale !== undefined) for (const iv of built.input.intervals) iv.priceUsdPerMwh *= ov.priceScale;
  for (const p of ov.prices ?? []) {
    const iv = built.input.intervals.find((x) => x.startMs <= p.startMs && p.startMs < x.startMs + step);
    if (iv) iv.priceUsdPerMwh = p.priceUsdPerMwh;
  }
  const { plan, report } = await solveSiteInput(built, { timeLimitS: req.timeLimitS, createdAtMs: req.nowMs, ...(worker ? { worker } : {}) });
  return { input: built.input, plan, report };
}
