import { integerAtLeast } from '../lib/guard.ts';
import { EventRecordError, firstEntry, signalAtMs, type EventRecord, type MeterSample } from './event-record.ts';

/**
 * MW and MWh curtailed per settlement interval, from the revenue meter: baseline − load,
 * integrated by the trapezoid rule over the samples (the load linear between them, and
 * interpolated at interval boundaries), clipped at 0. The clip is exact within a step: where
 * the load crosses the baseline between two samples only the part below the baseline counts,
 * so the intervals always add up to the same energy however they cut the samples. Intervals
 * are aligned to the UTC clock. The measured span runs from the signal to the end of the event
 * (restore end, abort or failure; the last sample while it runs), within the samples: nothing
 * is extrapolated.
 */

export interface IntervalCurtailment {
  startMs: number;
  endMs: number;
  /** Part of the interval the meter samples and the event span cover, ms. */
  coveredMs: number;
  /** Energy over the interval's length: the settlement's mean MW. */
  curtailedMw: number;
  curtailedMwh: number;
}

const MS_PER_MIN = 60_000;
const MS_PER_HOUR = 3_600_000;
const W_PER_MW = 1e6;

/** Rounded to 1e-6 (1 W, 1 Wh): exact in the CSV, far finer than settlement needs. */
export function roundMicro(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function curtailedByInterval(record: EventRecord, intervalMinutes: number): IntervalCurtailment[] {
  integerAtLeast('curtailedByInterval', 'intervalMinutes', intervalMinutes, 1);
  const baseline = record.baselineW;
  if (baseline === null) throw new EventRecordError('E_EVENT_BASELINE', `event ${record.id}: no baseline yet, so no curtailment to measure`);
  const samples = record.meterSamples;
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined) return [];
  const endEntry = firstEntry(record, 'restore-end') ?? firstEntry(record, 'aborted') ?? firstEntry(record, 'failed');
  const fromMs = Math.max(signalAtMs(record), first.atMs);
  const toMs = Math.min(endEntry?.atMs ?? last.atMs, last.atMs);
  if (!(toMs > fromMs)) return [];

  const intervalMs = intervalMinutes * MS_PER_MIN;
  const out: IntervalCurtailment[] = [];
  const load = new LinearLoad(samples);
  for (let start = Math.floor(fromMs / intervalMs) * intervalMs; start < toMs; start += intervalMs) {
    const a = Math.max(start, fromMs);
    const b = Math.min(start + intervalMs, toMs);
    // Breakpoints: the span's ends and every sample strictly inside.
    let wMs = 0;
    let t0 = a;
    let c0 = baseline - load.at(a);
    for (const s of load.between(a, b)) {
      const c1 = baseline - s.loadW;
      wMs += clippedTrapezoid(c0, c1, s.atMs - t0);
      t0 = s.atMs;
      c0 = c1;
    }
    wMs += clippedTrapezoid(c0, baseline - load.at(b), b - t0);
    const mwh = wMs / MS_PER_HOUR / W_PER_MW;
    out.push({
      startMs: start,
      endMs: start + intervalMs,
      coveredMs: b - a,
      curtailedMw: roundMicro(mwh / (intervalMs / MS_PER_HOUR)),
      curtailedMwh: roundMicro(mwh),
    });
  }
  return out;
}

/** ∫ max(0, c) over a step where c runs linearly from c0 to c1 in dt. */
function clippedTrapezoid(c0: number, c1: number, dt: number): number {
  if (c0 >= 0 && c1 >= 0) return ((c0 + c1) / 2) * dt;
  if (c0 <= 0 && c1 <= 0) return 0;
  const positive = Math.max(c0, c1);
  // The positive side is a triangle reaching zero at positive / (|c0 − c1|) of the step.
  return (positive * positive * dt) / (2 * Math.abs(c0 - c1));
}

/** Load as a piecewise-linear function of time through time-ordered samples. */
class LinearLoad {
  readonly #s: readonly MeterSample[];
  /** Cursor: queries move forward in time, so lookups are amortised O(1). */
  #i = 0;

  constructor(samples: readonly MeterSample[]) {
    this.#s = samples;
  }

  /** Load at t, for t within the samples' span. */
  at(t: number): number {
    const s = this.#s;
    while (this.#i + 1 < s.length && (s[this.#i + 1] as MeterSample).atMs <= t) this.#i++;
    const p = s[this.#i] as MeterSample;
    const q = s[this.#i + 1];
    if (q === undefined || p.atMs === t || q.atMs === p.atMs) return p.loadW;
    return p.loadW + ((q.loadW - p.loadW) * (t - p.atMs)) / (q.atMs - p.atMs);
  }

  /** Samples with a < atMs < b, in order. */
  *between(a: number, b: number): Generator<MeterSample> {
    this.at(a);
    for (let j = this.#i; j < this.#s.length; j++) {
      const s = this.#s[j] as MeterSample;
      if (s.atMs >= b) return;
      if (s.atMs > a) yield s;
    }
  }
}
