/**
 * ISO 8601 durations as OpenADR 3 uses them (intervalPeriod.duration, event.duration).
 * The accepted grammar is the 3.0.1 specification's `duration` pattern:
 * `-?P(nY)?(nM)?(n[DW])?(T(nH)?(nM)?(n(.n)?S)?)?` with at least one component.
 *
 * Years and months are calendar units: they are added on the UTC calendar from a start
 * instant, never converted to a fixed number of milliseconds. Days are 24 h (UTC has no DST).
 * "P9999Y" is OpenADR's spelling of "no end" (User Guide 7.3) and resolves to Infinity.
 */

export interface IsoDuration {
  negative: boolean;
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  /** May carry a fraction ("PT0.5S"). */
  seconds: number;
}

export class DurationError extends RangeError {
  constructor(text: string, why: string) {
    super(`ISO 8601 duration ${JSON.stringify(text)}: ${why}`);
    this.name = 'DurationError';
  }
}

const PATTERN = /^(-?)P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Years at or beyond this are "indefinite" (OpenADR's P9999Y). */
export const INDEFINITE_YEARS = 9999;

export function parseIsoDuration(text: string): IsoDuration {
  const m = PATTERN.exec(text);
  if (!m) throw new DurationError(text, 'not of the form PnYnMnDTnHnMnS (e.g. PT30M, PT1H, P1D)');
  const [, sign, y, mo, dw, unit, h, mi, s] = m;
  if ([y, mo, dw, h, mi, s].every((v) => v === undefined)) throw new DurationError(text, 'has no components');
  // "P1DT" passes the specification's pattern but names nothing after the T.
  if (text.endsWith('T')) throw new DurationError(text, 'ends in a "T" with no time components');
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  return {
    negative: sign === '-',
    years: n(y),
    months: n(mo),
    weeks: unit === 'W' ? n(dw) : 0,
    days: unit === 'D' ? n(dw) : 0,
    hours: n(h),
    minutes: n(mi),
    seconds: n(s),
  };
}

export function isIndefinite(d: IsoDuration): boolean {
  return !d.negative && d.years >= INDEFINITE_YEARS;
}

/** The instant `d` after `startMs` (before it, for a negative duration); Infinity for P9999Y. */
export function addIsoDuration(startMs: number, d: IsoDuration): number {
  if (!Number.isFinite(startMs)) throw new RangeError(`addIsoDuration: startMs must be finite, got ${startMs}`);
  if (isIndefinite(d)) return Number.POSITIVE_INFINITY;
  const sign = d.negative ? -1 : 1;
  let at = startMs;
  if (d.years !== 0 || d.months !== 0) {
    const date = new Date(startMs);
    // setUTCMonth carries overflowing months into years and clamps nothing: Jan 31 + P1M is
    // Mar 3 (or 2), as in JavaScript's own calendar arithmetic. OpenADR advises against months.
    date.setUTCFullYear(date.getUTCFullYear() + sign * d.years, date.getUTCMonth() + sign * d.months);
    at = date.getTime();
  }
  const fixedMs = ((d.weeks * 7 + d.days) * 86_400 + d.hours * 3_600 + d.minutes * 60 + d.seconds) * 1000;
  return at + sign * Math.round(fixedMs);
}

/** Parses and adds in one step. */
export function endOf(startMs: number, duration: string): number {
  return addIsoDuration(startMs, parseIsoDuration(duration));
}

/** Milliseconds as an ISO 8601 duration in hours, minutes and seconds: 1_800_000 → "PT30M". */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`formatDurationMs: ms must be a finite number ≥ 0, got ${ms}`);
  const totalMs = Math.round(ms);
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor((totalMs % 3_600_000) / 60_000);
  const restMs = totalMs % 60_000;
  let out = 'PT';
  if (hours > 0) out += `${hours}H`;
  if (minutes > 0) out += `${minutes}M`;
  if (restMs > 0 || out === 'PT') out += `${restMs % 1000 === 0 ? restMs / 1000 : (restMs / 1000).toFixed(3).replace(/0+$/, '')}S`;
  return out;
}
