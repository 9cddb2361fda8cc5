import type { DeviceCommand } from '../agent-contract/device-command.ts';
import { finishPlan, planShed, requiredShedW, type Replan, type ShedPlan, type ShedRequest } from './shed-plan.ts';
import type { MinerState, ShedState } from './shed-state.ts';

/**
 * The hard-cut shed plan (emergencies): the fewest commands that meet the target. Pure.
 *
 * A PDU outlet or relay coil removes the live draw of every miner behind it with one command,
 * so channels come first. Taking the largest channels until one channel could cover what is
 * left, then the smallest channel that does, uses exactly as many channels as the k largest
 * need (the least k whose sum meets the need) and overshoots least at that count. What the
 * channels cannot cover (no channels left, miners behind none) falls back to miner sleeps in
 * the sleep plan's order (shed-plan.ts).
 *
 * A channel is skipped when any miner behind it is not in the state (owned by another event,
 * or unknown to the catalog: cutting it would take a device this event may not hold), or when
 * it is in `skip` (already commanded). Offline miners count 0 W: offline is not a draw.
 */

export interface HardCutChannel {
  id: string;
  actuatorId: string;
  blockId: string;
  minerIds: readonly string[];
}

interface Candidate {
  ch: HardCutChannel;
  dropW: number;
}

const EPSILON_W = 1e-3;

export function planHardCut(request: ShedRequest, state: ShedState, channels: readonly HardCutChannel[], skip: ReadonlySet<string> = new Set()): ShedPlan {
  const needW = requiredShedW(request, state.siteLoadW);
  return finishPlan(needW, request.allowAi, commandsFor(needW, request.allowAi, state, channels, skip), []);
}

/**
 * Moves the share of failed commands (an outlet that did not switch, a miner that did not
 * sleep) onto more channels, then sleeps. Commands already sent stay.
 */
export function replanHardCut(plan: ShedPlan, failedDeviceIds: Iterable<string>, state: ShedState, channels: readonly HardCutChannel[]): Replan {
  const failed = new Set(failedDeviceIds);
  const excluded = new Set([...plan.excludedDeviceIds, ...failed]);
  const kept: DeviceCommand[] = [];
  const dropped: DeviceCommand[] = [];
  let keptW = 0;
  for (const c of plan.commands) {
    if (failed.has(c.deviceId)) dropped.push(c);
    else {
      kept.push(c);
      keptW -= c.expectedDeltaW;
    }
  }
  const skip = new Set([...excluded, ...kept.map((c) => c.deviceId)]);
  // A miner behind a failed channel may still be on: it can be slept instead, unless kept.
  const liveState: ShedState = { ...state, miners: state.miners.filter((m) => !skip.has(m.id)) };
  const added = commandsFor(Math.max(0, plan.requiredShedW - keptW), plan.allowAi, liveState, channels, skip);
  return { ...finishPlan(plan.requiredShedW, plan.allowAi, [...kept, ...added], [...excluded].sort()), added, dropped };
}

function commandsFor(needW: number, allowAi: boolean, state: ShedState, channels: readonly HardCutChannel[], skip: ReadonlySet<string>): DeviceCommand[] {
  if (needW <= EPSILON_W) return [];
  const byId = new Map<string, MinerState>(state.miners.map((m) => [m.id, m]));
  const candidates: Candidate[] = [];
  for (const ch of channels) {
    if (skip.has(ch.id)) continue;
    let dropW = 0;
    let whole = true;
    for (const id of ch.minerIds) {
      const m = byId.get(id);
      if (m === undefined || skip.has(id)) {
        whole = false;
        break;
      }
      dropW += Number.isFinite(m.powerW) ? m.powerW : 0;
    }
    if (whole && dropW > EPSILON_W) candidates.push({ ch, dropW });
  }
  // Largest first; ties by id so a plan is reproducible.
  candidates.sort((a, b) => b.dropW - a.dropW || (a.ch.id < b.ch.id ? -1 : a.ch.id > b.ch.id ? 1 : 0));
  const commands: DeviceCommand[] = [];
  const cut = new Set<string>();
  let remainingW = needW;
  let i = 0;
  while (remainingW > EPSILON_W && i < candidates.length) {
    const largest = candidates[i] as Candidate;
    let pick = largest;
    let at = i;
    if (largest.dropW >= remainingW) {
      // One channel finishes it: the smallest that does (candidates are sorted, so scan down).
      for (let j = i; j < candidates.length && (candidates[j] as Candidate).dropW >= remainingW; j++) at = j;
      pick = candidates[at] as Candidate;
    }
    candidates.splice(at, 1);
    commands.push({ deviceId: pick.ch.id, blockId: pick.ch.blockId, action: 'power-off', expectedDeltaW: -pick.dropW });
    for (const id of pick.ch.minerIds) cut.add(id);
    remainingW -= pick.dropW;
    if (at !== i) break;
  }
  if (remainingW > EPSILON_W) {
    const rest: ShedState = { ...state, miners: state.miners.filter((m) => !cut.has(m.id) && !skip.has(m.id)) };
    commands.push(...planShed({ shedMw: remainingW / 1e6, allowAi }, rest).commands);
  }
  return commands;
}
