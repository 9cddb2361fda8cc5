import type pg from 'pg';
import { detailJson, type AuditEntry, type AuditQuery, type AuditStore, type NewAuditEntry } from './audit-log.ts';

/** The audit log in PostgreSQL (services/store/pg-migrations/001_audit.sql). */
export class PgAuditLog implements AuditStore {
  readonly kind = 'postgres';
  constructor(private readonly pool: pg.Pool) {}

  async record(e: NewAuditEntry): Promise<number> {
    const r = await this.pool.query<{ id: string }>(
      `INSERT INTO audit_log (atMs, actor, actorName, actorRole, action, detail, fromAddr, userAgent, outcome, requestId)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10) RETURNING id`,
      [e.atMs, e.actor, e.actorName, e.actorRole, e.action, detailJson(e.detail), e.fromAddr, e.userAgent, e.outcome, e.requestId],
    );
    return Number(r.rows[0]!.id);
  }

  async list(q: AuditQuery): Promise<AuditEntry[]> {
    // Unquoted identifiers are folded to lower case by PostgreSQL; the aliases restore the names.
    const r = await this.pool.query<Omit<AuditEntry, 'id' | 'atMs'> & { id: string; atMs: string }>(
      `SELECT id, atms AS "atMs", actor, actorname AS "actorName", actorrole AS "actorRole", action, detail,
              fromaddr AS "fromAddr", useragent AS "userAgent", outcome, requestid AS "requestId"
       FROM audit_log
       WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR actor = $2)
         AND ($3::text IS NULL OR left(action, length($3)) = $3)
       ORDER BY id DESC LIMIT $4`,
      [q.beforeId ?? null, q.actor ?? null, q.actionPrefix ?? null, q.limit],
    );
    // BIGINT arrives as a string (it may exceed 2^53); ids and ms times here do not.
    return r.rows.map((row) => ({ ...row, id: Number(row.id), atMs: Number(row.atMs) }));
  }
}
