import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';

/**
 * API tokens. A token is a random secret handed out once; the store keeps only its SHA-256,
 * so a leaked database does not leak working credentials.
 *
 * Roles: viewer (reads), operator (site control), finance (finance pages and what-ifs),
 * admin (everything a person can do, token management included) and agent (ships telemetry
 * and takes commands). Admin is deliberately NOT an agent: an agent token is the only way to
 * write telemetry, so a person's token can never fabricate device readings, and an agent
 * token can do nothing else. An agent token's name is the agentId it may ship batches for.
 */
export const ROLES = ['viewer', 'operator', 'finance', 'admin', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}

export interface CreatedToken {
  token: TokenInfo;
  /** The secret: returned here once and never stored. */
  secret: string;
}

interface Row extends TokenInfo {
  secretSha256: string;
}

const SECRET_PREFIX = 'sy_';
/** lastUsedAtMs is a hint for audits, not an access log: write it at most this often. */
const TOUCH_EVERY_MS = 60_000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function toInfo(r: Row): TokenInfo {
  return { id: r.id, name: r.name, role: r.role, createdAtMs: r.createdAtMs, lastUsedAtMs: r.lastUsedAtMs, revokedAtMs: r.revokedAtMs };
}

/** Who changed a token, for the audit log: a token id, or "system" for first-start tokens. */
export type Actor = string;

export class TokenStore {
  private readonly db: Database;
  private readonly now: () => number;
  private readonly touchedAt = new Map<string, number>();

  constructor(db: Database, opts: { now?: () => number } = {}) {
    this.db = db;
    this.now = opts.now ?? Date.now;
  }

  create(input: { name: string; role: Role }, actor: Actor = 'system'): CreatedToken {
    const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
    const row: Row = {
      id: 'tok_' + randomBytes(6).toString('hex'),
      name: input.name,
      role: input.role,
      secretSha256: hashSecret(secret),
      createdAtMs: this.now(),
      lastUsedAtMs: null,
      revokedAtMs: null,
    };
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO api_tokens (id, name, role, secretSha256, createdAtMs)
           VALUES (@id, @name, @role, @secretSha256, @createdAtMs)`,
        )
        .run(row);
      this.audit(actor, 'token.create', { tokenId: row.id, name: row.name, role: row.role });
    })();
    return { token: toInfo(row), secret };
  }

  /** The active token for this secret, or null for an unknown, malformed or revoked one. */
  verify(secret: string): TokenInfo | null {
    if (!secret.startsWith(SECRET_PREFIX) || secret.length > 200) return null;
    const hash = hashSecret(secret);
    const row = this.db.prepare(`SELECT * FROM api_tokens WHERE secretSha256 = ?`).get(hash) as Row | undefined;
    if (!row || row.revokedAtMs !== null) return null;
    // The lookup is by hash already; the constant-time compare guards against a future
    // change to a prefix lookup.
    if (!timingSafeEqual(Buffer.from(row.secretSha256, 'hex'), Buffer.from(hash, 'hex'))) return null;
    const now = this.now();
    if (now - (this.touchedAt.get(row.id) ?? 0) >= TOUCH_EVERY_MS) {
      this.touchedAt.set(row.id, now);
      this.db.prepare(`UPDATE api_tokens SET lastUsedAtMs = ? WHERE id = ?`).run(now, row.id);
      row.lastUsedAtMs = now;
    }
    return toInfo(row);
  }

  /** Revokes a token; null when no token has this id. Revoking twice keeps the first time. */
  revoke(id: string, actor: Actor = 'system'): TokenInfo | null {
    this.db.transaction(() => {
      const changed = this.db
        .prepare(`UPDATE api_tokens SET revokedAtMs = ? WHERE id = ? AND revokedAtMs IS NULL`)
        .run(this.now(), id).changes;
      if (changed > 0) this.audit(actor, 'token.revoke', { tokenId: id });
    })();
    const row = this.db.prepare(`SELECT * FROM api_tokens WHERE id = ?`).get(id) as Row | undefined;
    return row ? toInfo(row) : null;
  }

  list(): TokenInfo[] {
    const rows = this.db.prepare(`SELECT * FROM api_tokens ORDER BY createdAtMs, id`).all() as Row[];
    return rows.map(toInfo);
  }

  /** Active tokens of a role (and name, when given). */
  active(role: Role, name?: string): TokenInfo[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM api_tokens WHERE role = ? AND revokedAtMs IS NULL AND (? IS NULL OR name = ?)
         ORDER BY createdAtMs`,
      )
      .all(role, name ?? null, name ?? null) as Row[];
    return rows.map(toInfo);
  }

  private audit(actor: Actor, action: string, detail: Record<string, string>): void {
    this.db
      .prepare(`INSERT INTO audit_log (atMs, actor, action, detail) VALUES (?, ?, ?, ?)`)
      .run(this.now(), actor, action, JSON.stringify(detail));
  }
}
