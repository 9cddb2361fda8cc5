import { ContextError } from '../lib/errors.ts';

/**
 * How far ahead an event may start and how long it may last. A dispatch dated a year ahead
 * used to start shedding at once (its delay overflowed the timer); an end time had no bound.
 * An event that starts beyond the horizon is refused; one that asks to run past the maximum
 * is cut to it (the record keeps what was asked and says so), so an automatic source such as
 * the price strike still curtails, for at most the maximum, and asks again if it must.
 *
 * Environment (read once at start):
 *   SWITCHYARD_CURTAILMENT_HORIZON_HOURS   latest start ahead of now, h (default 168 = 7 days)
 *   SWITCHYARD_CURTAILMENT_MAX_HOURS       longest event, h (default 24)
 */

export interface TimeBounds {
  horizonMs: number;
  maxDurationMs: number;
}

export const DEFAULT_TIME_BOUNDS: TimeBounds = Object.freeze({ horizonMs: 7 * 24 * 3_600_000, maxDurationMs: 24 * 3_600_000 });

export class TimeBoundsError extends ContextError {
  constructor(message: string) {
    super('E_CURTAILMENT_TIME', message);
    this.name = 'TimeBoundsError';
  }
}

export function timeBoundsFromEnv(env: Record<string, string | undefined>): TimeBounds {
  return {
    horizonMs: hours(env, 'SWITCHYARD_CURTAILMENT_HORIZON_HOURS') ?? DEFAULT_TIME_BOUNDS.horizonMs,
    maxDurationMs: hours(env, 'SWITCHYARD_CURTAILMENT_MAX_HOURS') ?? DEFAULT_TIME_BOUNDS.maxDurationMs,
  };
}

function hours(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const h = Number(raw);
  if (!Number.isFinite(h) || h <= 0 || h > 24 * 366) throw new TimeBoundsError(`${name} must be hours in (0, 8784], got "${raw}"`);
  return Math.round(h * 3_600_000);
}

/** The last instant a Date can hold, ms. */
const MAX_DATE_MS = 8.64e15;

export interface Window {
  startMs: number;
  endMs: number;
  /** Set when the end was cut to the maximum: what was asked. */
  cutFromMs?: number;
}

/** Checks a requested window against the bounds at `nowMs`; throws when it cannot run. */
export function boundWindow(startIn: number, endIn: number, nowMs: number, b: TimeBounds): Window {
  if (!Number.isFinite(startIn) || !Number.isFinite(endIn) || startIn < 0 || endIn < 0 || startIn > MAX_DATE_MS || endIn > MAX_DATE_MS) throw new TimeBoundsError(`event start and end must be UTC ms, got ${startIn} and ${endIn}`);
  // Sources may compute times with fractions of a ms (durations in minutes); the record keeps whole ms.
  const startMs = Math.round(startIn);
  const endMs = Math.round(endIn);
  if (!(endMs > startMs)) throw new TimeBoundsError(`event end ${new Date(endMs).toISOString()} is not after its start ${new Date(startMs).toISOString()}`);
  if (startMs > nowMs + b.horizonMs) {
    throw new TimeBoundsError(`event start ${new Date(startMs).toISOString()} is more than ${b.horizonMs / 3_600_000} h ahead (SWITCHYARD_CURTAILMENT_HORIZON_HOURS)`);
  }
  if (endMs <= nowMs) throw new TimeBoundsError(`event end ${new Date(endMs).toISOString()} is already past`);
  const from = Math.max(startMs, nowMs);
  if (endMs - from > b.maxDurationMs) return { startMs, endMs: from + b.maxDurationMs, cutFromMs: endMs };
  return { startMs, endMs };
}
