import type { DeviceCommand } from '../agent-contract/device-command.ts';
import type { Firmware } from '../domain/site-schema.ts';
import { byId, leastEfficientFirst, planShed, type MinerRank, type ShedPlan, type ShedRequest } from './shed-plan.ts';
import type { ShedState } from './shed-state.ts';

/**
 * The fast sleep plan (issue 15): reach the target first, then make it economic. Pure.
 *
 * 1. `planShedFast` takes the miners whose sleep costs the agent least per watt it removes:
 *    client cost of one sleep by firmware (below) over the miner's drop, cheapest first (ties:
 *    least efficient, then id). The meter reaches the target sooner because the agent spends
 *    its time on one-exchange sleeps rather than on Whatsminer AES or Antminer web requests.
 * 2. Once the meter confirms, `planSwap` moves the shed toward least-efficient-first: it
 *    pairs the most efficient sleeping miners with awake ones that are less efficient, sleeps
 *    those first, and wakes a sleeper only when the acked new sleeps cover its drop
 *    (`coveredWakes`), so the shed never falls below what was confirmed.
 *
 * `sleepPlan: 'efficient'` (EngineOptions) keeps the plain least-efficient-first plan.
 */
export type SleepPlanOrder = 'fast' | 'efficient';

/**
 * Client CPU of one sleep per firmware, ms: the earlier 50k-miner benchmark's per-dialect
 * figures on this 2-core machine (Braiins 0.09, Avalon 0.11–0.20, LuxOS 0.38–0.52, Antminer
 * 0.95–1.03, Whatsminer 1.9–3.1; upper ends here). Only their order and rough ratio matter:
 * `npm run bench curtail` prints the current ones.
 */
export const SLEEP_COST_MS: Readonly<Record<Firmware, number>> = { braiins: 0.1, avalon: 0.2, luxos: 0.5, antminer: 1.0, whatsminer: 3.0 };
const UNKNOWN_COST_MS = Math.max(...Object.values(SLEEP_COST_MS));

export const cheapestPerWattFirst: MinerRank = (a, b) => {
  const cost = (c: Parameters<MinerRank>[0]) => (c.m.firmware === undefined ? UNKNOWN_COST_MS : SLEEP_COST_MS[c.m.firmware]) / (c.powerW - c.m.sleepPowerW);
  return cost(a) - cost(b) || leastEfficientFirst(a, b);
};

export function planShedFast(request: ShedRequest, state: ShedState): ShedPlan {
  return planShed(request, state, cheapestPerWattFirst);
}

export function planSleeps(order: SleepPlanOrder, request: ShedRequest, state: ShedState): ShedPlan {
  return order === 'fast' ? planShedFast(request, state) : planShed(request, state);
}

/** A miner the event holds asleep, as the swap needs it. */
export interface SwapSleeper {
  deviceId: string;
  blockId: string;
  /** What its sleep removed, W (its wake puts this back). */
  dropW: number;
  efficiencyJPerTh: number;
}

export interface Swap {
  /** Awake, less efficient miners to sleep first. */
  sleeps: DeviceCommand[];
  /** Sleeping, more efficient miners to wake once the sleeps cover them, in that order. */
  wakes: DeviceCommand[];
}

/**
 * Pairs sleepers (most efficient first) with awake candidates (least efficient first, from
 * `state`, which must leave out every device an event holds): candidates strictly less
 * efficient than the sleeper are added until their drops cover the sleeper's, then the
 * sleeper is to be woken. Sleeps that would cover no whole wake are not made.
 */
export function planSwap(sleepers: readonly SwapSleeper[], state: ShedState): Swap {
  const candidates = state.miners
    .filter((m) => m.online && Number.isFinite(m.powerW) && m.powerW > m.sleepPowerW)
    .map((m) => ({ m, powerW: m.powerW }))
    .sort(leastEfficientFirst);
  const ordered = [...sleepers].sort((a, b) => a.efficiencyJPerTh - b.efficiencyJPerTh || byId(a.deviceId, b.deviceId));
  const sleeps: DeviceCommand[] = [];
  const wakes: DeviceCommand[] = [];
  let sleepW = 0;
  let wakeW = 0;
  let committed = 0;
  let next = 0;
  for (const s of ordered) {
    while (sleepW - wakeW < s.dropW && next < candidates.length && candidates[next]!.m.efficiencyJPerTh > s.efficiencyJPerTh) {
      const { m, powerW } = candidates[next++]!;
      const dropW = powerW - m.sleepPowerW;
      sleeps.push({ deviceId: m.id, blockId: m.blockId, action: 'sleep', expectedDeltaW: -dropW });
      sleepW += dropW;
    }
    if (sleepW - wakeW < s.dropW) break;
    wakes.push({ deviceId: s.deviceId, blockId: s.blockId, action: 'wake', expectedDeltaW: s.dropW });
    wakeW += s.dropW;
    committed = sleeps.length;
  }
  return { sleeps: sleeps.slice(0, committed), wakes };
}

/** The wakes, in order, whose drops the acked swap sleeps (W removed) cover. */
export function coveredWakes(wakes: readonly DeviceCommand[], ackedSleepW: number): DeviceCommand[] {
  const out: DeviceCommand[] = [];
  let used = 0;
  for (const w of wakes) {
    if (used + w.expectedDeltaW > ackedSleepW + 1e-3) break;
    out.push(w);
    used += w.expectedDeltaW;
  }
  return out;
}
