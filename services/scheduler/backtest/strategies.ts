import { runStrikeRule } from '../../curtailment/strike-rule.ts';
import { blockMaxItMw, miningOptionMargins } from '../dispatch/economics.ts';
import type { DispatchInput } from '../dispatch/input.ts';
import type { BlockSchedule } from '../dispatch/schedule.ts';

/**
 * The fixed-rule baselines a backtest scores the scheduler against. AI contracts are served in
 * full by both (neither rule spends a contract's flexibility).
 */

/** Every mining block at full power, every interval. */
export function alwaysMine(truth: DispatchInput): BlockSchedule[] {
  const T = truth.intervals.length;
  return truth.blocks.map((b) => ({
    id: b.id,
    kind: b.kind,
    on: new Array<boolean>(T).fill(true),
    itMw: new Array<number>(T).fill(b.kind === 'mining' ? blockMaxItMw(b) : b.fullItMw),
  }));
}

export interface StrikeRuleParams {
  /** N: curtail after this many consecutive realised intervals above the block's breakeven. */
  curtailAfter: number;
  /** M: resume after this many consecutive intervals at or below it. */
  resumeAfter: number;
}

/**
 * The operator's classic rule, per mining block: curtail after N realised intervals above the
 * block's breakeven price, resume after M at or below. It acts on prices already settled (an
 * interval's decision sees the prices before it) and on the hashprice known at the time.
 * Prices are divided by each interval's breakeven so one strike of 1 serves a breakeven that
 * moves with hashprice.
 */
export function strikeRule(truth: DispatchInput, params: StrikeRuleParams): BlockSchedule[] {
  const T = truth.intervals.length;
  return truth.blocks.map((b) => {
    if (b.kind === 'ai') return { id: b.id, kind: b.kind, on: new Array<boolean>(T).fill(true), itMw: new Array<number>(T).fill(b.fullItMw) };
    const ratios = truth.intervals.map((iv) => iv.priceUsdPerMwh / miningOptionMargins(b, iv, truth).breakevenUsdPerMwh);
    const curtailedAfter = runStrikeRule(ratios, { strikeUsdPerMwh: 1, curtailAfter: params.curtailAfter, resumeAfter: params.resumeAfter });
    // The state after interval t−1's price governs interval t.
    const on = Array.from({ length: T }, (_x, t) => (t === 0 ? b.initial.on : !curtailedAfter[t - 1]!));
    return { id: b.id, kind: b.kind, on, itMw: on.map((x) => (x ? blockMaxItMw(b) : 0)) };
  });
}
