import type { Database } from 'better-sqlite3';

/**
 * The audit log in the records store: every control action, who did it, when, from where and
 * how it ended. Append-only (the database enforces it). One interface, two stores: SQLite
 * (audit_log, migrations 001 and 008; the embedded default) and PostgreSQL (DATABASE_URL;
 * ./pg-audit-log.ts). test/support/audit-contract.ts runs the same tests on both.
 */
export interface AuditEntry {
  id: number;
  atMs: number;
  /** A token id (tok_…), "cli:<user>" for the local CLI, "anonymous" without a token, "system". */
  actor: string;
  actorName: string | null;
  actorRole: string | null;
  /** e.g. "POST /api/curtailment/events", "token.create". */
  action: string;
  detail: Record<string, unknown>;
  fromAddr: string | null;
  userAgent: string | null;
  /** The HTTP status of the request, or "ok" for a local action. */
  outcome: string | null;
  requestId: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  limit: number;
  /** Entries with a smaller id (paging back from the newest). */
  beforeId?: number;
  actor?: string;
  /** Entries whose action starts with this. */
  actionPrefix?: string;
}

interface Row extends Omit<AuditEntry, 'detail'> {
  detail: string;
}

/** Detail kept per entry, bytes of JSON: a request body bigger than this is cut to a summary. */
export const MAX_DETAIL_BYTES = 4096;

export interface AuditStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Resolves to the new entry's id. */
  record(e: NewAuditEntry): Promise<number>;
  /** Newest first. */
  list(q: AuditQuery): Promise<AuditEntry[]>;
}

/**
 * The detail as stored: JSON, cut to a summary past MAX_DETAIL_BYTES, or when it nests too
 * deep to write (a hostile body of 5,000 nested arrays parses, but overflows JSON.stringify's
 * stack): the entry is still written.
 */
export function detailJson(detail: Record<string, unknown>): string {
  let json: string;
  try {
    json = JSON.stringify(detail);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return JSON.stringify({ truncated: true, keys: Object.keys(detail), reason: 'nested too deep to write' });
  }
  const bytes = Buffer.byteLength(json);
  return bytes > MAX_DETAIL_BYTES ? JSON.stringify({ truncated: true, keys: Object.keys(detail), bytes }) : json;
}

export class AuditLog implements AuditStore {
  readonly kind = 'sqlite';
  constructor(private readonly db: Database) {}

  async record(e: NewAuditEntry): Promise<number> {
    const detail = detailJson(e.detail);
    const r = this.db
      .prepare(
        `INSERT INTO audit_log (atMs, actor, actorName, actorRole, action, detail, fromAddr, userAgent, outcome, requestId)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(e.atMs, e.actor, e.actorName, e.actorRole, e.action, detail, e.fromAddr, e.userAgent, e.outcome, e.requestId);
    return Number(r.lastInsertRowid);
  }

  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const rows = this.db
      .prepare(
        `SELECT id, atMs, actor, actorName, actorRole, action, detail, fromAddr, userAgent, outcome, requestId FROM audit_log
         WHERE (@beforeId IS NULL OR id < @beforeId) AND (@actor IS NULL OR actor = @actor)
           AND (@prefix IS NULL OR substr(action, 1, length(@prefix)) = @prefix)
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({ beforeId: q.beforeId ?? null, actor: q.actor ?? null, prefix: q.actionPrefix ?? null, limit: q.limit }) as Row[];
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}
