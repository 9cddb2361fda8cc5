import { integerAtLeast, nonNegative } from '../lib/guard.ts';

/**
 * The under-frequency trigger over a meter's frequency readings, in time order: trip when the
 * frequency is below `tripHz` for `tripCount` consecutive readings; once tripped, release when
 * it has stayed at or above `releaseHz` for `releaseHoldMs`. A reading that is missing, not a
 * number, outside the plausible range (a dead meter reads 0 Hz) or older than the last one is
 * unknown: it neither trips nor releases, and it breaks both streaks, so a gap can never
 * complete a trip count nor a release hold.
 */

export interface UnderFrequencyParams {
  /** Default 59.7 Hz (ERCOT Responsive Reserve trip). */
  tripHz: number;
  /** Consecutive low readings to trip; default 1. */
  tripCount: number;
  /** Default 59.9 Hz. */
  releaseHz: number;
  /** How long the frequency must hold at or above releaseHz; default 60 s (our choice). */
  releaseHoldMs: number;
  /** Readings outside [min, max] Hz are unknown; default [50, 70] for a 60 Hz grid. */
  plausibleHz: readonly [number, number];
}

export const DEFAULT_UNDER_FREQUENCY: Readonly<UnderFrequencyParams> = Object.freeze({
  tripHz: 59.7,
  tripCount: 1,
  releaseHz: 59.9,
  releaseHoldMs: 60_000,
  plausibleHz: [50, 70] as const,
});

export interface FrequencyReading {
  atMs: number;
  /** undefined or null when the meter gave no value. */
  hz: number | null | undefined;
}

export interface UnderFrequencyState {
  readonly params: UnderFrequencyParams;
  readonly tripped: boolean;
  /** Consecutive readings below tripHz. */
  readonly lowCount: number;
  /** Start of the current run of readings at or above releaseHz, while tripped. */
  readonly healthySinceMs: number | null;
  readonly lastAtMs: number | null;
}

export type UnderFrequencyAction = 'trip' | 'release' | 'hold';

export interface UnderFrequencyStep {
  state: UnderFrequencyState;
  action: UnderFrequencyAction;
  /** True when the reading was unknown (and so ignored). */
  unknown: boolean;
}

export function underFrequencyState(params: Partial<UnderFrequencyParams> = {}): UnderFrequencyState {
  const p: UnderFrequencyParams = { ...DEFAULT_UNDER_FREQUENCY, ...params };
  const fn = 'underFrequencyState';
  integerAtLeast(fn, 'tripCount', p.tripCount, 1);
  nonNegative(fn, 'releaseHoldMs', p.releaseHoldMs);
  const [lo, hi] = p.plausibleHz;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < p.tripHz && p.tripHz <= p.releaseHz && p.releaseHz < hi)) {
    throw new RangeError(`${fn}: need plausible min < tripHz ≤ releaseHz < plausible max, got ${lo} < ${p.tripHz} ≤ ${p.releaseHz} < ${hi}`);
  }
  return { params: p, tripped: false, lowCount: 0, healthySinceMs: null, lastAtMs: null };
}

export function stepUnderFrequency(state: UnderFrequencyState, reading: FrequencyReading): UnderFrequencyStep {
  const p = state.params;
  const hz = reading.hz;
  const inOrder = Number.isFinite(reading.atMs) && (state.lastAtMs === null || reading.atMs > state.lastAtMs);
  if (!inOrder || typeof hz !== 'number' || !Number.isFinite(hz) || hz < p.plausibleHz[0] || hz > p.plausibleHz[1]) {
    const lastAtMs = inOrder ? reading.atMs : state.lastAtMs;
    return { state: { ...state, lowCount: 0, healthySinceMs: null, lastAtMs }, action: 'hold', unknown: true };
  }
  const lowCount = hz < p.tripHz ? state.lowCount + 1 : 0;
  if (!state.tripped) {
    const tripped = lowCount >= p.tripCount;
    return { state: { ...state, tripped, lowCount, healthySinceMs: null, lastAtMs: reading.atMs }, action: tripped ? 'trip' : 'hold', unknown: false };
  }
  const healthySinceMs = hz >= p.releaseHz ? (state.healthySinceMs ?? reading.atMs) : null;
  const release = healthySinceMs !== null && reading.atMs - healthySinceMs >= p.releaseHoldMs;
  return {
    state: { ...state, tripped: !release, lowCount: release ? 0 : lowCount, healthySinceMs: release ? null : healthySinceMs, lastAtMs: reading.atMs },
    action: release ? 'release' : 'hold',
    unknown: false,
  };
}
