import type { SiteFile } from '../../domain/site-schema.ts';
import type { PriceInterval } from '../../market/price-series.ts';
import type { DispatchInput } from '../dispatch/input.ts';
import { solveDispatch } from '../dispatch/plan.ts';
import type { BlockSchedule } from '../dispatch/schedule.ts';
import { siteDispatchInput } from '../site-input.ts';
import { knownPrices, type Information } from './information.ts';

/**
 * The scheduler as it would have run: at each interval it plans the horizon ahead with only
 * the prices it could know then (information.ts), carries the blocks' real states and the
 * meter load in, acts on the plan's first interval, and moves on. AI flexibility is a budget
 * for the whole period, so re-planning cannot spend it twice.
 */

export interface RollingOptions {
  site: SiteFile;
  truth: DispatchInput;
  prices: readonly PriceInterval[];
  hashprice: (timeMs: number) => number;
  information: Information;
  horizonIntervals: number;
  timeLimitS: number;
}

export interface RollingResult {
  schedules: BlockSchedule[];
  decisions: number;
  solveMsTotal: number;
  /** Decisions that planned fewer intervals than the horizon (day-ahead prices ran out). */
  shortHorizons: number;
}

export async function rollingScheduler(o: RollingOptions): Promise<RollingResult> {
  const T = o.truth.intervals.length;
  const sched = new Map<string, BlockSchedule>(o.truth.blocks.map((b) => [b.id, { id: b.id, kind: b.kind, on: [], itMw: [] }]));
  const state = new Map(o.truth.blocks.flatMap((b) => (b.kind === 'mining' ? [[b.id, { ...b.initial }] as const] : [])));
  const capBudget = new Map(o.truth.blocks.flatMap((b) => (b.kind === 'ai' ? [[b.id, b.maxCappedIntervals] as const] : [])));
  let prevLoad: number | undefined;
  let solveMsTotal = 0;
  let shortHorizons = 0;
  for (let t = 0; t < T; t++) {
    const known = knownPrices(o.prices, t, o.horizonIntervals, o.information);
    if (known.length < o.horizonIntervals && t + o.horizonIntervals <= T) shortHorizons++;
    const { input } = siteDispatchInput(o.site, {
      prices: known,
      hashprice: o.hashprice,
      startMs: o.truth.intervals[t]!.startMs,
      intervalMinutes: o.truth.intervalMinutes,
      intervalCount: known.length,
      ...(prevLoad !== undefined ? { initialLoadMw: prevLoad } : {}),
    });
    for (const b of input.blocks) {
      if (b.kind === 'mining') b.initial = { ...state.get(b.id)! };
      else b.maxCappedIntervals = Math.min(b.maxCappedIntervals, capBudget.get(b.id) ?? 0);
    }
    const plan = await solveDispatch(input, { timeLimitS: o.timeLimitS });
    solveMsTotal += plan.solveMs;
    for (const s of plan.schedules) {
      const out = sched.get(s.id)!;
      out.on.push(s.on[0]!);
      out.itMw.push(s.itMw[0]!);
      const b = input.blocks.find((x) => x.id === s.id)!;
      if (b.kind === 'mining') {
        const st = state.get(s.id)!;
        state.set(s.id, st.on === s.on[0] ? { on: st.on, intervalsInState: st.intervalsInState + 1 } : { on: s.on[0]!, intervalsInState: 1 });
      } else if (s.itMw[0]! < b.fullItMw - 1e-6) capBudget.set(s.id, (capBudget.get(s.id) ?? 0) - 1);
    }
    prevLoad = plan.evaluation.intervals[0]!.siteLoadMw;
  }
  return { schedules: o.truth.blocks.map((b) => sched.get(b.id)!), decisions: T, solveMsTotal, shortHorizons };
}
