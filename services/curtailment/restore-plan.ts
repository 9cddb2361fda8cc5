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
 */

export interface ShedDevice {
  deviceId: string;
  blockId: string;
  /** How it was shed; decides the restore command (wake, power target, cap). */
  shedAction: 'sleep' | 'set-power-target' | 'gpu-power-cap';
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
}

interface Item {
  d: ShedDevice;
  deltaW: number;
  eligibleMs: number;
  rank: number;
  efficiency: number;
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
    if (blockedReason !== undefined) return { waves: [], totalW: 0, finishMs: null, blockedReason };
  }
  const rampWPerMs = (params.rampMwPerMin * W_PER_MW) / MS_PER_MIN;
  const budgetW = rampWPerMs * params.staggerMs;

  const items = devices.map((d) => toItem(d, params.minOffMs)).sort((a, b) => a.eligibleMs - b.eligibleMs);
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
    for (let top = ready.peek(); top !== undefined && (commands.length === 0 || waveW + top.deltaW <= budgetW); top = ready.peek()) {
      ready.pop();
      commands.push(restoreCommand(top));
      waveW += top.deltaW;
    }
    waves.push({ atMs: t, commands, deltaW: waveW });
    totalW += waveW;
    t += Math.max(params.staggerMs, Math.ceil(waveW / rampWPerMs));
  }
  const last = waves[waves.length - 1];
  return { waves, totalW, finishMs: last === undefined ? null : last.atMs };
}

function toItem(d: ShedDevice, minOffMs: number): Item {
  const what = `planRestore: device ${d.deviceId}`;
  for (const [name, v] of [['preEventW', d.preEventW], ['currentW', d.currentW], ['shedAtMs', d.shedAtMs]] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`${what}: ${name} must be finite, got ${v}`);
  }
  const isGpu = d.shedAction === 'gpu-power-cap';
  const efficiency = isGpu ? 0 : d.efficiencyJPerTh;
  if (efficiency === undefined || !Number.isFinite(efficiency)) throw new RangeError(`${what}: a miner needs a finite efficiencyJPerTh, got ${efficiency}`);
  return {
    d,
    deltaW: Math.max(0, d.preEventW - d.currentW),
    eligibleMs: d.shedAction === 'sleep' ? d.shedAtMs + minOffMs : d.shedAtMs,
    rank: isGpu ? 0 : 1,
    efficiency,
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
