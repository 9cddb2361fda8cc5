/**
 * A plan as per-block schedules: the one shape the optimiser, the greedy baseline, the
 * backtest strategies and the evaluator share. IT MW per interval; a mining block that is
 * off draws its sleep power (the evaluator adds it).
 */

export interface BlockSchedule {
  id: string;
  kind: 'mining' | 'ai';
  /** Running (mining blocks); always true for AI blocks. */
  on: boolean[];
  /** IT MW while running (mining) or served (AI); 0 while a mining block is off. */
  itMw: number[];
}

export type BlockDecision = 'mine' | 'mine-partial' | 'curtail' | 'ai' | 'ai-capped';

export function decisionAt(s: BlockSchedule, t: number, fullItMw: number): BlockDecision {
  const tol = 1e-6;
  if (s.kind === 'ai') return s.itMw[t]! < fullItMw - tol ? 'ai-capped' : 'ai';
  if (!s.on[t]) return 'curtail';
  return s.itMw[t]! < fullItMw - tol ? 'mine-partial' : 'mine';
}
