import { ContextError } from '../lib/errors.ts';
import { nonNegative } from '../lib/guard.ts';
import type { DeviceCommand } from '../agent-contract/device-command.ts';
import type { GpuHostState, MinerState, ShedState } from './shed-state.ts';

/**
 * The shed plan: from a target to an ordered list of device commands. Pure.
 *
 * Order: the least efficient ASICs (highest J/TH, ties by id) are slept whole, one after the
 * other, while the remaining need covers a whole sleep. The first miner whose sleep would
 * overshoot is trimmed with a power target inside its allowed range when that covers the
 * rest; otherwise it is slept (a sleep is the surer command, and the overshoot is under one
 * miner). Only when every ASIC is asleep, and only for an event that allows it, are AI hosts
 * capped, each within its contract's flexibility and never below its floor.
 *
 * Device draw is counted at the device; facility overhead the shed also saves is not
 * credited, so the meter should see at least the plan.
 */

export type ShedTarget = { targetMw: number } | { shedMw: number };

export type ShedRequest = ShedTarget & {
  /** Whether the event may cap flexible AI load. */
  allowAi: boolean;
};

export interface BlockShed {
  expectedShedW: number;
  commandCount: number;
}

export interface ShedPlan {
  /** What the plan was asked to remove, W. */
  requiredShedW: number;
  allowAi: boolean;
  commands: DeviceCommand[];
  /** Sum of the commands' expected drops, W (≥ requiredShedW unless short). */
  expectedShedW: number;
  /** Need the site could not cover, W. */
  shortfallW: number;
  byBlock: Record<string, BlockShed>;
  /** Devices that failed a command and are not planned again. */
  excludedDeviceIds: string[];
}

export interface Replan extends ShedPlan {
  /** Commands to send now (new devices, or a changed command for a device). */
  added: DeviceCommand[];
  /**
   * Commands of the old plan no longer in it: failed devices, and trims or caps replaced by a
   * deeper command in `added` (or, if devices earlier in the order came back online, by none:
   * such a device is one to restore).
   */
  dropped: DeviceCommand[];
}

export class ShedPlanError extends ContextError {
  constructor(message: string) {
    super('E_SHED_PLAN', message);
    this.name = 'ShedPlanError';
  }
}

/** Below a milliwatt the need is met: sums of real readings rarely land on exact zero. */
const EPSILON_W = 1e-3;
const W_PER_MW = 1e6;

/** W needed to remove for a request given the live site load. */
export function requiredShedW(target: ShedTarget, siteLoadW: number): number {
  if ('targetMw' in target && 'shedMw' in target) throw new ShedPlanError('give targetMw or shedMw, not both');
  if ('shedMw' in target) return mwToW(nonNegative('requiredShedW', 'shedMw', target.shedMw));
  const targetW = mwToW(nonNegative('requiredShedW', 'targetMw', target.targetMw));
  if (!Number.isFinite(siteLoadW) || siteLoadW < 0) {
    throw new ShedPlanError(`a target load needs the revenue meter's site load, got ${siteLoadW}`);
  }
  return Math.max(0, siteLoadW - targetW);
}

/** The order miners are taken in; `leastEfficientFirst` unless a planner says otherwise. */
export type MinerRank = (a: MinerCandidate, b: MinerCandidate) => number;

export const leastEfficientFirst: MinerRank = (a, b) => b.m.efficiencyJPerTh - a.m.efficiencyJPerTh || byId(a.m.id, b.m.id);

export function planShed(request: ShedRequest, state: ShedState, rank: MinerRank = leastEfficientFirst): ShedPlan {
  const needW = requiredShedW(request, state.siteLoadW);
  const commands = fill(needW, request.allowAi, state, new Set(), new Map(), rank);
  return finish(needW, request.allowAi, commands, []);
}

/**
 * Moves the share of devices whose command failed onto the next devices in the same order.
 * Sleeps already sent stay; a trim or a cap may be re-planned (deepened to a sleep, or a
 * deeper cap) from the device's draw before its command, so `state` may already show the
 * effect of the commands sent.
 */
export function replan(plan: ShedPlan, failedDeviceIds: Iterable<string>, state: ShedState): Replan {
  const failed = new Set(failedDeviceIds);
  const excluded = new Set([...plan.excludedDeviceIds, ...failed]);
  const kept = new Set<DeviceCommand>();
  const dropped: DeviceCommand[] = [];
  const commanded = new Set<string>();
  const drawBefore = new Map<string, number>();
  let keptShedW = 0;
  for (const c of plan.commands) {
    if (failed.has(c.deviceId)) {
      dropped.push(c);
    } else if (c.action === 'sleep') {
      kept.add(c);
      commanded.add(c.deviceId);
      keptShedW -= c.expectedDeltaW;
    } else if (c.targetW !== undefined) {
      drawBefore.set(c.deviceId, c.targetW - c.expectedDeltaW);
    } else {
      throw new ShedPlanError(`replan: command ${c.action} for ${c.deviceId} has no targetW`);
    }
  }
  const fresh = fill(Math.max(0, plan.requiredShedW - keptShedW), plan.allowAi, state, union(excluded, commanded), drawBefore);
  const freshById = new Map(fresh.map((c) => [c.deviceId, c]));
  const commands: DeviceCommand[] = [];
  for (const c of plan.commands) {
    if (kept.has(c)) {
      commands.push(c);
    } else if (drawBefore.has(c.deviceId)) {
      const again = freshById.get(c.deviceId);
      if (again !== undefined && again.action === c.action && again.targetW === c.targetW) {
        commands.push(c);
        freshById.delete(c.deviceId);
      } else {
        dropped.push(c);
      }
    }
  }
  const added = fresh.filter((c) => freshById.get(c.deviceId) === c);
  commands.push(...added);
  return { ...finish(plan.requiredShedW, plan.allowAi, commands, [...excluded].sort()), added, dropped };
}

export interface MinerCandidate {
  m: MinerState;
  /** Its draw before any command of this plan, W. */
  powerW: number;
}

interface GpuCandidate {
  h: GpuHostState;
  powerW: number;
  floorW: number;
}

function union(a: Set<string>, b: Set<string>): Set<string> {
  const out = new Set(a);
  for (const id of b) out.add(id);
  return out;
}

function fill(needW: number, allowAi: boolean, state: ShedState, skip: Set<string>, drawBefore: Map<string, number>, rank: MinerRank = leastEfficientFirst): DeviceCommand[] {
  const commands: DeviceCommand[] = [];
  let remainingW = needW;
  if (remainingW <= EPSILON_W) return commands;
  for (const { m, powerW } of minerOrder(state.miners, skip, drawBefore, rank)) {
    const sleepDropW = powerW - m.sleepPowerW;
    if (remainingW >= sleepDropW) {
      commands.push({ deviceId: m.id, blockId: m.blockId, action: 'sleep', expectedDeltaW: -sleepDropW });
      remainingW -= sleepDropW;
      if (remainingW <= EPSILON_W) return commands;
      continue;
    }
    // The boundary miner: trim it to the last watt when its range allows, else sleep it.
    const targetW = Math.min(m.maxPowerW, Math.floor(powerW - remainingW));
    if (m.canSetPowerTarget && targetW >= m.minPowerW && targetW < powerW) {
      commands.push({ deviceId: m.id, blockId: m.blockId, action: 'set-power-target', targetW, expectedDeltaW: targetW - powerW });
    } else {
      commands.push({ deviceId: m.id, blockId: m.blockId, action: 'sleep', expectedDeltaW: -sleepDropW });
    }
    return commands;
  }
  if (!allowAi) return commands;
  for (const { h, powerW, floorW } of gpuOrder(state, skip, drawBefore)) {
    const targetW = Math.max(floorW, Math.floor(powerW - remainingW));
    commands.push({ deviceId: h.id, blockId: h.blockId, action: 'gpu-power-cap', targetW, expectedDeltaW: targetW - powerW });
    remainingW -= powerW - targetW;
    if (remainingW <= EPSILON_W) break;
  }
  return commands;
}

/** Online miners with a known draw above their sleep draw, in `rank` order. */
function minerOrder(miners: readonly MinerState[], skip: Set<string>, drawBefore: Map<string, number>, rank: MinerRank): MinerCandidate[] {
  const seen = new Set<string>();
  const out: MinerCandidate[] = [];
  for (const m of miners) {
    if (seen.has(m.id)) throw new ShedPlanError(`miner ${m.id} appears twice in the site state`);
    seen.add(m.id);
    if (!m.online || skip.has(m.id)) continue;
    const powerW = drawBefore.get(m.id) ?? m.powerW;
    if (!Number.isFinite(powerW) || !(powerW > m.sleepPowerW)) continue;
    out.push({ m, powerW });
  }
  return out.sort(rank);
}

/** Online AI hosts with room above their floor, by id. */
function gpuOrder(state: ShedState, skip: Set<string>, drawBefore: Map<string, number>): GpuCandidate[] {
  const pctByContract = new Map<string, number>();
  for (const c of state.contracts) if (c.flexibility !== undefined) pctByContract.set(c.id, c.flexibility.maxCurtailPct);
  const out: GpuCandidate[] = [];
  for (const h of state.gpuHosts) {
    if (!h.online || skip.has(h.id) || h.contractId === undefined) continue;
    const pct = pctByContract.get(h.contractId);
    const powerW = drawBefore.get(h.id) ?? h.powerW;
    if (pct === undefined || !(pct > 0) || !Number.isFinite(powerW)) continue;
    const floorW = Math.ceil(Math.max(h.minCapW, powerW * (1 - Math.min(pct, 100) / 100)));
    if (floorW < powerW) out.push({ h, powerW, floorW });
  }
  return out.sort((a, b) => byId(a.h.id, b.h.id));
}

function finish(needW: number, allowAi: boolean, commands: DeviceCommand[], excludedDeviceIds: string[]): ShedPlan {
  let shedW = 0;
  const byBlock: Record<string, BlockShed> = {};
  for (const c of commands) {
    shedW -= c.expectedDeltaW;
    const b = (byBlock[c.blockId] ??= { expectedShedW: 0, commandCount: 0 });
    b.expectedShedW = roundMilliwatt(b.expectedShedW - c.expectedDeltaW);
    b.commandCount += 1;
  }
  const expectedShedW = roundMilliwatt(shedW);
  const shortfallW = needW - expectedShedW > EPSILON_W ? roundMilliwatt(needW - expectedShedW) : 0;
  return { requiredShedW: needW, allowAi, commands, expectedShedW, shortfallW, byBlock: sortedKeys(byBlock), excludedDeviceIds };
}

function sortedKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as T;
  return out;
}

export function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function mwToW(mw: number): number {
  return roundMilliwatt(mw * W_PER_MW);
}

function roundMilliwatt(w: number): number {
  return Math.round(w * 1000) / 1000;
}

/** The plan's totals from its commands (shared with the hard-cut planner, shed-plan-hard.ts). */
export { finish as finishPlan };
