import type pg from 'pg';
import { DEFAULT_RETENTION_MS, PRUNE_EVERY_MS, type IngestLedger, type IngestLedgerOptions } from './ingest-ledger.ts';

/** The ingest ledger in PostgreSQL (services/store/pg-migrations/002_tokens_ingest.sql). */
export class PgIngestLedger implements IngestLedger {
  readonly kind = 'postgres';
  private readonly retentionMs: number;
  private readonly now: () => number;
  private prunedAt = 0;

  constructor(private readonly pool: pg.Pool, opts: IngestLedgerOptions = {}) {
    this.retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = opts.now ?? Date.now;
  }

  async has(agentId: string, seq: number): Promise<boolean> {
    return ((await this.pool.query('SELECT 1 FROM agent_batches_seen WHERE agentId = $1 AND seq = $2', [agentId, seq])).rowCount ?? 0) > 0;
  }

  async claim(agentId: string, seq: number): Promise<boolean> {
    const now = this.now();
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      await this.pool.query('DELETE FROM agent_batches_seen WHERE seenAtMs < $1', [now - this.retentionMs]);
    }
    const r = await this.pool.query('INSERT INTO agent_batches_seen (agentId, seq, seenAtMs) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [agentId, seq, now]);
    return (r.rowCount ?? 0) > 0;
  }

  async forget(agentId: string, seq: number): Promise<void> {
    await this.pool.query('DELETE FROM agent_batches_seen WHERE agentId = $1 AND seq = $2', [agentId, seq]);
  }
}
