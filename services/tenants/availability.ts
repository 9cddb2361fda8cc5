import { ContextError } from '../lib/errors.ts';

/**
 * Monthly availability per the contract's definition (contract.ts Sla): the month is cut into
 * intervals; in each, each of the tenant's hosts is available when it reported at least once
 * and every report was within limits (answered, hottest GPU ≤ the limit). No report is
 * unavailable: the operator has to prove delivery, offline is not "probably fine".
 *
 *   availability % = 100 × Σ available host-intervals / (hosts × intervals in the month)
 *
 * Pure: reports come in, a number comes out.
 */
export interface HostReport {
  host: string;
  atMs: number;
  /** Hottest GPU of the host at this report, °C; undefined when not reported. */
  maxGpuTempC: number | undefined;
  /** false when the host answered but its GPUs were not usable (all offline / error). */
  up: boolean;
}

export interface AvailabilityInput {
  startMs: number;
  endMs: number;
  intervalMinutes: number;
  maxGpuTempC: number;
  hosts: readonly string[];
  reports: Iterable<HostReport>;
}

export interface Availability {
  availabilityPct: number;
  intervals: number;
  hostIntervals: number;
  availableHostIntervals: number;
  /** Host-intervals lost, by cause. */
  lost: { noReport: number; down: number; tooHot: number };
}

export function availability(input: AvailabilityInput): Availability {
  const stepMs = input.intervalMinutes * 60_000;
  const span = input.endMs - input.startMs;
  if (!(span > 0) || span % stepMs !== 0) {
    throw new ContextError('E_AVAILABILITY', `availability window of ${span} ms is not a whole number of ${input.intervalMinutes}-minute intervals`);
  }
  const intervals = span / stepMs;
  const hostIndex = new Map(input.hosts.map((h, i) => [h, i]));
  // 0: no report, 1: all reports good, 2: down seen, 3: too hot seen (down wins over hot).
  const state = new Uint8Array(input.hosts.length * intervals);
  for (const r of input.reports) {
    const h = hostIndex.get(r.host);
    if (h === undefined || r.atMs < input.startMs || r.atMs >= input.endMs) continue;
    const k = h * intervals + Math.floor((r.atMs - input.startMs) / stepMs);
    const bad = !r.up ? 2 : r.maxGpuTempC !== undefined && r.maxGpuTempC > input.maxGpuTempC ? 3 : 1;
    const cur = state[k] as number;
    if (cur === 0 || cur === 1) state[k] = bad;
    else if (cur === 3 && bad === 2) state[k] = 2;
  }
  const lost = { noReport: 0, down: 0, tooHot: 0 };
  let ok = 0;
  for (const s of state) {
    if (s === 1) ok++;
    else if (s === 0) lost.noReport++;
    else if (s === 2) lost.down++;
    else lost.tooHot++;
  }
  const hostIntervals = state.length;
  return {
    availabilityPct: hostIntervals === 0 ? 0 : (100 * ok) / hostIntervals,
    intervals,
    hostIntervals,
    availableHostIntervals: ok,
    lost,
  };
}
