import type { Database } from 'better-sqlite3';
import type { PlanReport } from './plan-report.ts';

/**
 * Dispatch plans as computed, in the records store: one interface, two stores — SQLite
 * (plans, migration 003) and PostgreSQL (./pg-plan-records.ts). The newest is what the plan
 * was; older ones are kept (bounded) so "what did the plan say at 14:00" has an answer.
 */
export interface PlanRow {
  id: number;
  createdAtMs: number;
  trigger: string;
  /** The solver's status, or "error". */
  status: string;
  marginUsd: number | null;
  error: string | null;
  report: PlanReport | null;
}

export type NewPlanRow = Omit<PlanRow, 'id'>;

export interface PlanRecords {
  readonly kind: 'sqlite' | 'postgres';
  /** Adds a plan and drops all but the newest `keep`; resolves to its id. */
  add(row: NewPlanRow, keep: number): Promise<number>;
  /** Newest first, without their reports. */
  list(limit: number): Promise<Array<Omit<PlanRow, 'report'>>>;
  latest(): Promise<PlanRow | undefined>;
}

interface SqliteRow extends Omit<PlanRow, 'report'> {
  report: string | null;
}

export class SqlitePlanRecords implements PlanRecords {
  readonly kind = 'sqlite';
  constructor(private readonly db: Database) {}

  async add(row: NewPlanRow, keep: number): Promise<number> {
    return this.db.transaction(() => {
      const r = this.db
        .prepare('INSERT INTO plans (createdAtMs, trigger, status, marginUsd, error, report) VALUES (?, ?, ?, ?, ?, ?)')
        .run(row.createdAtMs, row.trigger, row.status, row.marginUsd, row.error, row.report === null ? null : JSON.stringify(row.report));
      this.db.prepare('DELETE FROM plans WHERE id <= (SELECT MAX(id) FROM plans) - ?').run(keep);
      return Number(r.lastInsertRowid);
    })();
  }

  async list(limit: number): Promise<Array<Omit<PlanRow, 'report'>>> {
    return this.db.prepare('SELECT id, createdAtMs, trigger, status, marginUsd, error FROM plans ORDER BY id DESC LIMIT ?').all(limit) as Array<Omit<PlanRow, 'report'>>;
  }

  async latest(): Promise<PlanRow | undefined> {
    const r = this.db.prepare('SELECT id, createdAtMs, trigger, status, marginUsd, error, report FROM plans ORDER BY id DESC LIMIT 1').get() as SqliteRow | undefined;
    return r ? { ...r, report: r.report === null ? null : (JSON.parse(r.report) as PlanReport) } : undefined;
  }
}
