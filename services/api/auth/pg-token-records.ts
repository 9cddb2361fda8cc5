import type pg from 'pg';
import { withTransaction } from '../../store/pg.ts';
import type { Role, TokenAudit, TokenRecords, TokenRow } from './token-records.ts';

/** API tokens in PostgreSQL (services/store/pg-migrations/002_tokens_ingest.sql). */
const COLUMNS = `id, name, role, secretsha256 AS "secretSha256", createdatms AS "createdAtMs", lastusedatms AS "lastUsedAtMs", revokedatms AS "revokedAtMs"`;

type PgRow = Omit<TokenRow, 'createdAtMs' | 'lastUsedAtMs' | 'revokedAtMs'> & { createdAtMs: string; lastUsedAtMs: string | null; revokedAtMs: string | null };

/** BIGINT arrives as a string; ms times fit a double. */
function fromPg(r: PgRow): TokenRow {
  return { ...r, createdAtMs: Number(r.createdAtMs), lastUsedAtMs: r.lastUsedAtMs === null ? null : Number(r.lastUsedAtMs), revokedAtMs: r.revokedAtMs === null ? null : Number(r.revokedAtMs) };
}

export class PgTokenRecords implements TokenRecords {
  readonly kind = 'postgres';
  constructor(private readonly pool: pg.Pool) {}

  async insert(row: TokenRow, audit: TokenAudit): Promise<void> {
    await withTransaction(this.pool, async (c) => {
      await c.query('INSERT INTO api_tokens (id, name, role, secretSha256, createdAtMs) VALUES ($1, $2, $3, $4, $5)', [row.id, row.name, row.role, row.secretSha256, row.createdAtMs]);
      await auditRow(c, audit);
    });
  }

  async bySecretHash(secretSha256: string): Promise<TokenRow | undefined> {
    const r = await this.pool.query<PgRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE secretSha256 = $1`, [secretSha256]);
    return r.rows[0] ? fromPg(r.rows[0]) : undefined;
  }

  async get(id: string): Promise<TokenRow | undefined> {
    const r = await this.pool.query<PgRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = $1`, [id]);
    return r.rows[0] ? fromPg(r.rows[0]) : undefined;
  }

  async touch(id: string, atMs: number): Promise<void> {
    await this.pool.query('UPDATE api_tokens SET lastUsedAtMs = $1 WHERE id = $2', [atMs, id]);
  }

  async revoke(id: string, audit: TokenAudit): Promise<boolean> {
    return withTransaction(this.pool, async (c) => {
      const r = await c.query('UPDATE api_tokens SET revokedAtMs = $1 WHERE id = $2 AND revokedAtMs IS NULL', [audit.atMs, id]);
      if ((r.rowCount ?? 0) > 0) await auditRow(c, audit);
      return (r.rowCount ?? 0) > 0;
    });
  }

  async list(): Promise<TokenRow[]> {
    return (await this.pool.query<PgRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY createdAtMs, id`)).rows.map(fromPg);
  }

  async active(role: Role, name?: string): Promise<TokenRow[]> {
    const r = await this.pool.query<PgRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE role = $1 AND revokedAtMs IS NULL AND ($2::text IS NULL OR name = $2) ORDER BY createdAtMs, id`, [role, name ?? null]);
    return r.rows.map(fromPg);
  }
}

async function auditRow(c: pg.PoolClient, a: TokenAudit): Promise<void> {
  await c.query('INSERT INTO audit_log (atMs, actor, action, detail) VALUES ($1, $2, $3, $4::jsonb)', [a.atMs, a.actor, a.action, JSON.stringify(a.detail)]);
}
