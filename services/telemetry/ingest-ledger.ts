import type { Database, Statement } from 'better-sqlite3';

/**
 * Which (agentId, seq) batches were applied, in the records store (agent_batches_seen from
 * 001_core.sql), so an agent replaying its store-and-forward queue after a lost ack — or
 * after a control-plane restart — is acknowledged without the batch being applied twice.
 * Entries older than the retention are pruned: a replay that late is far past any queue.
 */
export interface IngestLedgerOptions {
  /** Default 7 days. */
  retentionMs?: number;
  now?: () => number;
}

const PRUNE_EVERY_MS = 10 * 60_000;

export class IngestLedger {
  private readonly hasStmt: Statement<[string, number]>;
  private readonly addStmt: Statement<[string, number, number]>;
  private readonly pruneStmt: Statement<[number]>;
  private readonly retentionMs: number;
  private readonly now: () => number;
  private prunedAt = 0;

  constructor(db: Database, opts: IngestLedgerOptions = {}) {
    this.hasStmt = db.prepare(`SELECT 1 FROM agent_batches_seen WHERE agentId = ? AND seq = ?`);
    this.addStmt = db.prepare(`INSERT OR IGNORE INTO agent_batches_seen (agentId, seq, seenAtMs) VALUES (?, ?, ?)`);
    this.pruneStmt = db.prepare(`DELETE FROM agent_batches_seen WHERE seenAtMs < ?`);
    this.retentionMs = opts.retentionMs ?? 7 * 86_400_000;
    this.now = opts.now ?? Date.now;
  }

  has(agentId: string, seq: number): boolean {
    return this.hasStmt.get(agentId, seq) !== undefined;
  }

  /** Records a batch as applied; false when it already was. */
  add(agentId: string, seq: number): boolean {
    const now = this.now();
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      this.pruneStmt.run(now - this.retentionMs);
    }
    return this.addStmt.run(agentId, seq, now).changes > 0;
  }
}
