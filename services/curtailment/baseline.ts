import type { MeterSample } from './event-record.ts';

/**
 * What an event is measured against: the revenue meter's mean over the window before it, but
 * only samples of the site at rest. While another event's commands move load (shed, restore
 * waves, acks coming in) and for a settle time after them (miners boot and ramp for minutes
 * after a wake is acknowledged), the meter shows neither the site before nor after, so those
 * samples are left out. Without that, an event right after another's restore takes a baseline
 * from half-woken miners, aims too low, and waits on top-ups to reach a target it was never
 * asked for.
 */

export const DEFAULT_BASELINE_SETTLE_MS = 120_000;

/** A span in which commands moved load: from the first command to the last command or ack. */
export interface LoadMove {
  fromMs: number;
  toMs: number;
}

/** Mean of the samples in [nowMs − windowMs, nowMs] outside every move and its settle time; null when none are left. */
export function settledMeanW(samples: readonly MeterSample[], moves: readonly LoadMove[], nowMs: number, windowMs: number, settleMs: number): number | null {
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    if (s.atMs < nowMs - windowMs || s.atMs > nowMs) continue;
    if (moves.some((m) => s.atMs >= m.fromMs && s.atMs < m.toMs + settleMs)) continue;
    sum += s.loadW;
    n += 1;
  }
  return n === 0 ? null : sum / n;
}

/** The engine's recent revenue-meter samples and the spans in which events' commands moved load. */
export class MeterBaseline {
  private samples: MeterSample[] = [];
  private moves: LoadMove[] = [];

  constructor(
    /** Samples kept, ms (the longest baseline window). */
    private readonly keepMs: number,
    private readonly settleMs: number = DEFAULT_BASELINE_SETTLE_MS,
  ) {}

  add(s: MeterSample): void {
    this.samples.push(s);
    const oldest = s.atMs - this.keepMs;
    if (this.samples[0]!.atMs < oldest) this.samples = this.samples.filter((x) => x.atMs >= oldest);
    if (this.moves.length && this.moves[0]!.toMs + this.settleMs < oldest) this.moves = this.moves.filter((m) => m.toMs + this.settleMs >= oldest);
  }

  /** Samples at or after `fromMs` (what an event's record keeps of the time before it). */
  since(fromMs: number): MeterSample[] {
    return this.samples.filter((s) => s.atMs >= fromMs);
  }

  /** Commands were sent, or devices acknowledged, at `atMs`: load moves from then until settleMs after. */
  noteCommands(atMs: number): void {
    const last = this.moves.at(-1);
    if (last && atMs <= last.toMs + this.settleMs) last.toMs = Math.max(last.toMs, atMs);
    else this.moves.push({ fromMs: atMs, toMs: atMs });
  }

  /** The settled mean over the window before `nowMs`, W; null when every sample in it was disturbed. */
  meanW(nowMs: number, windowMs: number): number | null {
    return settledMeanW(this.samples, this.moves, nowMs, windowMs, this.settleMs);
  }
}
