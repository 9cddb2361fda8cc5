import type { SiteFile } from '../../domain/site-schema.ts';
import { hashpriceAt, type ChainDay } from '../../market/chain-history.ts';
import type { PriceSeries } from '../../market/price-series.ts';
import { evaluatePlan, type Evaluation } from '../dispatch/evaluate.ts';
import { solveDispatch } from '../dispatch/plan.ts';
import { dispatchSettings, siteDispatchInput } from '../site-input.ts';
import { informationFor, type Information } from './information.ts';
import { rollingScheduler } from './rolling.ts';
import { alwaysMine, strikeRule, type StrikeRuleParams } from './strategies.ts';

/**
 * Replays a price history against the site: the scheduler (rolling, information-limited),
 * always mining, the strike-price rule, and perfect foresight (one MILP over the whole period
 * with every price known — the upper bound). All four are priced by the same evaluator on the
 * realised prices and hashprice.
 *
 * capturedRatio = (margin − alwaysMine) / (perfectForesight − alwaysMine): the share of the
 * value of flexibility a strategy captured (always mining 0, perfect foresight 1). A plain
 * margin ratio would mislead here: in a week like Uri every margin can be negative.
 */

export interface BacktestOptions {
  site: SiteFile;
  prices: PriceSeries;
  chain: ChainDay[];
  information?: Information;
  strike?: StrikeRuleParams;
  horizonHours?: number;
  timeLimitS?: number;
}

export interface StrategyResult {
  marginUsd: number;
  capturedRatio: number | null;
  miningRevenueUsd: number;
  aiRevenueUsd: number;
  energyCostUsd: number;
  restartCostUsd: number;
  restarts: number;
  curtailedMwh: number;
  /** Rules the strategy broke (min on/off times, ramps); empty when it ran within them. */
  violations: string[];
}

export interface BacktestResult {
  scheduler: StrategyResult;
  alwaysMine: StrategyResult;
  strikeRule: StrategyResult;
  perfectForesight: StrategyResult;
}

export interface BacktestMeta {
  startMs: number;
  endMs: number;
  intervals: number;
  intervalMinutes: number;
  settlementPoint: string;
  information: Information;
  strike: StrikeRuleParams;
  horizonIntervals: number;
  schedulerDecisions: number;
  schedulerSolveMs: number;
  shortHorizons: number;
  /** Fees per block over the backtest's days: from chain data, or a stated assumption. */
  fees: { chainDays: number; assumedDays: number; assumedFeesPerBlockBtc: number | null };
}

export async function runBacktest(o: BacktestOptions): Promise<{ result: BacktestResult; meta: BacktestMeta }> {
  const hashprice = (ms: number) => hashpriceAt(o.chain, ms);
  const intervalMinutes = o.prices.intervalMinutes;
  const truth = siteDispatchInput(o.site, { prices: o.prices.intervals, hashprice, intervalMinutes, intervalCount: o.prices.intervals.length }).input;
  const information = o.information ?? informationFor(o.prices);
  const strike = o.strike ?? { curtailAfter: 1, resumeAfter: 1 };
  const horizonIntervals = Math.round(((o.horizonHours ?? dispatchSettings(o.site).horizonHours) * 60) / intervalMinutes);
  const timeLimitS = o.timeLimitS ?? 30;

  const perfect = await solveDispatch(truth, { timeLimitS: Math.max(timeLimitS, 120) });
  const rolling = await rollingScheduler({ site: o.site, truth, prices: o.prices.intervals, hashprice, information, horizonIntervals, timeLimitS });
  const evals = {
    scheduler: evaluatePlan(truth, rolling.schedules),
    alwaysMine: evaluatePlan(truth, alwaysMine(truth)),
    strikeRule: evaluatePlan(truth, strikeRule(truth, strike)),
    perfectForesight: perfect.evaluation,
  };
  const floor = evals.alwaysMine.totals.marginUsd;
  const top = evals.perfectForesight.totals.marginUsd;
  const summary = (e: Evaluation): StrategyResult => ({
    marginUsd: e.totals.marginUsd,
    capturedRatio: top - floor > 1e-6 ? (e.totals.marginUsd - floor) / (top - floor) : null,
    miningRevenueUsd: e.totals.miningRevenueUsd,
    aiRevenueUsd: e.totals.aiRevenueUsd,
    energyCostUsd: e.totals.energyCostUsd,
    restartCostUsd: e.totals.restartCostUsd,
    restarts: e.totals.restarts,
    curtailedMwh: e.totals.curtailedMwh,
    violations: e.violations,
  });
  const step = intervalMinutes * 60_000;
  return {
    result: {
      scheduler: summary(evals.scheduler),
      alwaysMine: summary(evals.alwaysMine),
      strikeRule: summary(evals.strikeRule),
      perfectForesight: summary(evals.perfectForesight),
    },
    meta: {
      startMs: truth.intervals[0]!.startMs,
      endMs: truth.intervals[truth.intervals.length - 1]!.startMs + step,
      intervals: truth.intervals.length,
      intervalMinutes,
      settlementPoint: o.prices.settlementPoint,
      information,
      strike,
      horizonIntervals,
      schedulerDecisions: rolling.decisions,
      schedulerSolveMs: rolling.solveMsTotal,
      shortHorizons: rolling.shortHorizons,
      fees: feesUsed(o.chain, truth.intervals[0]!.startMs, truth.intervals[truth.intervals.length - 1]!.startMs + step),
    },
  };
}


/** How the days a backtest covers got their fees per block: chain data or the stated fallback. */
export function feesUsed(chain: readonly ChainDay[], fromMs: number, toMs: number): BacktestMeta['fees'] {
  const days = chain.filter((d) => d.dayStartMs + 86_400_000 > fromMs && d.dayStartMs < toMs);
  const assumed = days.filter((d) => d.feesSource === 'assumed');
  return { chainDays: days.length - assumed.length, assumedDays: assumed.length, assumedFeesPerBlockBtc: assumed[0]?.feesPerBlockBtc ?? null };
}
