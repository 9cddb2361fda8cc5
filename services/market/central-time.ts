/**
 * Central Prevailing Time (America/Chicago) ↔ UTC, with no dependency: the offset at an instant
 * comes from Intl, and a wall-clock time is resolved by trying each offset the zone uses around
 * that date. ERCOT stamps everything in CPT, so the two DST days are where it goes wrong: on the
 * spring-forward day 02:00–02:59 does not exist; on the fall-back day 01:00–01:59 happens twice.
 */

export const CENTRAL_TIME_ZONE = 'America/Chicago';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const partFormatters = new Map<string, Intl.DateTimeFormat>();
const labelFormatters = new Map<string, Intl.DateTimeFormat>();

function partFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partFormatters.set(timeZone, f);
  }
  return f;
}

/** Local time minus UTC at `utcMs`, in ms (−5 h for CDT, −6 h for CST). */
export function zoneOffsetMs(utcMs: number, timeZone = CENTRAL_TIME_ZONE): number {
  const p: Record<string, number> = {};
  for (const part of partFormatter(timeZone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const localAsUtc = Date.UTC(p.year as number, (p.month as number) - 1, p.day as number, p.hour as number, p.minute as number, p.second as number);
  const wholeSecondMs = Math.floor(utcMs / 1000) * 1000;
  return localAsUtc - wholeSecondMs;
}

/** A local wall-clock time: a calendar date and minutes after local midnight (0..1439). */
export interface WallTime {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  minuteOfDay: number;
}

export type WallResolution = { utcMs: number } | { problem: string };

/**
 * The UTC instant of a local wall-clock time. `repeated` picks the second occurrence of a time
 * that happens twice (ERCOT's DSTFlag / Repeated Hour Flag = Y); asking for the repeat of a time
 * that happens once, or for a time inside the spring-forward gap, is a problem, not a guess.
 */
export function wallTimeToUtcMs(wall: WallTime, repeated: boolean, timeZone = CENTRAL_TIME_ZONE): WallResolution {
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day) + wall.minuteOfDay * MINUTE_MS;
  // Any offset the zone could have at this wall time is in effect within a day either side.
  const offsets = new Set([zoneOffsetMs(wallAsUtc - DAY_MS, timeZone), zoneOffsetMs(wallAsUtc, timeZone), zoneOffsetMs(wallAsUtc + DAY_MS, timeZone)]);
  const instants = [...offsets]
    .map((offset) => ({ offset, utcMs: wallAsUtc - offset }))
    .filter((c) => zoneOffsetMs(c.utcMs, timeZone) === c.offset)
    .map((c) => c.utcMs)
    .sort((a, b) => a - b);
  if (instants.length === 0) return { problem: 'does not exist in Central time (skipped when daylight saving time starts)' };
  if (repeated) {
    if (instants.length < 2) return { problem: 'is flagged as the repeated hour but that time occurs only once that day' };
    return { utcMs: instants[instants.length - 1] as number };
  }
  return { utcMs: instants[0] as number };
}

/**
 * The wall clock in `timeZone` at `utcMs`, as a Date whose UTC fields read it (getUTCHours() is
 * the local hour). One formatToParts on a cached formatter: cheap enough for every interval of a plan.
 */
export function wallClock(utcMs: number, timeZone = CENTRAL_TIME_ZONE): Date {
  return new Date(utcMs + zoneOffsetMs(utcMs, timeZone));
}

/** "2021-11-07 01:00 CST": the local time with its zone abbreviation, for messages. */
export function formatWallTime(utcMs: number, timeZone = CENTRAL_TIME_ZONE): string {
  let f = labelFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    });
    labelFormatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(utcMs))) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.timeZoneName}`;
}
