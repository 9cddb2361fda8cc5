import type { Evaluation, IntervalResult, PlanTotals } from './dispatch/evaluate.ts';
import { explain, type Explanation } from './dispatch/explain.ts';
import { blockMaxItMw } from './dispatch/economics.ts';
import type { DispatchInput } from './dispatch/input.ts';
import type { DispatchPlan } from './dispatch/plan.ts';
import { decisionAt, type BlockDecision } from './dispatch/schedule.ts';
import { greedyDispatch } from './dispatch/greedy.ts';
import { solveDispatch } from './dispatch/plan.ts';
import type { SiteInput } from './site-input.ts';
import type { SolverWorker } from './solver/solve.ts';

/**
 * The plan as people read it (API, CLI): site totals, per-interval money, and each block's
 * decisions as runs ("mine 00:00–14:00, curtail 14:05–15:00") rather than 576 cells.
 */

export interface DecisionRun {
  fromMs: number;
  /** End of the run's last interval (exclusive). */
  toMs: number;
  decision: BlockDecision;
  /** Mean meter MW over the run. */
  meterMw: number;
}

export interface PlanReport {
  createdAtMs: number;
  solver: DispatchPlan['solver'];
  status: DispatchPlan['status'];
  mipGap: number | null;
  solveMs: number;
  horizon: { startMs: number; endMs: number; intervalMinutes: number; intervals: number; profileIntervals: number };
  totals: PlanTotals;
  /** The greedy baseline on the same input, for scale. */
  baseline: { solver: 'greedy'; marginUsd: number } | null;
  intervals: IntervalResult[];
  blocks: { id: string; kind: 'mining' | 'ai'; runs: DecisionRun[] }[];
  excluded: SiteInput['excluded'];
}

/** Solves a site's input and reports it with the greedy baseline beside it (CLI and plan service). */
export async function solveSiteInput(built: SiteInput, opts: { timeLimitS: number; createdAtMs?: number; worker?: SolverWorker }): Promise<{ plan: DispatchPlan; report: PlanReport }> {
  const plan = await solveDispatch(built.input, { timeLimitS: opts.timeLimitS, ...(opts.worker ? { worker: opts.worker } : {}) });
  const report = planReport(built.input, plan, {
    profileIntervals: built.profileIntervals,
    excluded: built.excluded,
    baseline: greedyDispatch(built.input),
    ...(opts.createdAtMs !== undefined ? { createdAtMs: opts.createdAtMs } : {}),
  });
  return { plan, report };
}

export function planReport(input: DispatchInput, plan: DispatchPlan, extra: { profileIntervals?: number; excluded?: SiteInput['excluded']; baseline?: DispatchPlan | null; createdAtMs?: number } = {}): PlanReport {
  const step = input.intervalMinutes * 60_000;
  const blocks = plan.schedules.map((s) => {
    const b = input.blocks.find((x) => x.id === s.id)!;
    const full = b.kind === 'mining' ? blockMaxItMw(b) : b.fullItMw;
    const runs: DecisionRun[] = [];
    s.on.forEach((_on, t) => {
      const decision = decisionAt(s, t, full);
      const it = b.kind === 'mining' && !s.on[t] ? b.sleepItMw : s.itMw[t]!;
      const mw = it * b.overheadFactor;
      const startMs = input.intervals[t]!.startMs;
      const last = runs[runs.length - 1];
      if (last && last.decision === decision) {
        const n = (last.toMs - last.fromMs) / step;
        last.meterMw = (last.meterMw * n + mw) / (n + 1);
        last.toMs = startMs + step;
      } else runs.push({ fromMs: startMs, toMs: startMs + step, decision, meterMw: mw });
    });
    return { id: s.id, kind: s.kind, runs };
  });
  return {
    createdAtMs: extra.createdAtMs ?? Date.now(),
    solver: plan.solver,
    status: plan.status,
    mipGap: plan.mipGap,
    solveMs: plan.solveMs,
    horizon: {
      startMs: input.intervals[0]!.startMs,
      endMs: input.intervals[input.intervals.length - 1]!.startMs + step,
      intervalMinutes: input.intervalMinutes,
      intervals: input.intervals.length,
      profileIntervals: extra.profileIntervals ?? 0,
    },
    totals: plan.evaluation.totals,
    baseline: extra.baseline ? { solver: 'greedy', marginUsd: extra.baseline.evaluation.totals.marginUsd } : null,
    intervals: plan.evaluation.intervals,
    blocks,
    excluded: extra.excluded ?? [],
  };
}

/** The interval holding `atMs`, or a RangeError naming the plan's span. */
export function intervalAt(input: DispatchInput, atMs: number): number {
  const step = input.intervalMinutes * 60_000;
  const t = Math.floor((atMs - input.intervals[0]!.startMs) / step);
  if (t < 0 || t >= input.intervals.length) {
    const end = input.intervals[0]!.startMs + input.intervals.length * step;
    throw new RangeError(`${new Date(atMs).toISOString()} is outside the plan (${new Date(input.intervals[0]!.startMs).toISOString()} to ${new Date(end).toISOString()})`);
  }
  return t;
}

export function explainAt(input: DispatchInput, plan: { schedules: DispatchPlan['schedules']; evaluation: Evaluation }, blockId: string, atMs: number): Explanation {
  return explain(input, plan.schedules, plan.evaluation, blockId, intervalAt(input, atMs));
}

/** A few lines for a terminal. */
export function planText(r: PlanReport): string {
  const usd = (x: number) => `$${Math.round(x).toLocaleString('en-US')}`;
  const hm = (ms: number) => new Date(ms).toISOString().slice(5, 16).replace('T', ' ');
  const lines = [
    `plan ${hm(r.horizon.startMs)} → ${hm(r.horizon.endMs)} UTC, ${r.horizon.intervals} × ${r.horizon.intervalMinutes} min (${r.solver}, ${r.status}${r.mipGap !== null ? `, gap ${(r.mipGap * 100).toFixed(3)}%` : ''}, ${Math.round(r.solveMs)} ms)`,
    `margin ${usd(r.totals.marginUsd)} = mining ${usd(r.totals.miningRevenueUsd)} + AI ${usd(r.totals.aiRevenueUsd)} + credits ${usd(r.totals.creditsUsd)} − energy ${usd(r.totals.energyCostUsd)} − restarts ${usd(r.totals.restartCostUsd)} (${r.totals.restarts})`,
  ];
  if (r.baseline) lines.push(`greedy baseline ${usd(r.baseline.marginUsd)} (plan earns ${usd(r.totals.marginUsd - r.baseline.marginUsd)} more)`);
  if (r.horizon.profileIntervals) lines.push(`${r.horizon.profileIntervals} intervals priced from the site's hour-of-day profile (beyond the price file)`);
  for (const b of r.blocks) {
    const runs = b.runs.map((x) => `${x.decision} ${hm(x.fromMs).slice(6)}–${hm(x.toMs).slice(6)} (${x.meterMw.toFixed(1)} MW)`);
    lines.push(`  ${b.id.padEnd(8)} ${runs.slice(0, 6).join(', ')}${runs.length > 6 ? `, … ${runs.length - 6} more` : ''}`);
  }
  for (const e of r.excluded) lines.push(`  ${e.blockId.padEnd(8)} not planned: ${e.reason}`);
  return lines.join('\n');
}
