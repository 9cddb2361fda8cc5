import type { Database } from 'better-sqlite3';
import { ContextError } from '../lib/errors.ts';
import type { DeviceLogEntry, EventRecord, EventStatus, MeterSample, TimelineEntry } from './event-record.ts';

/**
 * Curtailment events in the records store: one interface, two stores — SQLite (migrations
 * 004, 005, 010; the embedded default) and PostgreSQL (./pg-event-store.ts, DATABASE_URL).
 * Every state change of an event is written before the engine acts on it, so a control plane
 * (or Redis) restart resumes the event from here: the queue moves work along, the store is
 * what the event is.
 *
 * A record is stored as rows: its head (status, target, baseline…) in curtailment_events, and
 * its timeline, device commands and meter samples as rows appended as they come. A save
 * writes only what changed since the last one — new rows, and device rows whose ack came
 * (found by object identity: record functions never mutate, they copy the rows they change).
 * Records written before migration 005 ('whole' layout) are read as they are and turn into
 * rows on their next save.
 *
 * Several control planes may share one store (PostgreSQL): an open event carries a lease
 * (owner instance id, expiry) so exactly one instance drives it; a save by an instance that
 * no longer holds the lease is refused (LeaseLostError) and changes nothing.
 */

export interface EventControl {
  priority: number;
  endMs: number;
  startMs: number;
  requestedBy: string;
  externalId?: string;
}

export interface StoredEvent {
  record: EventRecord;
  control: EventControl;
}

export interface Lease {
  owner: string;
  untilMs: number;
}

export interface EventSummary {
  id: string;
  status: EventStatus;
  createdAtMs: number;
  updatedAtMs: number;
}

export class LeaseLostError extends ContextError {
  constructor(eventId: string, owner: string) {
    super('E_CURTAILMENT_LEASE', `curtailment event ${eventId}: instance ${owner} no longer holds its lease (another instance drives it)`);
    this.name = 'LeaseLostError';
  }
}

export interface EventRecords {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Stores a new event, held by `lease`. When an event with its externalId is stored already
   * (the same dispatch received twice, here or at another instance), nothing is written and
   * that event's id comes back with created false.
   */
  insert(e: StoredEvent, nowMs: number, lease: Lease): Promise<{ id: string; created: boolean }>;
  /**
   * Writes what changed since the last save; resolves to the bytes of JSON written. With an
   * owner, refused (LeaseLostError) unless that owner holds the event's lease.
   */
  save(record: EventRecord, nowMs: number, owner?: string): Promise<number>;
  /** The engine is done with the event: it holds no devices any more. Its lease goes with it. */
  close(id: string): Promise<void>;
  get(id: string): Promise<StoredEvent | undefined>;
  byExternalId(externalId: string): Promise<string | undefined>;
  /**
   * Open events (not finished, or finished but still holding devices), oldest first: what an
   * engine resumes from, so a save after this read writes only what changes.
   */
  active(): Promise<StoredEvent[]>;
  list(limit: number): Promise<EventSummary[]>;
  /** One open event, read to be driven (as active() reads them): undefined when it is closed. */
  resume(id: string): Promise<StoredEvent | undefined>;
  /**
   * Takes or renews the lease of an open event: succeeds when it is free, expired (its
   * untilMs before nowMs), or already this owner's. `force` takes it whoever holds it (one
   * instance alone on its store, restarting).
   */
  claim(id: string, lease: Lease, nowMs: number, force?: boolean): Promise<boolean>;
  /** Open events whose lease another live instance does not hold (free, expired or `owner`'s). */
  claimable(owner: string, nowMs: number): Promise<string[]>;
  /** Gives a lease up (the instance stops): another instance may take the event at once. */
  release(id: string, owner: string): Promise<void>;
}

/** What of an event's lists is already in the store (the last saved arrays, by identity). */
interface Persisted {
  timeline: readonly TimelineEntry[];
  devices: readonly DeviceLogEntry[];
  meter: readonly MeterSample[];
}

export type Head = Omit<EventRecord, 'timeline' | 'devices' | 'meterSamples'>;

/** The rows one save writes (both stores execute the same plan). */
export interface RowWrites {
  head: string;
  /** Delete an event's rows of these tables first (a list that is not an extension of the saved one). */
  clear: Array<'timeline' | 'devices' | 'meter'>;
  /** Device rows at and past this seq are dropped (the list got shorter). */
  devicesFrom: number | null;
  timeline: Array<{ seq: number; json: string }>;
  meter: Array<{ seq: number; atMs: number; loadW: number }>;
  devices: Array<{ seq: number; json: string }>;
  bytes: number;
}

/** Per event, what this process last saved, so the next save writes only what changed. */
export class RowTracker {
  private readonly persisted = new Map<string, Persisted>();

  /** The writes that take the stored rows from the last save to `record` (all rows when unknown). */
  writes(record: EventRecord): RowWrites {
    const before = this.persisted.get(record.id);
    const head = JSON.stringify(headOf(record));
    const w: RowWrites = { head, clear: [], devicesFrom: null, timeline: [], meter: [], devices: [], bytes: head.length };
    if (before === undefined) w.clear.push('timeline', 'devices', 'meter');
    // Timeline and meter samples only grow; a list that is not an extension of the saved one
    // (samples sorted into the middle) is written again whole.
    const timelineFrom = appendedFrom(record.timeline, before?.timeline);
    if (timelineFrom === 0 && before && before.timeline.length) w.clear.push('timeline');
    for (let i = timelineFrom; i < record.timeline.length; i++) {
      const json = JSON.stringify(record.timeline[i]);
      w.bytes += json.length;
      w.timeline.push({ seq: i, json });
    }
    const meterFrom = appendedFrom(record.meterSamples, before?.meter);
    if (meterFrom === 0 && before && before.meter.length) w.clear.push('meter');
    for (let i = meterFrom; i < record.meterSamples.length; i++) {
      const s = record.meterSamples[i] as MeterSample;
      w.bytes += 24;
      w.meter.push({ seq: i, atMs: s.atMs, loadW: s.loadW });
    }
    // Device rows: appended, and rewritten one by one where the row changed (an ack).
    const old = before?.devices ?? [];
    if (record.devices.length < old.length) w.devicesFrom = record.devices.length;
    for (let i = 0; i < record.devices.length; i++) {
      const d = record.devices[i] as DeviceLogEntry;
      if (i < old.length && old[i] === d) continue;
      const json = JSON.stringify(d);
      w.bytes += json.length;
      w.devices.push({ seq: i, json });
    }
    return w;
  }

  /** The writes of `record` are in the store. */
  saved(record: EventRecord): void {
    this.persisted.set(record.id, { timeline: record.timeline, devices: record.devices, meter: record.meterSamples });
  }

  forget(id: string): void {
    this.persisted.delete(id);
  }
}

export const TABLE = { timeline: 'curtailment_timeline', devices: 'curtailment_devices', meter: 'curtailment_meter' } as const;

interface Row {
  id: string;
  layout: 'whole' | 'rows';
  control: string;
  record: string;
}

const SELECT = 'SELECT id, layout, control, record FROM curtailment_events';

export class SqliteEventStore implements EventRecords {
  readonly kind = 'sqlite';
  private readonly rows = new RowTracker();

  constructor(private readonly db: Database) {}

  async insert(e: StoredEvent, nowMs: number, lease: Lease): Promise<{ id: string; created: boolean }> {
    return this.db.transaction(() => {
      const r = this.db
        .prepare("INSERT INTO curtailment_events (id, status, externalId, createdAtMs, updatedAtMs, control, record, layout, open, leaseOwner, leaseUntilMs) VALUES (?, ?, ?, ?, ?, ?, ?, 'rows', 1, ?, ?) ON CONFLICT (externalId) DO NOTHING")
        .run(e.record.id, e.record.status, e.control.externalId ?? null, nowMs, nowMs, JSON.stringify(e.control), JSON.stringify(headOf(e.record)), lease.owner, lease.untilMs);
      if (r.changes === 0) return { id: this.idOfExternal(e.control.externalId!)!, created: false };
      this.write(e.record.id, this.rows.writes(e.record));
      this.rows.saved(e.record);
      return { id: e.record.id, created: true };
    })();
  }

  async save(record: EventRecord, nowMs: number, owner?: string): Promise<number> {
    const w = this.rows.writes(record);
    this.db.transaction(() => {
      const changed = this.db
        .prepare("UPDATE curtailment_events SET status = ?, updatedAtMs = ?, record = ?, layout = 'rows' WHERE id = ? AND (? IS NULL OR leaseOwner IS NULL OR leaseOwner = ?)")
        .run(record.status, nowMs, w.head, record.id, owner ?? null, owner ?? null).changes;
      if (changed === 0) throw new LeaseLostError(record.id, owner ?? '(none)');
      this.write(record.id, w);
    })();
    this.rows.saved(record);
    return w.bytes;
  }

  async close(id: string): Promise<void> {
    this.db.prepare('UPDATE curtailment_events SET open = 0, leaseOwner = NULL, leaseUntilMs = NULL WHERE id = ?').run(id);
    this.rows.forget(id);
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    const row = this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as Row | undefined;
    return row ? this.read(row, false) : undefined;
  }

  async byExternalId(externalId: string): Promise<string | undefined> {
    return this.idOfExternal(externalId);
  }

  async active(): Promise<StoredEvent[]> {
    const rows = this.db.prepare(`${SELECT} WHERE open = 1 ORDER BY createdAtMs`).all() as Row[];
    return rows.map((r) => this.read(r, true));
  }

  async resume(id: string): Promise<StoredEvent | undefined> {
    const row = this.db.prepare(`${SELECT} WHERE id = ? AND open = 1`).get(id) as Row | undefined;
    return row ? this.read(row, true) : undefined;
  }

  async list(limit: number): Promise<EventSummary[]> {
    return this.db.prepare('SELECT id, status, createdAtMs, updatedAtMs FROM curtailment_events ORDER BY createdAtMs DESC LIMIT ?').all(limit) as EventSummary[];
  }

  async claim(id: string, lease: Lease, nowMs: number, force = false): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE curtailment_events SET leaseOwner = ?, leaseUntilMs = ? WHERE id = ? AND open = 1 AND (? OR leaseOwner IS NULL OR leaseOwner = ? OR leaseUntilMs < ?)')
        .run(lease.owner, lease.untilMs, id, force ? 1 : 0, lease.owner, nowMs).changes > 0
    );
  }

  async claimable(owner: string, nowMs: number): Promise<string[]> {
    const rows = this.db.prepare('SELECT id FROM curtailment_events WHERE open = 1 AND (leaseOwner IS NULL OR leaseOwner = ? OR leaseUntilMs < ?) ORDER BY createdAtMs').all(owner, nowMs) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  async release(id: string, owner: string): Promise<void> {
    this.db.prepare('UPDATE curtailment_events SET leaseOwner = NULL, leaseUntilMs = NULL WHERE id = ? AND leaseOwner = ?').run(id, owner);
    this.rows.forget(id);
  }

  private idOfExternal(externalId: string): string | undefined {
    return (this.db.prepare('SELECT id FROM curtailment_events WHERE externalId = ?').get(externalId) as { id: string } | undefined)?.id;
  }

  /** `track`: the engine resumes from what is read, so its next save writes only what changes. */
  private read(row: Row, track: boolean): StoredEvent {
    const control = JSON.parse(row.control) as EventControl;
    if (row.layout === 'whole') {
      // Not in rows yet: its first save writes them all.
      this.rows.forget(row.id);
      return { control, record: JSON.parse(row.record) as EventRecord };
    }
    const h = JSON.parse(row.record) as Head;
    const entries = (table: string) => (this.db.prepare(`SELECT entry FROM ${table} WHERE eventId = ? ORDER BY seq`).all(row.id) as { entry: string }[]).map((r) => JSON.parse(r.entry) as unknown);
    const meterSamples = (this.db.prepare('SELECT atMs, loadW FROM curtailment_meter WHERE eventId = ? ORDER BY seq').all(row.id) as MeterSample[]).map((s) => ({ atMs: s.atMs, loadW: s.loadW }));
    const record: EventRecord = { ...h, timeline: entries(TABLE.timeline) as TimelineEntry[], meterSamples, devices: entries(TABLE.devices) as DeviceLogEntry[] };
    if (track) this.rows.saved(record);
    return { control, record };
  }

  private write(id: string, w: RowWrites): void {
    for (const t of w.clear) this.db.prepare(`DELETE FROM ${TABLE[t]} WHERE eventId = ?`).run(id);
    if (w.devicesFrom !== null) this.db.prepare('DELETE FROM curtailment_devices WHERE eventId = ? AND seq >= ?').run(id, w.devicesFrom);
    const addTimeline = this.db.prepare('INSERT OR REPLACE INTO curtailment_timeline (eventId, seq, entry) VALUES (?, ?, ?)');
    for (const t of w.timeline) addTimeline.run(id, t.seq, t.json);
    const addMeter = this.db.prepare('INSERT OR REPLACE INTO curtailment_meter (eventId, seq, atMs, loadW) VALUES (?, ?, ?, ?)');
    for (const s of w.meter) addMeter.run(id, s.seq, s.atMs, s.loadW);
    const addDevice = this.db.prepare('INSERT OR REPLACE INTO curtailment_devices (eventId, seq, entry) VALUES (?, ?, ?)');
    for (const d of w.devices) addDevice.run(id, d.seq, d.json);
  }
}

export function headOf(record: EventRecord): Head {
  const { timeline: _t, devices: _d, meterSamples: _m, ...rest } = record;
  return rest;
}

/** Index from which `now` adds to `before` (0 when it is not an extension of it). */
function appendedFrom<T>(now: readonly T[], before: readonly T[] | undefined): number {
  if (before === undefined || before.length === 0) return 0;
  if (now.length < before.length) return 0;
  // Record functions copy arrays but keep the entries: the last saved entry is still there.
  return now[before.length - 1] === before[before.length - 1] && now[0] === before[0] ? before.length : 0;
}
