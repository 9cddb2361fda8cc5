import type { Database } from 'better-sqlite3';
import type { DeviceLogEntry, EventRecord, EventStatus, MeterSample, TimelineEntry } from './event-record.ts';

/**
 * Curtailment events in the records store (SQLite). Every state change of an event is written
 * before the engine acts on it, so a control plane (or Redis) restart resumes the event from
 * here: the queue moves work along, the store is what the event is.
 *
 * A record is stored as rows (migration 005): its head (status, target, baseline…) in
 * curtailment_events, and its timeline, device commands and meter samples as rows appended as
 * they come. A save writes only what changed since the last one — new rows, and device rows
 * whose ack came (found by object identity: record functions never mutate, they copy the rows
 * they change). Rewriting the whole record on every save cost 445–715 KB per save at 3,180
 * devices. Records written before the migration ('whole' layout) are read as they are and
 * turn into rows on their next save.
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

/** What of an event's lists is already in the store (the last saved arrays, by identity). */
interface Persisted {
  timeline: readonly TimelineEntry[];
  devices: readonly DeviceLogEntry[];
  meter: readonly MeterSample[];
}

interface Row {
  id: string;
  layout: 'whole' | 'rows';
  control: string;
  record: string;
}

type Head = Omit<EventRecord, 'timeline' | 'devices' | 'meterSamples'>;

const SELECT = 'SELECT id, layout, control, record FROM curtailment_events';

export class EventStore {
  private readonly persisted = new Map<string, Persisted>();

  constructor(private readonly db: Database) {}

  insert(e: StoredEvent, nowMs: number): void {
    this.db.transaction(() => {
      this.db
        .prepare("INSERT INTO curtailment_events (id, status, externalId, createdAtMs, updatedAtMs, control, record, layout, open) VALUES (?, ?, ?, ?, ?, ?, ?, 'rows', 1)")
        .run(e.record.id, e.record.status, e.control.externalId ?? null, nowMs, nowMs, JSON.stringify(e.control), JSON.stringify(head(e.record)));
      this.writeLists(e.record, undefined);
    })();
  }

  /** Writes what changed since the last save; returns the bytes of JSON written (for tests and logs). */
  save(record: EventRecord, nowMs: number): number {
    let bytes = 0;
    this.db.transaction(() => {
      const h = JSON.stringify(head(record));
      bytes += h.length;
      this.db.prepare("UPDATE curtailment_events SET status = ?, updatedAtMs = ?, record = ?, layout = 'rows' WHERE id = ?").run(record.status, nowMs, h, record.id);
      bytes += this.writeLists(record, this.persisted.get(record.id));
    })();
    return bytes;
  }

  /** The engine is done with the event: it holds no devices any more. */
  close(id: string): void {
    this.db.prepare('UPDATE curtailment_events SET open = 0 WHERE id = ?').run(id);
    this.persisted.delete(id);
  }

  get(id: string): StoredEvent | undefined {
    const row = this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as Row | undefined;
    return row ? this.read(row) : undefined;
  }

  byExternalId(externalId: string): string | undefined {
    const row = this.db.prepare('SELECT id FROM curtailment_events WHERE externalId = ?').get(externalId) as { id: string } | undefined;
    return row?.id;
  }

  /** Events the engine must resume: not finished, or finished but still holding devices (an abort being put back). */
  active(): StoredEvent[] {
    const rows = this.db.prepare(`${SELECT} WHERE open = 1 ORDER BY createdAtMs`).all() as Row[];
    return rows.map((r) => {
      const e = this.read(r);
      this.persisted.set(e.record.id, { timeline: e.record.timeline, devices: e.record.devices, meter: e.record.meterSamples });
      // A 'whole' record is not in rows yet: its first save writes them all.
      if (r.layout === 'whole') this.persisted.delete(e.record.id);
      return e;
    });
  }

  list(limit: number): { id: string; status: EventStatus; createdAtMs: number; updatedAtMs: number }[] {
    return this.db.prepare('SELECT id, status, createdAtMs, updatedAtMs FROM curtailment_events ORDER BY createdAtMs DESC LIMIT ?').all(limit) as { id: string; status: EventStatus; createdAtMs: number; updatedAtMs: number }[];
  }

  private read(row: Row): StoredEvent {
    const control = JSON.parse(row.control) as EventControl;
    if (row.layout === 'whole') return { control, record: JSON.parse(row.record) as EventRecord };
    const h = JSON.parse(row.record) as Head;
    const entries = (table: string) => (this.db.prepare(`SELECT entry FROM ${table} WHERE eventId = ? ORDER BY seq`).all(row.id) as { entry: string }[]).map((r) => JSON.parse(r.entry) as unknown);
    const meterSamples = (this.db.prepare('SELECT atMs, loadW FROM curtailment_meter WHERE eventId = ? ORDER BY seq').all(row.id) as MeterSample[]).map((s) => ({ atMs: s.atMs, loadW: s.loadW }));
    const record: EventRecord = { ...h, timeline: entries('curtailment_timeline') as TimelineEntry[], meterSamples, devices: entries('curtailment_devices') as DeviceLogEntry[] };
    return { control, record };
  }

  private writeLists(record: EventRecord, before: Persisted | undefined): number {
    let bytes = 0;
    const id = record.id;
    if (before === undefined) {
      for (const t of ['curtailment_timeline', 'curtailment_devices', 'curtailment_meter']) this.db.prepare(`DELETE FROM ${t} WHERE eventId = ?`).run(id);
    }
    // Timeline and meter samples only grow; a list that is not an extension of the saved one
    // (samples sorted into the middle) is written again whole.
    const insertEntry = (table: string) => this.db.prepare(`INSERT OR REPLACE INTO ${table} (eventId, seq, entry) VALUES (?, ?, ?)`);
    const timelineFrom = appendedFrom(record.timeline, before?.timeline);
    if (timelineFrom === 0 && before && before.timeline.length) this.db.prepare('DELETE FROM curtailment_timeline WHERE eventId = ?').run(id);
    const addTimeline = insertEntry('curtailment_timeline');
    for (let i = timelineFrom; i < record.timeline.length; i++) {
      const json = JSON.stringify(record.timeline[i]);
      bytes += json.length;
      addTimeline.run(id, i, json);
    }
    const meterFrom = appendedFrom(record.meterSamples, before?.meter);
    if (meterFrom === 0 && before && before.meter.length) this.db.prepare('DELETE FROM curtailment_meter WHERE eventId = ?').run(id);
    const addMeter = this.db.prepare('INSERT OR REPLACE INTO curtailment_meter (eventId, seq, atMs, loadW) VALUES (?, ?, ?, ?)');
    for (let i = meterFrom; i < record.meterSamples.length; i++) {
      const s = record.meterSamples[i] as MeterSample;
      bytes += 24;
      addMeter.run(id, i, s.atMs, s.loadW);
    }
    // Device rows: appended, and rewritten one by one where the row changed (an ack).
    const addDevice = insertEntry('curtailment_devices');
    const old = before?.devices ?? [];
    if (record.devices.length < old.length) this.db.prepare('DELETE FROM curtailment_devices WHERE eventId = ? AND seq >= ?').run(id, record.devices.length);
    for (let i = 0; i < record.devices.length; i++) {
      const d = record.devices[i] as DeviceLogEntry;
      if (i < old.length && old[i] === d) continue;
      const json = JSON.stringify(d);
      bytes += json.length;
      addDevice.run(id, i, json);
    }
    this.persisted.set(id, { timeline: record.timeline, devices: record.devices, meter: record.meterSamples });
    return bytes;
  }
}

function head(record: EventRecord): Head {
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
