import type { EventTarget } from '../../event-record.ts';
import { DEFAULT_PRIORITY } from '../../programs.ts';
import type { CurtailSignal } from '../../signal.ts';
import { addIsoDuration, DurationError, formatDurationMs, parseIsoDuration } from './duration.ts';
import type { Event, PayloadDescriptor, Program, ReportRequest, ValuesMap } from './vtn-schema.ts';

/**
 * Pure translation between OpenADR 3 objects and the curtailment engine: an event to one
 * CurtailSignal, and meter samples to a report. No I/O, no clock (the caller passes "now").
 *
 * Payload types acted on (event payload enumerations, OpenADR 3 Definition, Table 1):
 *   IMPORT_CAPACITY_LIMIT       "maximum import level for the site"        → { targetMw }
 *   DISPATCH_SETPOINT           "absolute amount of consumption"           → { targetMw }
 *   DISPATCH_SETPOINT_RELATIVE  "relative change of consumption", below 0  → { shedMw: -value }
 * Values are in the units of the event's (else the program's) payloadDescriptor for that type;
 * KW is the only power unit in the Definition's unit enumeration and the default when none
 * is given. EXPORT_CAPACITY_LIMIT may ride along (a mining site does not export, so an export
 * limit always holds). Any other payload type makes the whole event unknown to us: acting on
 * part of an instruction we do not understand is worse than declining it visibly.
 *
 * One engine event per OpenADR event: an engine event has one target and one window, while an
 * OpenADR event may carry several intervals. The window runs from the first interval that has
 * not ended to the end of the last, at the strictest of their targets (lowest limit, largest
 * shed): stricter than asked for part of the window costs revenue, looser breaks the limit.
 */

export const TARGET_PAYLOAD_TYPES: readonly string[] = ['IMPORT_CAPACITY_LIMIT', 'DISPATCH_SETPOINT'];
export const SHED_PAYLOAD_TYPES: readonly string[] = ['DISPATCH_SETPOINT_RELATIVE'];
export const TOLERATED_PAYLOAD_TYPES: readonly string[] = ['EXPORT_CAPACITY_LIMIT'];
const ACTED_ON = new Set([...TARGET_PAYLOAD_TYPES, ...SHED_PAYLOAD_TYPES]);
const KNOWN = new Set([...ACTED_ON, ...TOLERATED_PAYLOAD_TYPES]);

/** OpenADR priorities (0 most urgent) map into this many engine priorities above the default. */
export const PRIORITY_BAND = 10;

export class MappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

export interface ResolvedInterval {
  id: number;
  /** UTC ms; BEGINNING_OF_TIME_MS for an interval that began at "0001-01-01". */
  startMs: number;
  /** UTC ms; Infinity for a "P9999Y" duration. */
  endMs: number;
  payloads: ValuesMap[];
}

/** "0001-01-01", the User Guide's "beginning of time" (7.3): with P9999Y, "do it now". */
export const BEGINNING_OF_TIME_MS = Date.parse('0001-01-01T00:00:00Z');
const BEGINNING_OF_TIME = /^0001-01-01(T00:00:00(\.0+)?(Z|[+-]00:?00)?)?$/;
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;

export function parseStart(text: string): number {
  if (BEGINNING_OF_TIME.test(text)) return BEGINNING_OF_TIME_MS;
  // Date.parse reads a date-time without a zone as local time: that names no instant.
  if (!ZONED.test(text)) throw new MappingError(`start ${JSON.stringify(text)} has no time zone (Z or an offset)`);
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new MappingError(`start ${JSON.stringify(text)} is not an ISO 8601 date-time`);
  return ms;
}

function durationOf(text: string, where: string): ReturnType<typeof parseIsoDuration> {
  try {
    const d = parseIsoDuration(text);
    if (d.negative) throw new MappingError(`${where}: duration ${text} is negative`);
    return d;
  } catch (err) {
    if (err instanceof DurationError) throw new MappingError(`${where}: ${err.message}`);
    throw err;
  }
}

/**
 * Absolute times of an event's intervals (User Guide 7.3, 7.4): an interval's own
 * intervalPeriod overrides the event's; the first interval starts at the event's start, each
 * later one when the previous ends unless it names its own start; a missing duration is the
 * specification's default PT0S. A 3.1 `event.duration` shorter than the intervals cuts them.
 */
export function resolveIntervals(event: Event): ResolvedInterval[] {
  const def = event.intervalPeriod ?? undefined;
  const out: ResolvedInterval[] = [];
  let prevEndMs = Number.NaN;
  event.intervals.forEach((iv, i) => {
    const where = `interval ${iv.id}`;
    const own = iv.intervalPeriod ?? undefined;
    const ownStartMs = own?.start !== undefined ? parseStart(own.start) : undefined;
    let startMs: number;
    if (ownStartMs !== undefined && ownStartMs !== BEGINNING_OF_TIME_MS) startMs = ownStartMs;
    else if (i > 0) startMs = prevEndMs;
    else if (def?.start !== undefined) startMs = parseStart(def.start);
    else if (ownStartMs !== undefined) startMs = ownStartMs;
    else throw new MappingError(`${where} has no start and the event has no intervalPeriod`);
    const duration = durationOf(own?.duration ?? def?.duration ?? 'PT0S', where);
    const endMs = Number.isFinite(startMs) ? addIsoDuration(startMs, duration) : Number.POSITIVE_INFINITY;
    out.push({ id: iv.id, startMs, endMs, payloads: iv.payloads });
    prevEndMs = endMs;
  });
  if (event.duration != null && out.length > 0) {
    const firstStartMs = Math.min(...out.map((r) => r.startMs));
    const cutMs = addIsoDuration(firstStartMs, durationOf(event.duration, 'event duration'));
    return out.filter((r) => r.startMs < cutMs).map((r) => ({ ...r, endMs: Math.min(r.endMs, cutMs) }));
  }
  return out;
}

/** The engine priority for an OpenADR priority: 0 → DEFAULT + 9, 9 and above → DEFAULT. */
export function enginePriority(priority: number | null | undefined): number | undefined {
  if (priority === null || priority === undefined) return undefined;
  const urgency = PRIORITY_BAND - 1 - Math.min(Math.max(0, Math.trunc(priority)), PRIORITY_BAND - 1);
  return DEFAULT_PRIORITY.openadr + urgency;
}

export interface MapContext {
  nowMs: number;
  /** When this VEN first saw the event; stands in for a start at the beginning of time. */
  firstSeenMs: number;
  /** The event's program (its name and default payload descriptors), when known. */
  program?: Pick<Program, 'programName' | 'payloadDescriptors'>;
  /** CurtailSignal.requestedBy, e.g. "openadr:vtn.example.com". */
  requestedBy: string;
  allowAi: boolean;
  /** Hold for an event with no end (P9999Y). */
  openEndedMaxMs: number;
}

export interface SignalBasis {
  payloadType: string;
  valueKw: number;
  intervalId: number;
  /** The event had no end; endMs is the openEndedMaxMs hold. */
  openEnded: boolean;
}

export type EventMapping =
  | { kind: 'signal'; signal: CurtailSignal; basis: SignalBasis }
  /** Nothing left to do: every curtailment interval has ended or has no duration. */
  | { kind: 'inactive'; reason: string }
  /** We cannot act on it; the reason says why, for the log. */
  | { kind: 'rejected'; reason: string };

const acceptedList = () =>
  `${TARGET_PAYLOAD_TYPES.join(', ')} (kW: site load limit) and ${SHED_PAYLOAD_TYPES.join(', ')} (negative kW: load to shed)`;

function unitsFor(payloadType: string, event: Event, program: MapContext['program']): string {
  const pick = (list: PayloadDescriptor[] | null | undefined) =>
    (list ?? []).find((d) => d.payloadType === payloadType && d.objectType !== 'REPORT_PAYLOAD_DESCRIPTOR');
  const descriptor = pick(event.payloadDescriptors) ?? pick(program?.payloadDescriptors);
  return (descriptor?.units ?? 'KW').toUpperCase();
}

interface IntervalAsk {
  intervalId: number;
  startMs: number;
  endMs: number;
  payloadType: string;
  valueKw: number;
  /** targetMw or shedMw. */
  mw: number;
}

/** What one interval asks for, or undefined when it asks for no curtailment. Throws MappingError. */
function intervalAsk(iv: ResolvedInterval, event: Event, program: MapContext['program'], kind: 'target' | 'shed'): IntervalAsk | undefined {
  let best: IntervalAsk | undefined;
  for (const p of iv.payloads) {
    if (!ACTED_ON.has(p.type)) continue;
    const units = unitsFor(p.type, event, program);
    if (units !== 'KW') throw new MappingError(`${p.type} is in ${units}; this VEN reads power in KW`);
    if (p.values.length === 0) throw new MappingError(`interval ${iv.id}: ${p.type} has no values`);
    // Several values split the interval into equal sub-intervals (User Guide 7.3); the
    // strictest of them holds for the whole interval, as across intervals.
    for (const v of p.values) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new MappingError(`interval ${iv.id}: ${p.type} value ${JSON.stringify(v)} is not a number`);
      let mw: number;
      if (kind === 'target') {
        if (v < 0) throw new MappingError(`interval ${iv.id}: ${p.type} of ${v} kW is negative`);
        mw = v / 1000;
      } else {
        if (v > 0) throw new MappingError(`interval ${iv.id}: ${p.type} of +${v} kW asks for more load, not less`);
        if (v === 0) continue;
        mw = -v / 1000;
      }
      const ask = { intervalId: iv.id, startMs: iv.startMs, endMs: iv.endMs, payloadType: p.type, valueKw: v, mw };
      if (!best || (kind === 'target' ? mw < best.mw : mw > best.mw)) best = ask;
    }
  }
  return best;
}

export function mapEvent(event: Event, ctx: MapContext): EventMapping {
  const types = new Set(event.intervals.flatMap((iv) => iv.payloads.map((p) => p.type)));
  const unknown = [...types].filter((t) => !KNOWN.has(t)).sort();
  if (unknown.length > 0) {
    return { kind: 'rejected', reason: `payload type${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not acted on; this VEN acts on ${acceptedList()}` };
  }
  const hasTarget = TARGET_PAYLOAD_TYPES.some((t) => types.has(t));
  const hasShed = SHED_PAYLOAD_TYPES.some((t) => types.has(t));
  if (!hasTarget && !hasShed) return { kind: 'rejected', reason: `no curtailment payload (got ${[...types].join(', ') || 'none'}); this VEN acts on ${acceptedList()}` };
  if (hasTarget && hasShed) return { kind: 'rejected', reason: 'mixes a load limit and a load shed in one event; the engine takes one or the other' };
  const kind = hasTarget ? 'target' : 'shed';

  let intervals: ResolvedInterval[];
  const asks: IntervalAsk[] = [];
  try {
    intervals = resolveIntervals(event);
    for (const iv of intervals) {
      const ask = intervalAsk(iv, event, ctx.program, kind);
      if (ask) asks.push(ask);
    }
  } catch (err) {
    if (err instanceof MappingError) return { kind: 'rejected', reason: err.message };
    throw err;
  }

  const lastEndMs = Math.max(...intervals.map((iv) => iv.endMs));
  // A 3.1 event.duration longer than its intervals repeats them (User Guide 7.3): every
  // interval recurs, so all of them count and the window runs to the event's end.
  let spanEndMs = lastEndMs;
  if (event.duration != null && intervals.length > 0) {
    const firstStartMs = Math.min(...intervals.map((iv) => iv.startMs));
    spanEndMs = Math.max(lastEndMs, addIsoDuration(firstStartMs, parseIsoDuration(event.duration)));
  }
  const looping = spanEndMs > lastEndMs;
  const remaining = asks.filter((a) => a.endMs > a.startMs && (looping || a.endMs > ctx.nowMs));
  if (remaining.length === 0 || spanEndMs <= ctx.nowMs) {
    const reason = asks.length === 0 ? 'no interval asks for a reduction' : asks.every((a) => a.endMs <= a.startMs) ? 'its intervals have no duration' : `ended ${new Date(Math.min(spanEndMs, Math.max(...asks.map((a) => a.endMs)))).toISOString()}`;
    return { kind: 'inactive', reason };
  }

  const strictest = remaining.reduce((a, b) => (kind === 'target' ? (b.mw < a.mw ? b : a) : b.mw > a.mw ? b : a));
  const firstStartMs = Math.min(...remaining.map((a) => a.startMs));
  // A start at the beginning of time (or any before the epoch) means "already under way".
  const startMs = firstStartMs < 0 ? ctx.firstSeenMs : firstStartMs;
  const askedEndMs = looping ? spanEndMs : Math.max(...remaining.map((a) => a.endMs));
  const openEnded = !Number.isFinite(askedEndMs);
  const endMs = openEnded ? Math.max(startMs, ctx.firstSeenMs) + ctx.openEndedMaxMs : askedEndMs;
  const target: EventTarget = kind === 'target' ? { targetMw: strictest.mw } : { shedMw: strictest.mw };
  const name = event.eventName ?? event.id;
  const signal: CurtailSignal = {
    program: 'openadr',
    target,
    startMs,
    endMs,
    allowAi: ctx.allowAi,
    externalId: `openadr:${event.id}`,
    requestedBy: ctx.requestedBy,
    reason: `OpenADR event ${name}: ${strictest.payloadType} ${strictest.valueKw} kW (interval ${strictest.intervalId})`,
  };
  if (ctx.program?.programName) signal.programName = ctx.program.programName;
  const priority = enginePriority(event.priority);
  if (priority !== undefined) signal.priority = priority;
  return { kind: 'signal', signal, basis: { payloadType: strictest.payloadType, valueKw: strictest.valueKw, intervalId: strictest.intervalId, openEnded } };
}

/** The interval under way at `atMs`, else the next one, else the last; undefined if none. */
export function intervalAt(intervals: readonly ResolvedInterval[], atMs: number): ResolvedInterval | undefined {
  return (
    intervals.find((iv) => iv.startMs <= atMs && atMs < iv.endMs) ??
    intervals.filter((iv) => iv.startMs > atMs).sort((a, b) => a.startMs - b.startMs)[0] ??
    intervals[intervals.length - 1]
  );
}

export interface UsageSample {
  atMs: number;
  /** Site load on the revenue meter, W. */
  loadW: number;
}

export interface UsageReportInput {
  event: Pick<Event, 'id' | 'programID'>;
  intervals: readonly ResolvedInterval[];
  samples: readonly UsageSample[];
  clientName: string;
  resourceName: string;
}

export interface UsageReport {
  report: ReportRequest;
  samplesUsed: number;
  /** Not finite, negative, or outside every interval. */
  samplesDropped: number;
  intervalsWithoutSamples: number[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * A USAGE report on the event's own intervals (User Guide 7.5: a report answering an event
 * uses the event's interval ids): per interval, the mean of the meter samples inside it, in
 * kW, declared by a payload descriptor as readingType MEAN, units KW. The Definition calls
 * USAGE "energy usage over an interval" with units in the descriptor; the User Guide's own
 * example 8.8-2 reports USAGE in KW, and the descriptor makes ours unambiguous. An interval
 * with no samples is left out rather than reported as zero: offline is not zero.
 */
export function buildUsageReport(input: UsageReportInput): UsageReport {
  const byInterval = new Map<number, UsageSample[]>();
  let dropped = 0;
  for (const s of input.samples) {
    const ok = Number.isFinite(s.atMs) && Number.isFinite(s.loadW) && s.loadW >= 0;
    const iv = ok ? input.intervals.find((r) => r.startMs <= s.atMs && s.atMs < r.endMs) : undefined;
    if (!iv) {
      dropped++;
      continue;
    }
    const list = byInterval.get(iv.id) ?? [];
    list.push(s);
    byInterval.set(iv.id, list);
  }
  const intervals: ReportRequest['resources'][number]['intervals'] = [];
  const without: number[] = [];
  let used = 0;
  for (const iv of input.intervals) {
    const samples = byInterval.get(iv.id);
    if (!samples || samples.length === 0) {
      without.push(iv.id);
      continue;
    }
    used += samples.length;
    const times = samples.map((s) => s.atMs);
    // An interval from the beginning of time or without end is reported over the span its
    // samples cover.
    const startMs = iv.startMs === BEGINNING_OF_TIME_MS ? Math.min(...times) : iv.startMs;
    const endMs = Number.isFinite(iv.endMs) ? iv.endMs : Math.max(...times);
    const meanW = samples.reduce((sum, s) => sum + s.loadW, 0) / samples.length;
    intervals.push({
      id: iv.id,
      intervalPeriod: { start: iso(startMs), duration: formatDurationMs(endMs - startMs) },
      payloads: [{ type: 'USAGE', values: [round3(meanW / 1000)] }],
    });
  }
  return {
    report: {
      programID: input.event.programID,
      eventID: input.event.id,
      clientName: input.clientName,
      reportName: `usage ${input.event.id}`,
      payloadDescriptors: [{ payloadType: 'USAGE', readingType: 'MEAN', units: 'KW' }],
      resources: [{ resourceName: input.resourceName, intervals }],
    },
    samplesUsed: used,
    samplesDropped: dropped,
    intervalsWithoutSamples: without,
  };
}

export interface OptOutReportInput {
  event: Pick<Event, 'id' | 'programID'>;
  clientName: string;
  resourceName: string;
  atMs: number;
  intervalId: number;
}

/**
 * OpenADR 3 has no opt message (2.0b's oadrCreatedEvent optIn/optOut is gone; the 3.0.1 API
 * has no opt endpoint). Its only opt vocabulary is the OPERATING_STATE report payload, whose
 * values include RUNNING_OPTED_OUT ("presently opted out of any demand response events and
 * ... has significant energy consumption", Definition, Operating State Enumerations). Opting
 * out is therefore this report, posted for the event, from the moment we stopped following it.
 */
export function buildOptOutReport(input: OptOutReportInput): ReportRequest {
  return {
    programID: input.event.programID,
    eventID: input.event.id,
    clientName: input.clientName,
    reportName: `opt-out ${input.event.id}`,
    payloadDescriptors: [{ payloadType: 'OPERATING_STATE' }],
    resources: [
      {
        resourceName: input.resourceName,
        intervals: [
          {
            id: input.intervalId,
            intervalPeriod: { start: iso(input.atMs), duration: 'PT0S' },
            payloads: [{ type: 'OPERATING_STATE', values: ['RUNNING_OPTED_OUT'] }],
          },
        ],
      },
    ],
  };
}
