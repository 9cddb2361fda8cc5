import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { SqliteTokenRecords, type Role, type TokenAudit, type TokenInfo, type TokenRecords, type TokenRow } from './token-records.ts';

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
export { ROLES, type Role, type TokenInfo } from './token-records.ts';

export interface CreatedToken {
  token: TokenInfo;
  /** The secret: returned here once and never stored. */
  secret: string;
}

const SECRET_PREFIX = 'sy_';
/** lastUsedAtMs is a hint for audits, not an access log: write it at most this often. */
const TOUCH_EVERY_MS = 60_000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function toInfo(r: TokenRow): TokenInfo {
  return { id: r.id, name: r.name, role: r.role, createdAtMs: r.createdAtMs, lastUsedAtMs: r.lastUsedAtMs, revokedAtMs: r.revokedAtMs };
}

/** Who changed a token, for the audit log: a token id, or "system" for first-start tokens. */
export type Actor = string;

/** Tokens over their records (SQLite or PostgreSQL, token-records.ts). */
export class TokenStore {
  readonly records: TokenRecords;
  private readonly now: () => number;
  private readonly touchedAt = new Map<string, number>();

  /** A SQLite database is wrapped as its token records (the embedded default). */
  constructor(records: TokenRecords | Database, opts: { now?: () => number } = {}) {
    this.records = 'bySecretHash' in records ? records : new SqliteTokenRecords(records);
    this.now = opts.now ?? Date.now;
  }

  async create(input: { name: string; role: Role }, actor: Actor = 'system'): Promise<CreatedToken> {
    const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
    const row: TokenRow = {
      id: 'tok_' + randomBytes(6).toString('hex'),
      name: input.name,
      role: input.role,
      secretSha256: hashSecret(secret),
      createdAtMs: this.now(),
      lastUsedAtMs: null,
      revokedAtMs: null,
    };
    await this.records.insert(row, this.audit(actor, 'token.create', { tokenId: row.id, name: row.name, role: row.role }));
    return { token: toInfo(row), secret };
  }

  /** The active token for this secret, or null for an unknown, malformed or revoked one. */
  async verify(secret: string): Promise<TokenInfo | null> {
    if (!secret.startsWith(SECRET_PREFIX) || secret.length > 200) return null;
    const hash = hashSecret(secret);
    const row = await this.records.bySecretHash(hash);
    if (!row || row.revokedAtMs !== null) return null;
    // The lookup is by hash already; the constant-time compare guards against a future
    // change to a prefix lookup.
    if (!timingSafeEqual(Buffer.from(row.secretSha256, 'hex'), Buffer.from(hash, 'hex'))) return null;
    const now = this.now();
    if (now - (this.touchedAt.get(row.id) ?? 0) >= TOUCH_EVERY_MS) {
      this.touchedAt.set(row.id, now);
      await this.records.touch(row.id, now);
      row.lastUsedAtMs = now;
    }
    return toInfo(row);
  }

  /** Revokes a token; null when no token has this id. Revoking twice keeps the first time. */
  async revoke(id: string, actor: Actor = 'system'): Promise<TokenInfo | null> {
    await this.records.revoke(id, this.audit(actor, 'token.revoke', { tokenId: id }));
    const row = await this.records.get(id);
    return row ? toInfo(row) : null;
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.records.list()).map(toInfo);
  }

  /** Active tokens of a role (and name, when given). */
  async active(role: Role, name?: string): Promise<TokenInfo[]> {
    return (await this.records.active(role, name)).map(toInfo);
  }

  private audit(actor: Actor, action: TokenAudit['action'], detail: Record<string, string>): TokenAudit {
    return { atMs: this.now(), actor, action, detail };
  }
}
