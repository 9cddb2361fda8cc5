import { nonNegative, positive } from '../lib/guard.ts';
import type { DeviceCommand } from '../agent-contract/device-command.ts';
import { Heap } from './heap.ts';

/**
 * The ramp-limited restore: when shed devices come back, in waves. Pure.
 *
 * - AI hosts come back first (their contract pays for uptime), then miners, most efficient
 *   first (ties by id).
 * - A slept miner wakes no earlier than `minOffMs` after it was slept; trims and caps have
 *   no off time.
 * - Waves are `staggerMs` apart at least, and each holds at most what the ramp allows over one
 *   stagger (rampMwPerMin × staggerMs). After a wave the next waits until the ramp has paid
 *   for it: t[k+1] − t[k] ≥ max(staggerMs, wave W / ramp). A single device larger than one
 *   wave's budget goes alone, and the wait after it stretches to match.
 * - A wave never skips ahead of a more efficient device that is eligible but does not fit.
 * - With a hysteresis, nothing is planned while the trigger is still inside its band.
 * - Missing data never throws (a restore that throws leaves miners off): each device gets a
 *   stated fallback in `fallbacks`. A miner without a catalog efficiency comes back after the
 *   ones with one; a device whose draw is unknown comes back alone in its wave (its size is
 *   unknown, so the ramp cannot pay for it with others); a trim or cap with no known target to
 *   put back is left out, listed in `unplanned` with the reason (the engine records it as a
 *   failed restore, so the event does not close silently).
 */

export interface ShedDevice {
  deviceId: string;
  blockId: string;
  /** How it was shed; decides the restore command (wake, power target, cap). */
  shedAction: 'sleep' | 'set-power-target' | 'gpu-power-cap' | 'power-off';
  /** Draw before the event, W. */
  preEventW: number;
  /** Draw now (sleep draw, trimmed or capped draw), W. */
  currentW: number;
  /** For a trim or a cap: the target or cap to put back, W (an AI host's own power limit, not its draw). Default preEventW. */
  restoreTargetW?: number;
  shedAtMs: number;
  /** J/TH; needed for miners, ignored for AI hosts. */
  efficiencyJPerTh?: number;
}

/**
 * The trigger and its band. tripsWhen 'above' (a price): restore only once value ≤ threshold −
 * bandWidth. tripsWhen 'below' (a frequency): restore only once value ≥ threshold + bandWidth.
 */
export interface Hysteresis {
  value: number;
  threshold: number;
  bandWidth: number;
  tripsWhen: 'above' | 'below';
}

export interface RestoreParams {
  nowMs: number;
  rampMwPerMin: number;
  minOffMs: number;
  staggerMs: number;
  hysteresis?: Hysteresis;
}

export interface RestoreWave {
  atMs: number;
  commands: DeviceCommand[];
  /** Expected rise of the site load, W. */
  deltaW: number;
}

export interface RestorePlan {
  waves: RestoreWave[];
  totalW: number;
  /** Time of the last wave; null when nothing is planned. */
  finishMs: number | null;
  /** Why nothing is planned yet (hysteresis); absent when the plan may run. */
  blockedReason?: string;
  /** Devices planned on a fallback, with what was missing and what was done instead. */
  fallbacks: DeviceNote[];
  /** Devices no restore command could be made for, with why. */
  unplanned: DeviceNote[];
}

export interface DeviceNote {
  deviceId: string;
  reason: string;
}

interface Item {
  d: ShedDevice;
  deltaW: number;
  eligibleMs: number;
  rank: number;
  efficiency: number;
  /** Draw unknown: goes alone in its wave. */
  alone: boolean;
}

const MS_PER_MIN = 60_000;
const W_PER_MW = 1e6;

export function hysteresisBlocks(h: Hysteresis): string | undefined {
  nonNegative('hysteresisBlocks', 'bandWidth', h.bandWidth);
  if (!Number.isFinite(h.value)) return `trigger value unknown (${h.value})`;
  if (h.tripsWhen === 'above' && h.value > h.threshold - h.bandWidth) {
    return `trigger ${h.value} is above ${h.threshold - h.bandWidth} (threshold ${h.threshold} − band ${h.bandWidth})`;
  }
  if (h.tripsWhen === 'below' && h.value < h.threshold + h.bandWidth) {
    return `trigger ${h.value} is below ${h.threshold + h.bandWidth} (threshold ${h.threshold} + band ${h.bandWidth})`;
  }
  return undefined;
}

export function planRestore(devices: readonly ShedDevice[], params: RestoreParams): RestorePlan {
  const fn = 'planRestore';
  nonNegative(fn, 'nowMs', params.nowMs);
  positive(fn, 'rampMwPerMin', params.rampMwPerMin);
  nonNegative(fn, 'minOffMs', params.minOffMs);
  positive(fn, 'staggerMs', params.staggerMs);
  if (params.hysteresis !== undefined) {
    const blockedReason = hysteresisBlocks(params.hysteresis);
    if (blockedReason !== undefined) return { waves: [], totalW: 0, finishMs: null, blockedReason, fallbacks: [], unplanned: [] };
  }
  const rampWPerMs = (params.rampMwPerMin * W_PER_MW) / MS_PER_MIN;
  const budgetW = rampWPerMs * params.staggerMs;

  const fallbacks: DeviceNote[] = [];
  const unplanned: DeviceNote[] = [];
  const items = devices
    .map((d) => toItem(d, params.minOffMs, params.nowMs, fallbacks, unplanned))
    .filter((i): i is Item => i !== undefined)
    .sort((a, b) => a.eligibleMs - b.eligibleMs);
  const ready = new Heap<Item>((a, b) => restoreOrder(a, b) < 0);
  const waves: RestoreWave[] = [];
  let totalW = 0;
  let next = 0;
  let t = params.nowMs;
  while (next < items.length || ready.size > 0) {
    while (next < items.length && (items[next] as Item).eligibleMs <= t) ready.push(items[next++] as Item);
    if (ready.size === 0) {
      t = Math.max(t, (items[next] as Item).eligibleMs);
      continue;
    }
    const commands: DeviceCommand[] = [];
    let waveW = 0;
    for (let top = ready.peek(); top !== undefined && (commands.length === 0 || (!top.alone && waveW + top.deltaW <= budgetW)); top = ready.peek()) {
      ready.pop();
      commands.push(restoreCommand(top));
      waveW += top.alone ? budgetW : top.deltaW;
      if (top.alone) break;
    }
    waves.push({ atMs: t, commands, deltaW: waveW });
    totalW += waveW;
    t += Math.max(params.staggerMs, Math.ceil(waveW / rampWPerMs));
  }
  const last = waves[waves.length - 1];
  return { waves, totalW, finishMs: last === undefined ? null : last.atMs, fallbacks, unplanned };
}

function toItem(d: ShedDevice, minOffMs: number, nowMs: number, fallbacks: DeviceNote[], unplanned: DeviceNote[]): Item | undefined {
  if (d.shedAction === 'power-off') {
    unplanned.push({ deviceId: d.deviceId, reason: 'a powered-off outlet or coil comes back through planPowerOn (inrush limits), not a wake' });
    return undefined;
  }
  const notes: string[] = [];
  const isGpu = d.shedAction === 'gpu-power-cap';
  const drawKnown = Number.isFinite(d.preEventW) && Number.isFinite(d.currentW);
  if (!drawKnown) notes.push(`draw unknown (before ${d.preEventW} W, now ${d.currentW} W): restored alone in its wave`);
  if (d.shedAction !== 'sleep') {
    const target = d.restoreTargetW ?? d.preEventW;
    if (!Number.isFinite(target) || target <= 0) {
      unplanned.push({ deviceId: d.deviceId, reason: `no ${isGpu ? 'cap' : 'power target'} known to put back (restore target ${String(d.restoreTargetW)}, draw before ${d.preEventW} W)` });
      return undefined;
    }
  }
  let efficiency = isGpu ? 0 : d.efficiencyJPerTh;
  if (efficiency === undefined || !Number.isFinite(efficiency)) {
    notes.push('no catalog efficiency: restored after the miners with one');
    efficiency = Number.POSITIVE_INFINITY;
  }
  let shedAtMs = d.shedAtMs;
  if (!Number.isFinite(shedAtMs)) {
    notes.push(`shed time unknown (${shedAtMs}): min-off counted from now`);
    shedAtMs = nowMs;
  }
  if (notes.length) fallbacks.push({ deviceId: d.deviceId, reason: notes.join('; ') });
  return {
    d,
    deltaW: drawKnown ? Math.max(0, d.preEventW - d.currentW) : 0,
    eligibleMs: d.shedAction === 'sleep' ? shedAtMs + minOffMs : shedAtMs,
    rank: isGpu ? 0 : 1,
    efficiency,
    alone: !drawKnown,
  };
}

function restoreOrder(a: Item, b: Item): number {
  return a.rank - b.rank || a.efficiency - b.efficiency || (a.d.deviceId < b.d.deviceId ? -1 : a.d.deviceId > b.d.deviceId ? 1 : 0);
}

function restoreCommand(i: Item): DeviceCommand {
  const { d } = i;
  if (d.shedAction === 'sleep') return { deviceId: d.deviceId, blockId: d.blockId, action: 'wake', expectedDeltaW: i.deltaW };
  return { deviceId: d.deviceId, blockId: d.blockId, action: d.shedAction, targetW: d.restoreTargetW ?? d.preEventW, expectedDeltaW: i.deltaW };
}

/**
 * An outlet or coil a hard cut opened: what comes back when it closes. `nameplateW` (the
 * miners' nameplate) sizes the inrush step; `returnW` (the draw it cut) is the load the ramp
 * pays for.
 */
export interface PoweredOffChannel {
  deviceId: string;
  blockId: string;
  actuatorId: string;
  nameplateW: number;
  returnW: number;
  shedAtMs: number;
}

/** An actuator's inrush limit: nameplate W switched on per step, steps this far apart. */
export interface InrushStep {
  maxStepW: number;
  stepIntervalMs: number;
}

export interface PowerOnParams {
  nowMs: number;
  /** By actuator id; an actuator without one is a planning error (the site file or profile must give it). */
  limits: ReadonlyMap<string, InrushStep>;
  minOffMs: number;
  /** The site's restore ramp, MW/min, paid by `returnW`; absent: inrush limits only. */
  rampMwPerMin?: number;
}

/**
 * Power-on after a hard cut, staggered within each breaker's or PDU's inrush limit. Pure.
 *
 * Each actuator's channels (by id) are packed into steps of at most `maxStepW` nameplate; its
 * steps are at least `stepIntervalMs` apart. Actuators step in parallel (each is its own
 * breaker). Steps due at the same moment form one wave; with a site ramp, a wave waits until
 * the ramp has paid for the one before (as planRestore does), and an actuator's next step never
 * comes sooner than its interval after its last. A channel larger than its limit goes alone
 * (noted in `fallbacks`); an actuator without a limit cannot be planned (`unplanned`).
 */
export function planPowerOn(channels: readonly PoweredOffChannel[], params: PowerOnParams): RestorePlan {
  const fn = 'planPowerOn';
  nonNegative(fn, 'nowMs', params.nowMs);
  nonNegative(fn, 'minOffMs', params.minOffMs);
  if (params.rampMwPerMin !== undefined) positive(fn, 'rampMwPerMin', params.rampMwPerMin);
  const fallbacks: DeviceNote[] = [];
  const unplanned: DeviceNote[] = [];
  const byActuator = new Map<string, PoweredOffChannel[]>();
  for (const c of channels) {
    if (!params.limits.has(c.actuatorId)) {
      unplanned.push({ deviceId: c.deviceId, reason: `no inrush limit for ${c.actuatorId} (site file actuators[].inrush or the profile's)` });
      continue;
    }
    let list = byActuator.get(c.actuatorId);
    if (list === undefined) byActuator.set(c.actuatorId, (list = []));
    list.push(c);
  }
  interface Step {
    actuatorId: string;
    dueMs: number;
    channels: PoweredOffChannel[];
  }
  const steps: Step[] = [];
  for (const [actuatorId, list] of byActuator) {
    const limit = params.limits.get(actuatorId) as InrushStep;
    list.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
    const eligibleMs = Math.max(params.nowMs, ...list.map((c) => (Number.isFinite(c.shedAtMs) ? c.shedAtMs : params.nowMs) + params.minOffMs));
    let current: PoweredOffChannel[] = [];
    let currentW = 0;
    const packed: PoweredOffChannel[][] = [];
    for (const c of list) {
      const w = Number.isFinite(c.nameplateW) && c.nameplateW > 0 ? c.nameplateW : limit.maxStepW;
      if (!(Number.isFinite(c.nameplateW) && c.nameplateW > 0)) fallbacks.push({ deviceId: c.deviceId, reason: `nameplate unknown (${c.nameplateW} W): switched on alone` });
      else if (w > limit.maxStepW) fallbacks.push({ deviceId: c.deviceId, reason: `${w} W behind it exceeds ${actuatorId}'s ${limit.maxStepW} W step: switched on alone` });
      if (current.length > 0 && currentW + w > limit.maxStepW) {
        packed.push(current);
        current = [];
        currentW = 0;
      }
      current.push(c);
      currentW += w;
    }
    if (current.length > 0) packed.push(current);
    packed.forEach((p, k) => steps.push({ actuatorId, dueMs: eligibleMs + k * limit.stepIntervalMs, channels: p }));
  }
  steps.sort((a, b) => a.dueMs - b.dueMs || (a.actuatorId < b.actuatorId ? -1 : 1));
  const rampWPerMs = params.rampMwPerMin === undefined ? undefined : (params.rampMwPerMin * W_PER_MW) / MS_PER_MIN;
  const lastStepMs = new Map<string, number>();
  const waves: RestoreWave[] = [];
  let totalW = 0;
  let earliestMs = params.nowMs;
  for (const s of steps) {
    const interval = (params.limits.get(s.actuatorId) as InrushStep).stepIntervalMs;
    const last = lastStepMs.get(s.actuatorId);
    const atMs = Math.max(s.dueMs, earliestMs, last === undefined ? 0 : last + interval);
    lastStepMs.set(s.actuatorId, atMs);
    const w = s.channels.reduce((sum, c) => sum + (Number.isFinite(c.returnW) ? Math.max(0, c.returnW) : 0), 0);
    let wave = waves[waves.length - 1];
    if (wave === undefined || wave.atMs !== atMs) {
      // The ramp pays for the wave before this one before this one starts.
      if (wave !== undefined && rampWPerMs !== undefined && atMs < wave.atMs + Math.ceil(wave.deltaW / rampWPerMs)) {
        const later = wave.atMs + Math.ceil(wave.deltaW / rampWPerMs);
        lastStepMs.set(s.actuatorId, later);
        wave = { atMs: later, commands: [], deltaW: 0 };
      } else {
        wave = { atMs, commands: [], deltaW: 0 };
      }
      waves.push(wave);
      earliestMs = wave.atMs;
    }
    for (const c of s.channels) wave.commands.push({ deviceId: c.deviceId, blockId: c.blockId, action: 'power-on', expectedDeltaW: Number.isFinite(c.returnW) ? Math.max(0, c.returnW) : 0 });
    wave.deltaW += w;
    totalW += w;
  }
  const last = waves[waves.length - 1];
  return { waves, totalW, finishMs: last === undefined ? null : last.atMs, fallbacks, unplanned };
}

/** Two restore plans as one: waves in time order, waves due at the same moment joined. */
export function mergeRestorePlans(x: RestorePlan, y: RestorePlan): RestorePlan {
  if (y.waves.length === 0 && y.fallbacks.length === 0 && y.unplanned.length === 0) return x;
  const byTime = new Map<number, RestoreWave>();
  for (const w of [...x.waves, ...y.waves]) {
    const at = byTime.get(w.atMs);
    if (at === undefined) byTime.set(w.atMs, { atMs: w.atMs, commands: [...w.commands], deltaW: w.deltaW });
    else {
      at.commands.push(...w.commands);
      at.deltaW += w.deltaW;
    }
  }
  const waves = [...byTime.values()].sort((a, b) => a.atMs - b.atMs);
  const last = waves[waves.length - 1];
  return {
    waves,
    totalW: x.totalW + y.totalW,
    finishMs: last === undefined ? null : last.atMs,
    ...(x.blockedReason !== undefined ? { blockedReason: x.blockedReason } : {}),
    fallbacks: [...x.fallbacks, ...y.fallbacks],
    unplanned: [...x.unplanned, ...y.unplanned],
  };
}
