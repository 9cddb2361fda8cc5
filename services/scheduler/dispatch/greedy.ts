import { blockBaseItMw, blockMaxItMw, miningOptionMargins } from './economics.ts';
import { evaluatePlan } from './evaluate.ts';
import type { DispatchInput, MiningBlock } from './input.ts';
import { fourCpCapMw } from './model.ts';
import type { DispatchPlan } from './plan.ts';
import type { BlockSchedule } from './schedule.ts';

/**
 * The baseline the MILP is measured against: interval by interval, with no look-ahead, run
 * every block whose mining margin beats curtailing right now, most profitable per MW first,
 * within the import limit, 4CP cap and ramp limits; a block inside its minimum on/off time
 * keeps its state, and no block starts into a 4CP window it would have to run through.
 * It never plans around restart costs or price spikes ahead — the optimiser's edge.
 */
const SCARCITY_USD_PER_MWH = 1000;

export function greedyDispatch(input: DispatchInput): DispatchPlan {
  const started = performance.now();
  const T = input.intervals.length;
  const mining = input.blocks.filter((b): b is MiningBlock => b.kind === 'mining');
  const state = new Map(mining.map((b) => [b.id, { on: b.initial.on, since: b.initial.intervalsInState }]));
  const sched = new Map<string, BlockSchedule>();
  for (const b of input.blocks) sched.set(b.id, { id: b.id, kind: b.kind, on: new Array<boolean>(T).fill(b.kind === 'ai'), itMw: new Array<number>(T).fill(0) });
  let prevLoad = input.site.initialLoadMw;
  const fourCpCap = fourCpCapMw(input);
  const cappedUsed = new Map<string, number>();
  const fourCpAhead = new Array<number>(T + 1).fill(0);
  for (let t = T - 1; t >= 0; t--) fourCpAhead[t] = fourCpAhead[t + 1]! + (input.intervals[t]!.fourCp ? 1 : 0);

  for (let t = 0; t < T; t++) {
    const iv = input.intervals[t]!;
    let cap = input.site.importLimitMw;
    if (iv.fourCp) cap = Math.min(cap, fourCpCap);
    if (prevLoad !== undefined && input.site.rampUpMwPerMin !== undefined) cap = Math.min(cap, prevLoad + input.site.rampUpMwPerMin * input.intervalMinutes);
    let load = 0;
    // AI contracts at full load, capped to their floor while the contract's allowance lasts
    // when the power costs more than the load earns, or when the site cannot fit them.
    for (const b of input.blocks) {
      if (b.kind !== 'ai') continue;
      const used = cappedUsed.get(b.id) ?? 0;
      const canCap = b.floorItMw < b.fullItMw && used < b.maxCappedIntervals;
      // The allowance is kept for the 4CP windows ahead (known in advance); what is left goes
      // to scarcity prices: above what the load earns and above SCARCITY_USD_PER_MWH.
      const spare = b.maxCappedIntervals - used - fourCpAhead[t]!;
      const earnsPerItMwh = b.revenueScalesWithLoad ? b.revenueUsdPerHour / b.fullItMw : 0;
      // Energy billed through to the tenant costs the site nothing, so price alone never caps it.
      const scarce = !b.energyPassThrough && iv.priceUsdPerMwh * b.overheadFactor > Math.max(earnsPerItMwh, SCARCITY_USD_PER_MWH);
      const capIt = canCap && (iv.fourCp === true || (scarce && spare > 0));
      const it = capIt ? b.floorItMw : b.fullItMw;
      if (capIt) cappedUsed.set(b.id, used + 1);
      sched.get(b.id)!.itMw[t] = it;
      load += it * b.overheadFactor;
    }
    for (const b of mining) load += b.sleepItMw * b.overheadFactor;

    const ranked = mining
      .map((b) => ({ b, m: miningOptionMargins(b, iv, input) }))
      .sort((x, y) => (y.m.mineUsd - y.m.curtailUsd) / blockMaxItMw(y.b) - (x.m.mineUsd - x.m.curtailUsd) / blockMaxItMw(x.b) || (x.b.id < y.b.id ? -1 : 1));
    const forcedOn = ranked.filter(({ b }) => { const s = state.get(b.id)!; return s.on && s.since < b.minOnIntervals; });
    const rest = ranked.filter((r) => !forcedOn.includes(r));
    const choose = (b: MiningBlock, itMw: number) => {
      const s = sched.get(b.id)!;
      s.on[t] = true;
      s.itMw[t] = itMw;
      load += (itMw - b.sleepItMw) * b.overheadFactor;
    };
    for (const { b } of forcedOn) choose(b, Math.max(blockBaseItMw(b), Math.min(blockMaxItMw(b), blockBaseItMw(b) + Math.max(0, cap - load) / b.overheadFactor)));
    for (const { b, m } of rest) {
      const s = state.get(b.id)!;
      const wants = m.mineUsd > m.curtailUsd;
      // A start commits the block for its minimum on time; never into a known 4CP window.
      const mayStart = s.on || (s.since >= b.minOffIntervals && !input.intervals.slice(t, t + b.minOnIntervals).some((x) => x.fourCp));
      if (!wants || !mayStart) continue;
      const room = (cap - load) / b.overheadFactor + b.sleepItMw;
      if (room < blockBaseItMw(b)) continue;
      choose(b, Math.min(blockMaxItMw(b), room));
    }
    // Ramp-down: if shedding falls faster than allowed, keep the last running blocks on.
    if (prevLoad !== undefined && input.site.rampDownMwPerMin !== undefined) {
      const floor = prevLoad - input.site.rampDownMwPerMin * input.intervalMinutes;
      for (const { b } of [...rest].reverse()) {
        if (load >= floor) break;
        const s = sched.get(b.id)!;
        if (s.on[t] || !state.get(b.id)!.on) continue;
        choose(b, Math.min(blockMaxItMw(b), Math.max(blockBaseItMw(b), b.sleepItMw + (floor - load) / b.overheadFactor)));
      }
    }
    for (const b of mining) {
      const s = state.get(b.id)!;
      const on = sched.get(b.id)!.on[t]!;
      if (on === s.on) s.since += 1;
      else state.set(b.id, { on, since: 1 });
    }
    prevLoad = load;
  }
  const schedules = input.blocks.map((b) => sched.get(b.id)!);
  return { solver: 'greedy', status: 'heuristic', mipGap: null, boundUsd: null, solverObjectiveUsd: null, solveMs: performance.now() - started, model: null, schedules, evaluation: evaluatePlan(input, schedules) };
}
