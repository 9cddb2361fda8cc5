import { ContextError } from '../lib/errors.ts';
import { estimateBlockHeight, TARGET_BLOCKS_PER_DAY } from './block-height.ts';
import type { ChartPoint, ChartSeries } from './blockchain-com.ts';
import { BLOCK_INTERVAL_S, blockSubsidyBtc, HASHES_PER_DIFFICULTY, hashpriceUsdPerPhDay, HS_PER_PHS, networkHashrateHs } from './chain.ts';

/**
 * Daily chain history for hashprice backtests, from blockchain.com chart series.
 *
 * Day D (UTC midnight) takes each series' last sample at or before D's start, carried forward
 * as a step: never a later sample, never an interpolation towards one, so a backtest on day D
 * sees only what was published by then. (The exports stamp a date's value at 00:00 in summer and
 * at 23:00 the evening before in winter — a US-DST artefact; "at or before midnight" takes either
 * stamp as that day's value, with no day doubled or skipped.)
 *
 * A series covers D from its first sample until a day after its last; days are produced while
 * the market price and a difficulty source both cover them. Difficulty comes from the
 * difficulty chart where it covers D, else from the hash-rate chart as D = H × 600 / 2^32
 * (networkHashrateHs inverted), floored at 1, the protocol minimum.
 *
 * hashpriceUsdPerPhDay is always the formula value (chain.ts: difficulty, estimated subsidy,
 * fees per block, price), so it means the same thing on every day. Where a miners-revenue chart
 * covers D, realisedHashpriceUsdPerPhDay = revenue (USD/day) / network hashrate (PH/s) is given
 * beside it — what a PH/s actually earned, fees and block luck included; it is not preferred
 * because it exists only where the revenue chart does.
 */

export interface ChainHistoryInputs {
  /** market-price, USD/BTC. */
  marketPrice: ChartSeries;
  difficulty?: ChartSeries;
  /** hash-rate, H/s. */
  hashRate?: ChartSeries;
  /** miners-revenue, USD/day: gives realisedHashpriceUsdPerPhDay. */
  minersRevenue?: ChartSeries;
  /** transaction-fees, BTC/day: fees per block = daily fees / 144 where it covers the day. */
  transactionFees?: ChartSeries;
  /** Mean fees per block, BTC, for days no fee chart covers (default 0: subsidy only). */
  feesPerBlockBtc?: number;
}

export interface ChainDay {
  /** UTC midnight. */
  dayStartMs: number;
  /** Estimated tip height at dayStartMs (block-height.ts). */
  height: number;
  subsidyBtc: number;
  feesPerBlockBtc: number;
  /** Where feesPerBlockBtc came from: the transaction-fees chart, or the stated fallback. */
  feesSource: 'chain' | 'assumed';
  difficulty: number;
  difficultySource: 'difficulty' | 'hash-rate';
  btcPriceUsd: number;
  hashpriceUsdPerPhDay: number;
  realisedHashpriceUsdPerPhDay?: number;
}

const DAY_MS = 86_400_000;

/** Last sample at or before t, for increasing t; undefined where the series does not cover t. */
function stepLookup(series: ChartSeries | undefined): (t: number) => ChartPoint | undefined {
  const points = series?.points ?? [];
  let i = -1;
  return (t) => {
    while (i + 1 < points.length && (points[i + 1] as ChartPoint).timeMs <= t) i++;
    const last = points[points.length - 1];
    if (i < 0 || !last || t >= last.timeMs + DAY_MS) return undefined;
    return points[i];
  };
}

/** The right metric, in strictly increasing time (stepLookup walks forward and would misread an unsorted series). */
function requireMetric(series: ChartSeries | undefined, metric: string, input: string): void {
  if (!series) return;
  if (series.metric !== metric) throw new ContextError('E_CHAIN_HISTORY', `building chain history: ${input} must be a ${metric} series, got ${series.metric}`);
  series.points.forEach((p, i) => {
    if (!Number.isFinite(p.timeMs) || !Number.isFinite(p.value) || (i > 0 && p.timeMs <= (series.points[i - 1] as ChartPoint).timeMs)) {
      throw new ContextError('E_CHAIN_HISTORY', `building chain history: ${input}: samples must be in increasing time order with finite values (point ${i})`);
    }
  });
}

/** First and last day starts inside [first sample, last sample + 1 day) of a series. */
function coverage(series: ChartSeries | undefined): { from: number; to: number } | undefined {
  const first = series?.points[0];
  const last = series?.points[series.points.length - 1];
  if (!first || !last) return undefined;
  return { from: Math.ceil(first.timeMs / DAY_MS) * DAY_MS, to: Math.floor((last.timeMs + DAY_MS - 1) / DAY_MS) * DAY_MS };
}

export function buildChainHistory(inputs: ChainHistoryInputs): ChainDay[] {
  requireMetric(inputs.marketPrice, 'market-price', 'marketPrice');
  requireMetric(inputs.difficulty, 'difficulty', 'difficulty');
  requireMetric(inputs.hashRate, 'hash-rate', 'hashRate');
  requireMetric(inputs.minersRevenue, 'miners-revenue', 'minersRevenue');
  requireMetric(inputs.transactionFees, 'transaction-fees', 'transactionFees');
  const fallbackFees = inputs.feesPerBlockBtc ?? 0;
  if (!Number.isFinite(fallbackFees) || fallbackFees < 0) throw new ContextError('E_CHAIN_HISTORY', `building chain history: feesPerBlockBtc must be ≥ 0, got ${fallbackFees}`);

  const price = coverage(inputs.marketPrice);
  const sources = [coverage(inputs.difficulty), coverage(inputs.hashRate)].filter((c) => c !== undefined);
  if (!price || sources.length === 0) throw new ContextError('E_CHAIN_HISTORY', 'building chain history: needs a market-price series and a difficulty or hash-rate series');
  const from = Math.max(price.from, Math.min(...sources.map((c) => c.from)));
  const to = Math.min(price.to, Math.max(...sources.map((c) => c.to)));
  if (from > to) throw new ContextError('E_CHAIN_HISTORY', 'building chain history: the market-price series and the difficulty/hash-rate series do not overlap');

  const priceAt = stepLookup(inputs.marketPrice);
  const difficultyAt = stepLookup(inputs.difficulty);
  const hashRateAt = stepLookup(inputs.hashRate);
  const revenueAt = stepLookup(inputs.minersRevenue);
  const feesAt = stepLookup(inputs.transactionFees);
  const days: ChainDay[] = [];
  for (let day = from; day <= to; day += DAY_MS) {
    const btcPriceUsd = (priceAt(day) as ChartPoint).value;
    const d = difficultyAt(day);
    const h = hashRateAt(day);
    if (!d && !h) throw new ContextError('E_CHAIN_HISTORY', `building chain history: no difficulty or hash-rate sample covers ${new Date(day).toISOString().slice(0, 10)}`);
    const difficulty = d ? d.value : Math.max(1, ((h as ChartPoint).value * BLOCK_INTERVAL_S) / HASHES_PER_DIFFICULTY);
    const height = estimateBlockHeight(day);
    const subsidyBtc = blockSubsidyBtc(height);
    const fees = feesAt(day);
    const feesPerBlockBtc = fees ? fees.value / TARGET_BLOCKS_PER_DAY : fallbackFees;
    const entry: ChainDay = {
      dayStartMs: day,
      height,
      subsidyBtc,
      feesPerBlockBtc,
      feesSource: fees ? 'chain' : 'assumed',
      difficulty,
      difficultySource: d ? 'difficulty' : 'hash-rate',
      btcPriceUsd,
      hashpriceUsdPerPhDay: hashpriceUsdPerPhDay({ difficulty, subsidyBtc, feesPerBlockBtc, btcPriceUsd }),
    };
    const revenue = revenueAt(day);
    if (revenue) {
      const networkPhs = (h ? h.value : networkHashrateHs(difficulty)) / HS_PER_PHS;
      if (networkPhs > 0) entry.realisedHashpriceUsdPerPhDay = revenue.value / networkPhs;
    }
    days.push(entry);
  }
  return days;
}

/** The day in force at timeMs: the last day starting at or before it. Outside the history is an error. */
export function chainDayAt(history: readonly ChainDay[], timeMs: number): ChainDay {
  const first = history[0];
  const last = history[history.length - 1];
  if (!first || !last) throw new ContextError('E_CHAIN_HISTORY', 'chain history is empty');
  const at = new Date(timeMs).toISOString();
  if (!Number.isFinite(timeMs) || timeMs < first.dayStartMs) {
    throw new ContextError('E_CHAIN_HISTORY', `no chain history at ${Number.isFinite(timeMs) ? at : timeMs}: it starts ${new Date(first.dayStartMs).toISOString()}`);
  }
  // Past the last day would be a guess about days nobody published.
  if (timeMs >= last.dayStartMs + DAY_MS) throw new ContextError('E_CHAIN_HISTORY', `no chain history at ${at}: it ends ${new Date(last.dayStartMs + DAY_MS).toISOString()}`);
  let lo = 0;
  let hi = history.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((history[mid] as ChainDay).dayStartMs <= timeMs) lo = mid;
    else hi = mid - 1;
  }
  return history[lo] as ChainDay;
}

/** Hashprice (USD per PH/s per day, formula value) in force at timeMs. */
export function hashpriceAt(history: readonly ChainDay[], timeMs: number): number {
  return chainDayAt(history, timeMs).hashpriceUsdPerPhDay;
}
