import type { Database } from 'better-sqlite3';

/**
 * API tokens in the records store: one interface, two stores — SQLite (api_tokens, migration
 * 002; the embedded default) and PostgreSQL (./pg-token-records.ts, DATABASE_URL). A token
 * change and its audit row are written in one transaction. test/support/records-contract.ts
 * runs the same cases on both.
 */
/** Token roles (what each may do: ./tokens.ts). */
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

export interface TokenRow extends TokenInfo {
  secretSha256: string;
}

/** The audit row written with a token change (the audit log's who/what/when columns). */
export interface TokenAudit {
  atMs: number;
  actor: string;
  action: 'token.create' | 'token.revoke';
  detail: Record<string, string>;
}

export interface TokenRecords {
  readonly kind: 'sqlite' | 'postgres';
  insert(row: TokenRow, audit: TokenAudit): Promise<void>;
  bySecretHash(secretSha256: string): Promise<TokenRow | undefined>;
  get(id: string): Promise<TokenRow | undefined>;
  touch(id: string, atMs: number): Promise<void>;
  /** Sets revokedAtMs on an active token and audits it; false when none was active. */
  revoke(id: string, audit: TokenAudit): Promise<boolean>;
  /** Every token, oldest first. */
  list(): Promise<TokenRow[]>;
  /** Active tokens of a role (and name, when given), oldest first. */
  active(role: Role, name?: string): Promise<TokenRow[]>;
}

export class SqliteTokenRecords implements TokenRecords {
  readonly kind = 'sqlite';
  constructor(private readonly db: Database) {}

  async insert(row: TokenRow, audit: TokenAudit): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO api_tokens (id, name, role, secretSha256, createdAtMs) VALUES (@id, @name, @role, @secretSha256, @createdAtMs)').run(row);
      this.audit(audit);
    })();
  }

  async bySecretHash(secretSha256: string): Promise<TokenRow | undefined> {
    return this.db.prepare('SELECT * FROM api_tokens WHERE secretSha256 = ?').get(secretSha256) as TokenRow | undefined;
  }

  async get(id: string): Promise<TokenRow | undefined> {
    return this.db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow | undefined;
  }

  async touch(id: string, atMs: number): Promise<void> {
    this.db.prepare('UPDATE api_tokens SET lastUsedAtMs = ? WHERE id = ?').run(atMs, id);
  }

  async revoke(id: string, audit: TokenAudit): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.db.prepare('UPDATE api_tokens SET revokedAtMs = ? WHERE id = ? AND revokedAtMs IS NULL').run(audit.atMs, id).changes;
      if (changed > 0) this.audit(audit);
      return changed > 0;
    })();
  }

  async list(): Promise<TokenRow[]> {
    return this.db.prepare('SELECT * FROM api_tokens ORDER BY createdAtMs, id').all() as TokenRow[];
  }

  async active(role: Role, name?: string): Promise<TokenRow[]> {
    return this.db.prepare('SELECT * FROM api_tokens WHERE role = ? AND revokedAtMs IS NULL AND (? IS NULL OR name = ?) ORDER BY createdAtMs, id').all(role, name ?? null, name ?? null) as TokenRow[];
  }

  private audit(a: TokenAudit): void {
    this.db.prepare('INSERT INTO audit_log (atMs, actor, action, detail) VALUES (?, ?, ?, ?)').run(a.atMs, a.actor, a.action, JSON.stringify(a.detail));
  }
}
