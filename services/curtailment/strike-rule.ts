import { integerAtLeast } from '../lib/guard.ts';

/**
 * The price-strike rule as a pure state machine over interval prices, in order: curtail after
 * `curtailAfter` consecutive intervals above the strike, resume after `resumeAfter`
 * consecutive intervals at or below the resume level (the strike unless set lower), and curtail at once on a price above the hard strike.
 * A price that is not a finite number breaks both streaks and changes nothing else: a gap in
 * the feed must not complete a run of "consecutive" intervals.
 */

export interface StrikeParams {
  strikeUsdPerMwh: number;
  /** N: consecutive intervals above the strike before curtailing (≥ 1). */
  curtailAfter: number;
  /** M: consecutive intervals at or below the strike before resuming (≥ 1). */
  resumeAfter: number;
  /** Above this, curtail on the first interval. Must exceed the strike. */
  hardStrikeUsdPerMwh?: number;
  /**
   * A resume interval is one at or below this (default: the strike). Set lower for a dead
   * band: a price between it and the strike counts neither up nor down (both streaks restart).
   */
  resumeAtOrBelowUsdPerMwh?: number;
}

export interface StrikeState {
  readonly params: StrikeParams;
  readonly curtailed: boolean;
  /** Consecutive intervals above the strike, the latest included. */
  readonly above: number;
  /** Consecutive intervals at or below the resume level, the latest included. */
  readonly below: number;
}

export type StrikeAction = 'curtail' | 'resume' | 'hold';

export function strikeState(params: StrikeParams): StrikeState {
  const fn = 'strikeState';
  if (!Number.isFinite(params.strikeUsdPerMwh)) throw new RangeError(`${fn}: strikeUsdPerMwh must be finite, got ${params.strikeUsdPerMwh}`);
  integerAtLeast(fn, 'curtailAfter', params.curtailAfter, 1);
  integerAtLeast(fn, 'resumeAfter', params.resumeAfter, 1);
  const hard = params.hardStrikeUsdPerMwh;
  if (hard !== undefined && !(Number.isFinite(hard) && hard > params.strikeUsdPerMwh)) {
    throw new RangeError(`${fn}: hardStrikeUsdPerMwh must be finite and above the strike (${params.strikeUsdPerMwh}), got ${hard}`);
  }
  const resume = params.resumeAtOrBelowUsdPerMwh;
  if (resume !== undefined && !(Number.isFinite(resume) && resume <= params.strikeUsdPerMwh)) {
    throw new RangeError(`${fn}: resumeAtOrBelowUsdPerMwh must be finite and at most the strike (${params.strikeUsdPerMwh}), got ${resume}`);
  }
  return { params: { ...params }, curtailed: false, above: 0, below: 0 };
}

export function stepStrike(state: StrikeState, priceUsdPerMwh: number): { state: StrikeState; action: StrikeAction } {
  const p = state.params;
  if (!Number.isFinite(priceUsdPerMwh)) return { state: { ...state, above: 0, below: 0 }, action: 'hold' };
  const isAbove = priceUsdPerMwh > p.strikeUsdPerMwh;
  const above = isAbove ? state.above + 1 : 0;
  const below = priceUsdPerMwh <= (p.resumeAtOrBelowUsdPerMwh ?? p.strikeUsdPerMwh) ? state.below + 1 : 0;
  const hard = p.hardStrikeUsdPerMwh !== undefined && priceUsdPerMwh > p.hardStrikeUsdPerMwh;
  let curtailed = state.curtailed;
  let action: StrikeAction = 'hold';
  if (!curtailed && (hard || above >= p.curtailAfter)) {
    curtailed = true;
    action = 'curtail';
  } else if (curtailed && below >= p.resumeAfter) {
    curtailed = false;
    action = 'resume';
  }
  return { state: { params: p, curtailed, above, below }, action };
}

/** Curtailed or not in each interval, decided on that interval's price (the backtest baseline). */
export function runStrikeRule(prices: readonly number[], params: StrikeParams): boolean[] {
  let state = strikeState(params);
  const out = new Array<boolean>(prices.length);
  for (let i = 0; i < prices.length; i++) {
    state = stepStrike(state, prices[i] as number).state;
    out[i] = state.curtailed;
  }
  return out;
}
