import { aiRevenueUsd, blockBaseItMw, blockMaxItMw, hours, miningRevenueUsd } from './economics.ts';
import type { DispatchInput, DispatchBlock } from './input.ts';
import { fourCpCapMw } from './model.ts';
import type { BlockSchedule } from './schedule.ts';
import { isoMinute, mw3 } from './words.ts';

/**
 * Prices a plan and checks it against every rule, independently of how it was made. The
 * optimiser's objective must equal this evaluation (a test holds them together), and the
 * greedy baseline and backtest strategies are scored by it, so comparisons are like for like.
 */

export interface IntervalResult {
  startMs: number;
  priceUsdPerMwh: number;
  hashpriceUsdPerPhDay: number;
  siteLoadMw: number;
  miningLoadMw: number;
  aiLoadMw: number;
  miningRevenueUsd: number;
  aiRevenueUsd: number;
  energyCostUsd: number;
  creditsUsd: number;
  restartCostUsd: number;
  marginUsd: number;
}

export interface PlanTotals {
  marginUsd: number;
  miningRevenueUsd: number;
  aiRevenueUsd: number;
  energyCostUsd: number;
  creditsUsd: number;
  restartCostUsd: number;
  restarts: number;
  energyMwh: number;
  curtailedMwh: number;
}

export interface Evaluation {
  intervals: IntervalResult[];
  totals: PlanTotals;
  /** Every rule the plan breaks, in words; empty for a feasible plan. */
  violations: string[];
}

const TOL = 1e-6;

export function evaluatePlan(input: DispatchInput, schedules: readonly BlockSchedule[]): Evaluation {
  const byId = new Map(schedules.map((s) => [s.id, s]));
  const h = hours(input);
  const violations: string[] = [];
  const T = input.intervals.length;
  const intervals: IntervalResult[] = [];
  const totals: PlanTotals = { marginUsd: 0, miningRevenueUsd: 0, aiRevenueUsd: 0, energyCostUsd: 0, creditsUsd: 0, restartCostUsd: 0, restarts: 0, energyMwh: 0, curtailedMwh: 0 };
  const restartsAt = new Array<number>(T).fill(0);
  const restartUsdAt = new Array<number>(T).fill(0);

  for (const b of input.blocks) {
    const s = byId.get(b.id);
    if (!s) throw new RangeError(`plan has no schedule for block ${b.id}`);
    if (s.on.length !== T || s.itMw.length !== T) throw new RangeError(`block ${b.id}: schedule covers ${s.on.length} of ${T} intervals`);
    if (b.kind === 'mining') checkMiningBlock(b, s, input, violations, restartsAt, restartUsdAt);
  }

  let prevLoad = input.site.initialLoadMw;
  const fourCpCap = fourCpCapMw(input);
  const capped = new Map<string, number>();
  for (let t = 0; t < T; t++) {
    const iv = input.intervals[t]!;
    let miningLoad = 0;
    let aiLoad = 0;
    let miningRevenue = 0;
    let aiRevenue = 0;
    let notDrawn = 0;
    for (const b of input.blocks) {
      const s = byId.get(b.id)!;
      if (b.kind === 'mining') {
        const it = s.on[t] ? s.itMw[t]! : b.sleepItMw;
        miningLoad += it * b.overheadFactor;
        notDrawn += (blockMaxItMw(b) - it) * b.overheadFactor;
        if (s.on[t]) miningRevenue += miningRevenueUsd(b, s.itMw[t]!, iv, input);
      } else {
        const it = s.itMw[t]!;
        if (it < b.floorItMw - TOL || it > b.fullItMw + TOL) violations.push(`block ${b.id} at ${isoMinute(iv.startMs)}: AI load ${mw3(it)} IT MW outside its contract range ${mw3(b.floorItMw)}–${mw3(b.fullItMw)}`);
        if (it < b.fullItMw - TOL) capped.set(b.id, (capped.get(b.id) ?? 0) + 1);
        aiLoad += it * b.overheadFactor;
        aiRevenue += aiRevenueUsd(b, it, iv, input);
      }
    }
    const load = miningLoad + aiLoad;
    if (load > input.site.importLimitMw + TOL) violations.push(`at ${isoMinute(iv.startMs)}: site load ${mw3(load)} MW over the import limit ${mw3(input.site.importLimitMw)} MW`);
    if (iv.fourCp && load > fourCpCap + TOL) violations.push(`at ${isoMinute(iv.startMs)}: site load ${mw3(load)} MW over the 4CP cap ${mw3(fourCpCap)} MW`);
    if (prevLoad !== undefined) {
      const up = input.site.rampUpMwPerMin;
      const down = input.site.rampDownMwPerMin;
      if (up !== undefined && load - prevLoad > up * input.intervalMinutes + TOL) violations.push(`at ${isoMinute(iv.startMs)}: load rises ${mw3(load - prevLoad)} MW, over the ramp-up limit ${mw3(up * input.intervalMinutes)} MW per interval`);
      if (down !== undefined && prevLoad - load > down * input.intervalMinutes + TOL) violations.push(`at ${isoMinute(iv.startMs)}: load falls ${mw3(prevLoad - load)} MW, over the ramp-down limit ${mw3(down * input.intervalMinutes)} MW per interval`);
    }
    prevLoad = load;
    const energy = energyCostUsd(load, iv.priceUsdPerMwh, input);
    const credits = notDrawn * (iv.creditUsdPerMwh ?? 0) * h;
    const margin = miningRevenue + aiRevenue + credits - energy - restartUsdAt[t]!;
    intervals.push({
      startMs: iv.startMs,
      priceUsdPerMwh: iv.priceUsdPerMwh,
      hashpriceUsdPerPhDay: iv.hashpriceUsdPerPhDay,
      siteLoadMw: load,
      miningLoadMw: miningLoad,
      aiLoadMw: aiLoad,
      miningRevenueUsd: miningRevenue,
      aiRevenueUsd: aiRevenue,
      energyCostUsd: energy,
      creditsUsd: credits,
      restartCostUsd: restartUsdAt[t]!,
      marginUsd: margin,
    });
    totals.marginUsd += margin;
    totals.miningRevenueUsd += miningRevenue;
    totals.aiRevenueUsd += aiRevenue;
    totals.energyCostUsd += energy;
    totals.creditsUsd += credits;
    totals.restartCostUsd += restartUsdAt[t]!;
    totals.restarts += restartsAt[t]!;
    totals.energyMwh += load * h;
    totals.curtailedMwh += notDrawn * h;
  }
  for (const b of input.blocks) {
    const n = capped.get(b.id) ?? 0;
    if (b.kind === 'ai' && n > b.maxCappedIntervals) violations.push(`block ${b.id}: capped in ${n} intervals, its contract allows ${b.maxCappedIntervals}`);
  }
  return { intervals, totals, violations };
}

/** Energy cost at the site meter for one interval, PPA included (paid whether used or not). */
export function energyCostUsd(loadMw: number, priceUsdPerMwh: number, input: DispatchInput): number {
  const h = hours(input);
  const ppa = input.site.ppa;
  if (!ppa) return loadMw * priceUsdPerMwh * h;
  const buy = Math.max(0, loadMw - ppa.mw);
  const sell = Math.max(0, ppa.mw - loadMw);
  return (ppa.priceUsdPerMwh * ppa.mw + priceUsdPerMwh * buy - (priceUsdPerMwh - ppa.resaleDiscountUsdPerMwh) * sell) * h;
}

function checkMiningBlock(
  b: Extract<DispatchBlock, { kind: 'mining' }>,
  s: BlockSchedule,
  input: DispatchInput,
  violations: string[],
  restartsAt: number[],
  restartUsdAt: number[],
): void {
  let on = b.initial.on;
  let since = b.initial.intervalsInState;
  const lo = blockBaseItMw(b);
  const hi = blockMaxItMw(b);
  for (let t = 0; t < s.on.length; t++) {
    const iv = input.intervals[t]!;
    if (s.on[t] !== on) {
      const need = on ? b.minOnIntervals : b.minOffIntervals;
      if (since < need) violations.push(`block ${b.id} at ${isoMinute(iv.startMs)}: ${on ? 'stopped' : 'started'} after ${since} of its minimum ${need} intervals ${on ? 'on' : 'off'}`);
      if (!on) {
        restartsAt[t]! += 1;
        restartUsdAt[t]! += b.restartCostUsd;
      }
      on = s.on[t]!;
      since = 1;
    } else {
      since += 1;
    }
    if (s.on[t] && (s.itMw[t]! < lo - TOL || s.itMw[t]! > hi + TOL)) violations.push(`block ${b.id} at ${isoMinute(iv.startMs)}: ${mw3(s.itMw[t]!)} IT MW outside its miners' power range ${mw3(lo)}–${mw3(hi)}`);
  }
}
