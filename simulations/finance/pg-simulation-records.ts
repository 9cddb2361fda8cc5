import type pg from 'pg';
import type { SimulationRecord } from '../../services/api/routes/simulations.ts';
import type { SimulationRecords, SimulationRow } from './simulation-records.ts';

/** What-if runs in PostgreSQL (services/store/pg-migrations/005_simulations.sql). */
const RECORD_COLUMNS = `id, name, status, paths, seed, donepaths AS "donePaths", createdatms AS "createdAtMs", startedatms AS "startedAtMs", finishedatms AS "finishedAtMs", error`;

type PgRecord = Omit<SimulationRecord, 'createdAtMs' | 'startedAtMs' | 'finishedAtMs' | 'seed'> & { seed: string; createdAtMs: string; startedAtMs: string | null; finishedAtMs: string | null };

/** BIGINT arrives as a string; seeds and ms times fit a double. */
function record(r: PgRecord): SimulationRecord {
  return { ...r, seed: Number(r.seed), createdAtMs: Number(r.createdAtMs), startedAtMs: r.startedAtMs === null ? null : Number(r.startedAtMs), finishedAtMs: r.finishedAtMs === null ? null : Number(r.finishedAtMs) };
}

export class PgSimulationRecords implements SimulationRecords {
  readonly kind = 'postgres';
  constructor(private readonly pool: pg.Pool) {}

  async insert(r: { id: string; name: string; paths: number; seed: number; scenario: string; createdAtMs: number }): Promise<void> {
    await this.pool.query("INSERT INTO simulations (id, name, status, paths, seed, scenario, createdAtMs) VALUES ($1, $2, 'queued', $3, $4, $5, $6)", [r.id, r.name, r.paths, r.seed, r.scenario, r.createdAtMs]);
  }

  async delete(id: string): Promise<void> {
    await this.pool.query('DELETE FROM simulations WHERE id = $1', [id]);
  }

  async get(id: string): Promise<SimulationRow | undefined> {
    const r = await this.pool.query<PgRecord & { scenario: string; result: string | null; cancelRequested: boolean }>(`SELECT ${RECORD_COLUMNS}, scenario, result, cancelrequested AS "cancelRequested" FROM simulations WHERE id = $1`, [id]);
    const row = r.rows[0];
    return row ? { ...record(row), scenario: row.scenario, result: row.result, cancelRequested: row.cancelRequested } : undefined;
  }

  async list(): Promise<SimulationRecord[]> {
    return (await this.pool.query<PgRecord>(`SELECT ${RECORD_COLUMNS} FROM simulations ORDER BY createdAtMs DESC, id`)).rows.map(record);
  }

  async requestCancel(id: string): Promise<boolean> {
    const r = await this.pool.query("UPDATE simulations SET cancelRequested = TRUE WHERE id = $1 AND status IN ('queued', 'running')", [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async failUnfinished(error: string, nowMs: number): Promise<number> {
    const r = await this.pool.query("UPDATE simulations SET status = 'failed', error = $1, finishedAtMs = $2 WHERE status IN ('queued', 'running')", [error, nowMs]);
    return r.rowCount ?? 0;
  }

  async markRunning(id: string, nowMs: number): Promise<void> {
    await this.pool.query("UPDATE simulations SET status = 'running', startedAtMs = $1, donePaths = 0 WHERE id = $2", [nowMs, id]);
  }

  async progress(id: string, donePaths: number): Promise<boolean> {
    const r = await this.pool.query<{ c: boolean }>('UPDATE simulations SET donePaths = $1 WHERE id = $2 RETURNING cancelRequested AS c', [donePaths, id]);
    return r.rows[0]?.c === true;
  }

  async finish(id: string, status: 'done' | 'failed' | 'cancelled', result: string | null, error: string | null, nowMs: number): Promise<void> {
    await this.pool.query('UPDATE simulations SET status = $1, result = $2, error = $3, finishedAtMs = $4 WHERE id = $5', [status, result, error, nowMs, id]);
  }
}
