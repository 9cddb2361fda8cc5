import type { Database, Statement } from 'better-sqlite3';

/**
 * Which (agentId, seq) batches were applied, in the records store, so an agent replaying its
 * store-and-forward queue after a lost ack — or after a control-plane restart, or to another
 * instance — is acknowledged without the batch being applied twice. One interface, two
 * stores: SQLite (agent_batches_seen, migration 001) and PostgreSQL (./pg-ingest-ledger.ts).
 * Entries older than the retention are pruned: a replay that late is far past any queue.
 */
export interface IngestLedger {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Records a batch as being applied; false when it already was. Atomic: of two copies of a
   * batch arriving together (at one instance or two), one claims it.
   */
  claim(agentId: string, seq: number): Promise<boolean>;
  /** Undoes a claim whose batch could not be applied, so its replay is applied. */
  forget(agentId: string, seq: number): Promise<void>;
  has(agentId: string, seq: number): Promise<boolean>;
}

export interface IngestLedgerOptions {
  /** Default 7 days. */
  retentionMs?: number;
  now?: () => number;
}

export const PRUNE_EVERY_MS = 10 * 60_000;
export const DEFAULT_RETENTION_MS = 7 * 86_400_000;

export class SqliteIngestLedger implements IngestLedger {
  readonly kind = 'sqlite';
  private readonly hasStmt: Statement<[string, number]>;
  private readonly addStmt: Statement<[string, number, number]>;
  private readonly forgetStmt: Statement<[string, number]>;
  private readonly pruneStmt: Statement<[number]>;
  private readonly retentionMs: number;
  private readonly now: () => number;
  private prunedAt = 0;

  constructor(db: Database, opts: IngestLedgerOptions = {}) {
    this.hasStmt = db.prepare(`SELECT 1 FROM agent_batches_seen WHERE agentId = ? AND seq = ?`);
    this.addStmt = db.prepare(`INSERT OR IGNORE INTO agent_batches_seen (agentId, seq, seenAtMs) VALUES (?, ?, ?)`);
    this.forgetStmt = db.prepare(`DELETE FROM agent_batches_seen WHERE agentId = ? AND seq = ?`);
    this.pruneStmt = db.prepare(`DELETE FROM agent_batches_seen WHERE seenAtMs < ?`);
    this.retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = opts.now ?? Date.now;
  }

  async has(agentId: string, seq: number): Promise<boolean> {
    return this.hasStmt.get(agentId, seq) !== undefined;
  }

  async claim(agentId: string, seq: number): Promise<boolean> {
    const now = this.now();
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      this.pruneStmt.run(now - this.retentionMs);
    }
    return this.addStmt.run(agentId, seq, now).changes > 0;
  }

  async forget(agentId: string, seq: number): Promise<void> {
    this.forgetStmt.run(agentId, seq);
  }
}
