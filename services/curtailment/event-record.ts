import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../lib/strict.ts';
import { ContextError } from '../lib/errors.ts';
import { DeviceAction, type DeviceCommand } from '../agent-contract/device-command.ts';
import { Program } from './programs.ts';

/**
 * The settlement record of one curtailment event: what was asked, what was sent, what the
 * revenue meter saw. The JSON shape is a TypeBox schema so the API serves and checks the same
 * thing. Functions here never mutate a record; each returns a new one (arrays are copied once
 * per call, so log acknowledgements in batches). Times are UTC ms, power W.
 */

const Ms = Type.Integer({ minimum: 0 });
export const EventId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' });

export const EventStatus = Type.Union([
  Type.Literal('planned'),
  Type.Literal('shedding'),
  Type.Literal('meter-confirmed'),
  Type.Literal('restoring'),
  Type.Literal('done'),
  Type.Literal('aborted'),
  Type.Literal('failed'),
]);
export type EventStatus = Static<typeof EventStatus>;

export const TimelineKind = Type.Union([
  Type.Literal('signal-received'),
  Type.Literal('plan-made'),
  Type.Literal('first-command'),
  Type.Literal('last-command'),
  Type.Literal('ack'),
  Type.Literal('meter-confirmed'),
  Type.Literal('restore-start'),
  Type.Literal('restore-end'),
  Type.Literal('aborted'),
  Type.Literal('failed'),
  /** The engine restarted and took the event up again from this record. */
  Type.Literal('resumed'),
  /** The target is below what the site can reach: the event holds at the floor (detail says why). */
  Type.Literal('floor'),
]);
export type TimelineKind = Static<typeof TimelineKind>;

export const TimelineEntry = Strict({
  kind: TimelineKind,
  atMs: Ms,
  /** For an ack: the device. */
  deviceId: Type.Optional(Type.String({ minLength: 1 })),
  detail: Type.Optional(Type.String()),
});
export type TimelineEntry = Static<typeof TimelineEntry>;

export const MeterSample = Strict({
  atMs: Ms,
  /** Site load on the revenue meter, W. */
  loadW: Type.Number({ minimum: 0 }),
});
export type MeterSample = Static<typeof MeterSample>;

export const DeviceOutcome = Type.Union([Type.Literal('pending'), Type.Literal('acked'), Type.Literal('failed')]);
export type DeviceOutcome = Static<typeof DeviceOutcome>;

export const DeviceLogEntry = Strict({
  deviceId: Type.String({ minLength: 1, maxLength: 128 }),
  blockId: Type.String({ minLength: 1 }),
  phase: Type.Union([Type.Literal('shed'), Type.Literal('restore')]),
  action: DeviceAction,
  targetW: Type.Optional(Type.Number({ minimum: 0 })),
  expectedDeltaW: Type.Number(),
  sentAtMs: Ms,
  ackAtMs: Type.Optional(Ms),
  outcome: DeviceOutcome,
  error: Type.Optional(Type.String()),
});
export type DeviceLogEntry = Static<typeof DeviceLogEntry>;

export const EventTarget = Type.Union([
  Strict({ targetMw: Type.Number({ minimum: 0 }) }),
  Strict({ shedMw: Type.Number({ exclusiveMinimum: 0 }) }),
]);
export type EventTarget = Static<typeof EventTarget>;

export const EventRecord = Strict({
  id: EventId,
  program: Program,
  /** The grid's or the operator's own name for it (e.g. "ERCOT ERS-10"). */
  programName: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  reason: Type.Optional(Type.String({ maxLength: 1000 })),
  status: EventStatus,
  target: EventTarget,
  allowAi: Type.Boolean(),
  /** The signal allows a hard cut through PDUs and relays (programs.ts decides with the program). */
  allowHardCut: Type.Optional(Type.Boolean()),
  requestedStartMs: Type.Optional(Ms),
  requestedEndMs: Type.Optional(Ms),
  /**
   * The lowest load the site can reach for this event, W, set when the target is below it
   * (AI halls that may not be capped, devices offline): the event holds here instead of
   * shedding for ever. Absent when the target is reachable.
   */
  floorW: Type.Optional(Type.Number({ minimum: 0 })),
  /** Mean revenue-meter load over the window before the signal, W; null until known. */
  baselineW: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  baselineWindowMs: Type.Integer({ minimum: 1 }),
  timeline: Type.Array(TimelineEntry),
  meterSamples: Type.Array(MeterSample),
  devices: Type.Array(DeviceLogEntry),
});
export type EventRecord = Static<typeof EventRecord>;

export class EventRecordError extends ContextError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'EventRecordError';
  }
}

/** Statuses each status may move to. The last three are final. */
export const TRANSITIONS: Readonly<Record<EventStatus, readonly EventStatus[]>> = Object.freeze({
  planned: ['shedding', 'aborted', 'failed'],
  // Straight to restoring when the event ends before the meter confirms it.
  shedding: ['meter-confirmed', 'restoring', 'aborted', 'failed'],
  // Back to shedding when the meter shows a shortfall again (the closed loop sheds more).
  'meter-confirmed': ['shedding', 'restoring', 'aborted', 'failed'],
  restoring: ['done', 'failed'],
  done: [],
  aborted: [],
  failed: [],
});

/** The timeline entry a move into each status writes. */
const ENTRY_FOR: Partial<Record<EventStatus, TimelineKind>> = {
  shedding: 'first-command',
  'meter-confirmed': 'meter-confirmed',
  restoring: 'restore-start',
  done: 'restore-end',
  aborted: 'aborted',
  failed: 'failed',
};

/** Default baseline window: the 15 minutes before the signal. */
export const DEFAULT_BASELINE_WINDOW_MS = 15 * 60_000;

export interface NewEventInit {
  id: string;
  program: Program;
  target: EventTarget;
  allowAi: boolean;
  allowHardCut?: boolean;
  signalAtMs: number;
  programName?: string;
  reason?: string;
  requestedStartMs?: number;
  requestedEndMs?: number;
  baselineWindowMs?: number;
}

export function newEventRecord(init: NewEventInit): EventRecord {
  const record: EventRecord = {
    id: init.id,
    program: init.program,
    status: 'planned',
    target: { ...init.target },
    allowAi: init.allowAi,
    baselineW: null,
    baselineWindowMs: init.baselineWindowMs ?? DEFAULT_BASELINE_WINDOW_MS,
    timeline: [{ kind: 'signal-received', atMs: utcMs(init.signalAtMs, 'signalAtMs') }],
    meterSamples: [],
    devices: [],
  };
  if (init.allowHardCut) record.allowHardCut = true;
  if (init.programName !== undefined) record.programName = init.programName;
  if (init.reason !== undefined) record.reason = init.reason;
  if (init.requestedStartMs !== undefined) record.requestedStartMs = utcMs(init.requestedStartMs, 'requestedStartMs');
  if (init.requestedEndMs !== undefined) record.requestedEndMs = utcMs(init.requestedEndMs, 'requestedEndMs');
  return record;
}

export function canTransition(from: EventStatus, to: EventStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Moves the record to `to`, writing the matching timeline entry; throws on an illegal move. */
export function transition(record: EventRecord, to: EventStatus, atMs: number, detail?: string): EventRecord {
  if (!canTransition(record.status, to)) {
    const allowed = TRANSITIONS[record.status];
    throw new EventRecordError(
      'E_EVENT_TRANSITION',
      `event ${record.id}: cannot go from ${record.status} to ${to} (from ${record.status}: ${allowed.length > 0 ? allowed.join(', ') : 'none, it is final'})`,
    );
  }
  const kind = ENTRY_FOR[to];
  const entries: TimelineEntry[] = [];
  if (kind !== undefined && !(kind === 'first-command' && record.timeline.some((e) => e.kind === 'first-command'))) {
    const entry: TimelineEntry = { kind, atMs: utcMs(atMs, 'atMs') };
    if (detail !== undefined) entry.detail = detail;
    entries.push(entry);
  }
  return { ...record, status: to, timeline: [...record.timeline, ...entries] };
}

export function addTimeline(record: EventRecord, entries: readonly TimelineEntry[]): EventRecord {
  for (const e of entries) utcMs(e.atMs, `timeline ${e.kind} atMs`);
  return { ...record, timeline: [...record.timeline, ...entries.map((e) => ({ ...e }))] };
}

/** Adds meter samples, keeping them in time order. */
export function addMeterSamples(record: EventRecord, samples: readonly MeterSample[]): EventRecord {
  for (const s of samples) {
    utcMs(s.atMs, 'meter sample atMs');
    if (!Number.isFinite(s.loadW) || s.loadW < 0) throw new RangeError(`event ${record.id}: meter sample at ${s.atMs} has load ${s.loadW} W (filter bad readings at the edge)`);
  }
  const meterSamples = [...record.meterSamples, ...samples.map((s) => ({ atMs: s.atMs, loadW: s.loadW }))];
  meterSamples.sort((a, b) => a.atMs - b.atMs);
  return { ...record, meterSamples };
}

/** Mean of the samples in [signalAtMs − windowMs, signalAtMs), W; throws when there are none. */
export function baselineW(samples: readonly MeterSample[], signalAtMs: number, windowMs: number): number {
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    if (s.atMs >= signalAtMs - windowMs && s.atMs < signalAtMs) {
      sum += s.loadW;
      n += 1;
    }
  }
  if (n === 0) {
    throw new EventRecordError('E_EVENT_BASELINE', `no revenue-meter samples in the ${windowMs} ms before the signal at ${new Date(signalAtMs).toISOString()}`);
  }
  return sum / n;
}

/** Sets the record's baseline from its own meter samples before the signal. */
export function withBaseline(record: EventRecord): EventRecord {
  return { ...record, baselineW: baselineW(record.meterSamples, signalAtMs(record), record.baselineWindowMs) };
}

export function signalAtMs(record: EventRecord): number {
  const e = record.timeline.find((t) => t.kind === 'signal-received');
  if (e === undefined) throw new EventRecordError('E_EVENT_RECORD', `event ${record.id}: no signal-received entry`);
  return e.atMs;
}

/** Logs commands sent at `sentAtMs`, pending until acknowledged. */
export function logCommands(record: EventRecord, phase: 'shed' | 'restore', commands: readonly DeviceCommand[], sentAtMs: number): EventRecord {
  utcMs(sentAtMs, 'sentAtMs');
  const rows = commands.map((c): DeviceLogEntry => {
    const row: DeviceLogEntry = { deviceId: c.deviceId, blockId: c.blockId, phase, action: c.action, expectedDeltaW: c.expectedDeltaW, sentAtMs, outcome: 'pending' };
    if (c.targetW !== undefined) row.targetW = c.targetW;
    return row;
  });
  return { ...record, devices: [...record.devices, ...rows] };
}

export interface DeviceAck {
  deviceId: string;
  atMs: number;
  ok: boolean;
  error?: string;
}

/**
 * Settles each device's latest pending command with its acknowledgement (or failure) and
 * writes an ack entry to the timeline. An ack for a device with nothing pending is an error:
 * it would otherwise vanish from the settlement.
 */
export function recordAcks(record: EventRecord, acks: readonly DeviceAck[]): EventRecord {
  const devices = record.devices.slice();
  const pending = new Map<string, number>();
  devices.forEach((d, i) => {
    if (d.outcome === 'pending') pending.set(d.deviceId, i);
  });
  const entries: TimelineEntry[] = [];
  for (const a of acks) {
    const i = pending.get(a.deviceId);
    if (i === undefined) throw new EventRecordError('E_EVENT_ACK', `event ${record.id}: ack from ${a.deviceId}, which has no pending command`);
    pending.delete(a.deviceId);
    const row: DeviceLogEntry = { ...(devices[i] as DeviceLogEntry), ackAtMs: utcMs(a.atMs, 'ack atMs'), outcome: a.ok ? 'acked' : 'failed' };
    if (!a.ok) row.error = a.error ?? 'failed without a reason';
    devices[i] = row;
    const entry: TimelineEntry = { kind: 'ack', atMs: a.atMs, deviceId: a.deviceId };
    if (!a.ok) entry.detail = `failed: ${row.error}`;
    entries.push(entry);
  }
  return { ...record, devices, timeline: [...record.timeline, ...entries] };
}

/** The first timeline entry of a kind, or undefined. */
export function firstEntry(record: EventRecord, kind: TimelineKind): TimelineEntry | undefined {
  return record.timeline.find((e) => e.kind === kind);
}

function utcMs(v: number, name: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`event record: ${name} must be UTC ms (an integer ≥ 0), got ${v}`);
  return v;
}
