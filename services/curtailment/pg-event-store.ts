import type pg from 'pg';
import { withTransaction } from '../store/pg.ts';
import type { DeviceLogEntry, EventRecord, MeterSample, TimelineEntry } from './event-record.ts';
import { LeaseLostError, RowTracker, TABLE, type EventControl, type EventRecords, type EventSummary, type Head, type Lease, type RowWrites, type StoredEvent } from './event-store.ts';

/**
 * Curtailment events in PostgreSQL (services/store/pg-migrations/004_curtailment.sql): the
 * same rows as SQLite's, written in one transaction per save; the rows of a save go in one
 * statement per table (unnest), so a 3,180-device dispatch is three round trips, not 3,180.
 */
interface PgHead {
  id: string;
  control: EventControl;
  record: Head;
}

export class PgEventStore implements EventRecords {
  readonly kind = 'postgres';
  private readonly rows = new RowTracker();

  constructor(private readonly pool: pg.Pool) {}

  async insert(e: StoredEvent, nowMs: number, lease: Lease): Promise<{ id: string; created: boolean }> {
    const w = this.rows.writes(e.record);
    const out = await withTransaction(this.pool, async (c) => {
      const r = await c.query(
        'INSERT INTO curtailment_events (id, status, externalId, createdAtMs, updatedAtMs, control, record, open, leaseOwner, leaseUntilMs) VALUES ($1, $2, $3, $4, $4, $5::jsonb, $6::jsonb, TRUE, $7, $8) ON CONFLICT (externalId) DO NOTHING',
        [e.record.id, e.record.status, e.control.externalId ?? null, nowMs, JSON.stringify(e.control), w.head, lease.owner, lease.untilMs],
      );
      if ((r.rowCount ?? 0) === 0) {
        const known = await c.query<{ id: string }>('SELECT id FROM curtailment_events WHERE externalId = $1', [e.control.externalId ?? null]);
        return { id: known.rows[0]!.id, created: false };
      }
      await write(c, e.record.id, w);
      return { id: e.record.id, created: true };
    });
    if (out.created) this.rows.saved(e.record);
    return out;
  }

  async save(record: EventRecord, nowMs: number, owner?: string): Promise<number> {
    const w = this.rows.writes(record);
    await withTransaction(this.pool, async (c) => {
      const r = await c.query('UPDATE curtailment_events SET status = $1, updatedAtMs = $2, record = $3::jsonb WHERE id = $4 AND ($5::text IS NULL OR leaseOwner IS NULL OR leaseOwner = $5)', [record.status, nowMs, w.head, record.id, owner ?? null]);
      if ((r.rowCount ?? 0) === 0) throw new LeaseLostError(record.id, owner ?? '(none)');
      await write(c, record.id, w);
    });
    this.rows.saved(record);
    return w.bytes;
  }

  async close(id: string): Promise<void> {
    await this.pool.query('UPDATE curtailment_events SET open = FALSE, leaseOwner = NULL, leaseUntilMs = NULL WHERE id = $1', [id]);
    this.rows.forget(id);
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    const r = await this.pool.query<PgHead>('SELECT id, control, record FROM curtailment_events WHERE id = $1', [id]);
    return r.rows[0] ? this.read(r.rows[0], false) : undefined;
  }

  async byExternalId(externalId: string): Promise<string | undefined> {
    return (await this.pool.query<{ id: string }>('SELECT id FROM curtailment_events WHERE externalId = $1', [externalId])).rows[0]?.id;
  }

  async active(): Promise<StoredEvent[]> {
    const r = await this.pool.query<PgHead>('SELECT id, control, record FROM curtailment_events WHERE open ORDER BY createdAtMs, id');
    const out: StoredEvent[] = [];
    for (const row of r.rows) out.push(await this.read(row, true));
    return out;
  }

  async resume(id: string): Promise<StoredEvent | undefined> {
    const r = await this.pool.query<PgHead>('SELECT id, control, record FROM curtailment_events WHERE id = $1 AND open', [id]);
    return r.rows[0] ? this.read(r.rows[0], true) : undefined;
  }

  async list(limit: number): Promise<EventSummary[]> {
    const r = await this.pool.query<{ id: string; status: EventSummary['status']; createdAtMs: string; updatedAtMs: string }>(
      'SELECT id, status, createdatms AS "createdAtMs", updatedatms AS "updatedAtMs" FROM curtailment_events ORDER BY createdAtMs DESC, id LIMIT $1',
      [limit],
    );
    return r.rows.map((x) => ({ ...x, createdAtMs: Number(x.createdAtMs), updatedAtMs: Number(x.updatedAtMs) }));
  }

  async claim(id: string, lease: Lease, nowMs: number, force = false): Promise<boolean> {
    const r = await this.pool.query('UPDATE curtailment_events SET leaseOwner = $1, leaseUntilMs = $2 WHERE id = $3 AND open AND ($4 OR leaseOwner IS NULL OR leaseOwner = $1 OR leaseUntilMs < $5)', [lease.owner, lease.untilMs, id, force, nowMs]);
    return (r.rowCount ?? 0) > 0;
  }

  async claimable(owner: string, nowMs: number): Promise<string[]> {
    const r = await this.pool.query<{ id: string }>('SELECT id FROM curtailment_events WHERE open AND (leaseOwner IS NULL OR leaseOwner = $1 OR leaseUntilMs < $2) ORDER BY createdAtMs, id', [owner, nowMs]);
    return r.rows.map((x) => x.id);
  }

  async release(id: string, owner: string): Promise<void> {
    await this.pool.query('UPDATE curtailment_events SET leaseOwner = NULL, leaseUntilMs = NULL WHERE id = $1 AND leaseOwner = $2', [id, owner]);
    this.rows.forget(id);
  }

  private async read(row: PgHead, track: boolean): Promise<StoredEvent> {
    const [timeline, devices, meter] = await Promise.all([
      this.pool.query<{ entry: TimelineEntry }>('SELECT entry FROM curtailment_timeline WHERE eventId = $1 ORDER BY seq', [row.id]),
      this.pool.query<{ entry: DeviceLogEntry }>('SELECT entry FROM curtailment_devices WHERE eventId = $1 ORDER BY seq', [row.id]),
      this.pool.query<{ atMs: string; loadW: number }>('SELECT atms AS "atMs", loadw AS "loadW" FROM curtailment_meter WHERE eventId = $1 ORDER BY seq', [row.id]),
    ]);
    const meterSamples: MeterSample[] = meter.rows.map((s) => ({ atMs: Number(s.atMs), loadW: s.loadW }));
    const record: EventRecord = { ...row.record, timeline: timeline.rows.map((x) => x.entry), meterSamples, devices: devices.rows.map((x) => x.entry) };
    if (track) this.rows.saved(record);
    return { control: row.control, record };
  }
}

async function write(c: pg.PoolClient, id: string, w: RowWrites): Promise<void> {
  for (const t of w.clear) await c.query(`DELETE FROM ${TABLE[t]} WHERE eventId = $1`, [id]);
  if (w.devicesFrom !== null) await c.query('DELETE FROM curtailment_devices WHERE eventId = $1 AND seq >= $2', [id, w.devicesFrom]);
  const entries = async (table: string, list: Array<{ seq: number; json: string }>) => {
    if (list.length === 0) return;
    await c.query(`INSERT INTO ${table} (eventId, seq, entry) SELECT $1, s, e FROM unnest($2::int[], $3::jsonb[]) AS x (s, e) ON CONFLICT (eventId, seq) DO UPDATE SET entry = excluded.entry`, [id, list.map((x) => x.seq), list.map((x) => x.json)]);
  };
  await entries(TABLE.timeline, w.timeline);
  await entries(TABLE.devices, w.devices);
  if (w.meter.length) {
    await c.query('INSERT INTO curtailment_meter (eventId, seq, atMs, loadW) SELECT $1, s, a, l FROM unnest($2::int[], $3::bigint[], $4::float8[]) AS x (s, a, l) ON CONFLICT (eventId, seq) DO UPDATE SET atMs = excluded.atMs, loadW = excluded.loadW', [id, w.meter.map((x) => x.seq), w.meter.map((x) => x.atMs), w.meter.map((x) => x.loadW)]);
  }
}

