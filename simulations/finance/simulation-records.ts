import type { Database } from 'better-sqlite3';
import type { SimulationRecord } from '../../services/api/routes/simulations.ts';

/**
 * What-if runs in the records store: one interface, two stores — SQLite (simulations,
 * migration 007) and PostgreSQL (./pg-simulation-records.ts, DATABASE_URL), so a run queued
 * at one control-plane instance is found by whichever instance's worker takes its job, and a
 * cancel reaches it there. The scenario and result are JSON text, as validated and as computed.
 */
export interface SimulationRow extends SimulationRecord {
  scenario: string;
  result: string | null;
  cancelRequested: boolean;
}

export interface SimulationRecords {
  readonly kind: 'sqlite' | 'postgres';
  insert(r: { id: string; name: string; paths: number; seed: number; scenario: string; createdAtMs: number }): Promise<void>;
  delete(id: string): Promise<void>;
  get(id: string): Promise<SimulationRow | undefined>;
  /** Newest first, without scenario and result. */
  list(): Promise<SimulationRecord[]>;
  /** Sets cancelRequested on a queued or running run; false when it has finished (or is unknown). */
  requestCancel(id: string): Promise<boolean>;
  /** Queued and running runs marked failed with `error` (their process is gone); how many. */
  failUnfinished(error: string, nowMs: number): Promise<number>;
  markRunning(id: string, nowMs: number): Promise<void>;
  /** Records progress; resolves to whether a cancel was asked for. */
  progress(id: string, donePaths: number): Promise<boolean>;
  finish(id: string, status: 'done' | 'failed' | 'cancelled', result: string | null, error: string | null, nowMs: number): Promise<void>;
}

const RECORD_COLUMNS = 'id, name, status, paths, seed, donePaths, createdAtMs, startedAtMs, finishedAtMs, error';

export class SqliteSimulationRecords implements SimulationRecords {
  readonly kind = 'sqlite';
  constructor(private readonly db: Database) {}

  async insert(r: { id: string; name: string; paths: number; seed: number; scenario: string; createdAtMs: number }): Promise<void> {
    this.db.prepare("INSERT INTO simulations (id, name, status, paths, seed, scenario, createdAtMs) VALUES (?, ?, 'queued', ?, ?, ?, ?)").run(r.id, r.name, r.paths, r.seed, r.scenario, r.createdAtMs);
  }

  async delete(id: string): Promise<void> {
    this.db.prepare('DELETE FROM simulations WHERE id = ?').run(id);
  }

  async get(id: string): Promise<SimulationRow | undefined> {
    const row = this.db.prepare('SELECT * FROM simulations WHERE id = ?').get(id) as (Omit<SimulationRow, 'cancelRequested'> & { cancelRequested: number }) | undefined;
    return row ? { ...row, cancelRequested: row.cancelRequested === 1 } : undefined;
  }

  async list(): Promise<SimulationRecord[]> {
    return this.db.prepare(`SELECT ${RECORD_COLUMNS} FROM simulations ORDER BY createdAtMs DESC, id`).all() as SimulationRecord[];
  }

  async requestCancel(id: string): Promise<boolean> {
    return this.db.prepare("UPDATE simulations SET cancelRequested = 1 WHERE id = ? AND status IN ('queued', 'running')").run(id).changes > 0;
  }

  async failUnfinished(error: string, nowMs: number): Promise<number> {
    return this.db.prepare("UPDATE simulations SET status = 'failed', error = ?, finishedAtMs = ? WHERE status IN ('queued', 'running')").run(error, nowMs).changes;
  }

  async markRunning(id: string, nowMs: number): Promise<void> {
    this.db.prepare("UPDATE simulations SET status = 'running', startedAtMs = ?, donePaths = 0 WHERE id = ?").run(nowMs, id);
  }

  async progress(id: string, donePaths: number): Promise<boolean> {
    const r = this.db.prepare('UPDATE simulations SET donePaths = ? WHERE id = ? RETURNING cancelRequested').get(donePaths, id) as { cancelRequested: number } | undefined;
    return r?.cancelRequested === 1;
  }

  async finish(id: string, status: 'done' | 'failed' | 'cancelled', result: string | null, error: string | null, nowMs: number): Promise<void> {
    this.db.prepare('UPDATE simulations SET status = ?, result = ?, error = ?, finishedAtMs = ? WHERE id = ?').run(status, result, error, nowMs, id);
  }
}
