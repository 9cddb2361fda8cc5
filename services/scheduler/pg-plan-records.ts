import type pg from 'pg';
import { withTransaction } from '../store/pg.ts';
import type { PlanReport } from './plan-report.ts';
import type { NewPlanRow, PlanRecords, PlanRow } from './plan-records.ts';

/** Dispatch plans in PostgreSQL (services/store/pg-migrations/003_plans.sql). */
const HEAD = `id, createdatms AS "createdAtMs", trigger, status, marginusd AS "marginUsd", error`;

interface PgRow {
  id: string;
  createdAtMs: string;
  trigger: string;
  status: string;
  marginUsd: number | null;
  error: string | null;
  report?: PlanReport | null;
}

const head = (r: PgRow): Omit<PlanRow, 'report'> => ({ id: Number(r.id), createdAtMs: Number(r.createdAtMs), trigger: r.trigger, status: r.status, marginUsd: r.marginUsd, error: r.error });

export class PgPlanRecords implements PlanRecords {
  readonly kind = 'postgres';
  constructor(private readonly pool: pg.Pool) {}

  async add(row: NewPlanRow, keep: number): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      const r = await c.query<{ id: string }>(
        'INSERT INTO plans (createdAtMs, trigger, status, marginUsd, error, report) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id',
        [row.createdAtMs, row.trigger, row.status, row.marginUsd, row.error, row.report === null ? null : JSON.stringify(row.report)],
      );
      const id = Number(r.rows[0]!.id);
      await c.query('DELETE FROM plans WHERE id <= $1', [id - keep]);
      return id;
    });
  }

  async list(limit: number): Promise<Array<Omit<PlanRow, 'report'>>> {
    return (await this.pool.query<PgRow>(`SELECT ${HEAD} FROM plans ORDER BY id DESC LIMIT $1`, [limit])).rows.map(head);
  }

  async latest(): Promise<PlanRow | undefined> {
    const r = (await this.pool.query<PgRow>(`SELECT ${HEAD}, report FROM plans ORDER BY id DESC LIMIT 1`)).rows[0];
    return r ? { ...head(r), report: r.report ?? null } : undefined;
  }
}
