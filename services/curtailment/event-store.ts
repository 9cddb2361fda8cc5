import type { Database } from 'better-sqlite3';
import type { EventRecord, EventStatus } from './event-record.ts';

/**
 * Curtailment events in the records store (SQLite). Every state change of an event is written
 * before the engine acts on it, so a control plane (or Redis) restart resumes the event from
 * here: the queue moves work along, the store is what the event is.
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

const ACTIVE: readonly EventStatus[] = ['planned', 'shedding', 'meter-confirmed', 'restoring'];

export class EventStore {
  constructor(private readonly db: Database) {}

  insert(e: StoredEvent, nowMs: number): void {
    this.db
      .prepare('INSERT INTO curtailment_events (id, status, externalId, createdAtMs, updatedAtMs, control, record) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.record.id, e.record.status, e.control.externalId ?? null, nowMs, nowMs, JSON.stringify(e.control), JSON.stringify(e.record));
  }

  save(record: EventRecord, nowMs: number): void {
    this.db.prepare('UPDATE curtailment_events SET status = ?, updatedAtMs = ?, record = ? WHERE id = ?').run(record.status, nowMs, JSON.stringify(record), record.id);
  }

  get(id: string): StoredEvent | undefined {
    const row = this.db.prepare('SELECT control, record FROM curtailment_events WHERE id = ?').get(id) as { control: string; record: string } | undefined;
    return row ? { control: JSON.parse(row.control) as EventControl, record: JSON.parse(row.record) as EventRecord } : undefined;
  }

  byExternalId(externalId: string): string | undefined {
    const row = this.db.prepare('SELECT id FROM curtailment_events WHERE externalId = ?').get(externalId) as { id: string } | undefined;
    return row?.id;
  }

  active(): StoredEvent[] {
    const rows = this.db.prepare(`SELECT control, record FROM curtailment_events WHERE status IN (${ACTIVE.map(() => '?').join(', ')}) ORDER BY createdAtMs`).all(...ACTIVE) as { control: string; record: string }[];
    return rows.map((r) => ({ control: JSON.parse(r.control) as EventControl, record: JSON.parse(r.record) as EventRecord }));
  }

  list(limit: number): { id: string; status: EventStatus; createdAtMs: number; updatedAtMs: number }[] {
    return this.db.prepare('SELECT id, status, createdAtMs, updatedAtMs FROM curtailment_events ORDER BY createdAtMs DESC LIMIT ?').all(limit) as { id: string; status: EventStatus; createdAtMs: number; updatedAtMs: number }[];
  }
}
