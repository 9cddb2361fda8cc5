import { solveLp, type SolveResult, type SolverWorker } from '../solver/solve.ts';
import { disaggregateClass } from './disaggregate.ts';
import { blockBaseItMw } from './economics.ts';
import { evaluatePlan, type Evaluation } from './evaluate.ts';
import { describeIis, InfeasiblePlanError, precheck } from './infeasibility.ts';
import type { DispatchInput } from './input.ts';
import { buildDispatchModel, v, type DispatchModel } from './model.ts';
import type { BlockSchedule } from './schedule.ts';

export interface SolveDispatchOptions {
  /** HiGHS's own time limit, seconds (default 30). */
  timeLimitS?: number;
  /** Stop when the plan is proven within this share of optimal (default 0.001 = 0.1%). */
  mipRelGap?: number;
  /** The solver worker to queue on (default: the shared one; previews have their own). */
  worker?: SolverWorker;
}

export interface DispatchPlan {
  solver: 'highs' | 'greedy';
  /** optimal: proven within mipRelGap; time-limit: best plan found, with the gap it proved. */
  status: 'optimal' | 'time-limit' | 'heuristic';
  /** Proven relative distance to the best possible margin (null for heuristics). */
  mipGap: number | null;
  /** The best margin the solver could not rule out, USD (an upper bound). */
  boundUsd: number | null;
  /** The solver's own objective for the plan, USD; equals evaluation.totals.marginUsd (tested). */
  solverObjectiveUsd: number | null;
  solveMs: number;
  model: { classes: number; aiBlocks: number; integers: number } | null;
  schedules: BlockSchedule[];
  evaluation: Evaluation;
}

/** The optimal dispatch plan (HiGHS MILP in a worker thread), or an error that names the rule. */
export async function solveDispatch(input: DispatchInput, opts: SolveDispatchOptions = {}): Promise<DispatchPlan> {
  const early = precheck(input);
  if (early.length) throw new InfeasiblePlanError(early);
  const model = buildDispatchModel(input);
  const lp = model.lp.toString();
  const started = performance.now();
  const lane = opts.worker ? { worker: opts.worker } : {};
  const result = await solveLp(lp, { timeLimitS: opts.timeLimitS ?? 30, mipRelGap: opts.mipRelGap ?? 0.001, ...lane });
  if (result.status === 'infeasible' || result.status === 'infeasible-or-unbounded') {
    const relaxed = await solveLp(model.lp.toString(true), { timeLimitS: opts.timeLimitS ?? 30, wantIis: true, ...lane });
    const reasons = relaxed.iisRows.length ? describeIis(relaxed.iisRows, input, model.classes) : ['the constraints only conflict once blocks are whole (on/off): check minimum on/off times against the ramp and import limits'];
    throw new InfeasiblePlanError(reasons);
  }
  if (result.objective === null) throw new InfeasiblePlanError([`the solver stopped (${result.status}) before finding any plan within ${opts.timeLimitS ?? 30} s; raise the time limit`]);
  const schedules = schedulesFrom(model, result, input);
  const evaluation = evaluatePlan(input, schedules);
  return {
    solver: 'highs',
    status: result.status === 'optimal' ? 'optimal' : 'time-limit',
    mipGap: result.mipGap,
    boundUsd: result.dualBound === null ? null : result.dualBound + model.lp.objectiveConstant,
    solverObjectiveUsd: result.objective + model.lp.objectiveConstant,
    solveMs: performance.now() - started,
    model: { classes: model.classes.length, aiBlocks: model.ai.length, integers: model.integerCount },
    schedules,
    evaluation,
  };
}

function schedulesFrom(model: DispatchModel, r: SolveResult, input: DispatchInput): BlockSchedule[] {
  const T = input.intervals.length;
  const val = (name: string) => r.values.get(name) ?? 0;
  const out: BlockSchedule[] = [];
  for (const c of model.classes) {
    const counts: number[] = [];
    const extra: number[] = [];
    for (let t = 0; t < T; t++) {
      const u = Math.round(val(v.u(c.index, t)));
      counts.push(u);
      let y = 0;
      c.template.segments.forEach((_g, gi) => (y += Math.max(0, val(v.y(c.index, gi, t)))));
      const cap = u * c.template.segments.reduce((s, g) => s + g.maxItMw - g.minItMw, 0);
      extra.push(Math.min(y, cap));
    }
    out.push(...disaggregateClass(c, counts, extra));
  }
  model.ai.forEach((b, k) => {
    const itMw = Array.from({ length: T }, (_x, t) => Math.min(b.fullItMw, Math.max(b.floorItMw, val(v.a(k, t)))));
    out.push({ id: b.id, kind: 'ai', on: new Array<boolean>(T).fill(true), itMw });
  });
  const order = new Map(input.blocks.map((b, i) => [b.id, i]));
  return out.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

