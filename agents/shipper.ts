import type { AgentBatch, Reading } from '../services/agent-contract/batch-schema.ts';
import { errorMessage } from '../services/lib/errors.ts';
import type { Logger } from '../services/lib/log.ts';
import type { Spool, SpoolStats } from './spool/spool.ts';

/**
 * Batches readings and POSTs them to the control plane's ingest endpoint, oldest first, one
 * request at a time, retrying with exponential backoff. Unsent batches wait in memory in
 * order; past `maxQueuedReadings` the oldest are dropped (and counted). Batches carry a
 * monotonic seq so the control plane can acknowledge replays as duplicates. The first seq
 * is the start time in ms: a restarted agent continues above its previous run's numbers
 * as long as it created fewer than one batch per millisecond, with no state on disk.
 *
 * With a `spool` (store-and-forward), once the control plane is unreachable the queued batches
 * and every new one go to disk instead, and are replayed from there in order until the spool
 * is empty; batches unsent at stop are spooled too, and the next start continues above the
 * spool's highest seq.
 */
export interface ShipperOptions {
  agentId: string;
  siteId: string;
  controlPlaneUrl: string;
  token: string;
  shipIntervalMs: number;
  requestTimeoutMs?: number;
  maxBatchReadings?: number;
  maxQueuedReadings?: number;
  firstSeq?: number;
  spool?: Spool;
}

export interface ShipperStats {
  batchesSent: number;
  readingsSent: number;
  failedAttempts: number;
  queuedBatches: number;
  queuedReadings: number;
  droppedReadings: number;
  lastSeq: number | undefined;
  /** When the control plane last acknowledged a batch (the agent's view of its lag). */
  lastAckAtMs: number | undefined;
  lastError: string | undefined;
  /** Readings handed to add() since start. */
  readingsAdded: number;
  /** Present with store-and-forward: what waits on disk and what the size bound evicted. */
  spool?: SpoolStats;
}

class IngestError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'IngestError';
  }
}

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export class Shipper {
  private pending: Reading[] = [];
  private readonly queue: AgentBatch[] = [];
  private queuedReadings = 0;
  private nextSeq: number;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private retryAtMs = 0;
  private failuresInRow = 0;
  private stopped = false;
  private readonly url: string;
  private readonly s: ShipperStats = {
    batchesSent: 0,
    readingsSent: 0,
    failedAttempts: 0,
    queuedBatches: 0,
    queuedReadings: 0,
    droppedReadings: 0,
    lastSeq: undefined,
    lastAckAtMs: undefined,
    lastError: undefined,
    readingsAdded: 0,
  };

  constructor(
    private readonly opts: ShipperOptions,
    private readonly log: Logger,
  ) {
    this.nextSeq = Math.max(opts.firstSeq ?? Date.now(), (opts.spool?.maxSeq() ?? -1) + 1);
    this.url = `${opts.controlPlaneUrl.replace(/\/+$/, '')}/api/ingest`;
  }

  add(reading: Reading): void {
    this.pending.push(reading);
    this.s.readingsAdded++;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.cut();
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
      });
      if (!this.stopped) this.timer = setTimeout(tick, this.opts.shipIntervalMs);
    };
    this.timer = setTimeout(tick, this.opts.shipIntervalMs);
  }

  /** Ships what is pending now rather than at the next tick (revenue-meter readings during an event). */
  shipSoon(): void {
    if (this.stopped) return;
    this.cut();
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** Ships what is left, once each, within `graceMs`; what still fails is reported, not kept. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.draining;
    this.cut();
    const deadline = Date.now() + graceMs;
    while (this.next() !== undefined && Date.now() < deadline) {
      const batch = this.next() as AgentBatch;
      try {
        await this.post(batch, Math.max(1, Math.min(this.opts.requestTimeoutMs ?? 10_000, deadline - Date.now())));
        this.sent(batch);
      } catch (err) {
        this.log.error({ err: errorMessage(err), seq: batch.seq }, 'shipping at shutdown failed');
        break;
      }
    }
    if (this.queue.length > 0 && this.opts.spool !== undefined) {
      const { batches, readings } = { batches: this.queue.length, readings: this.queuedReadings };
      this.spoolQueue();
      this.log.warn({ batches, readings }, 'agent stopping with unsent readings: spooled for the next start');
    }
    this.opts.spool?.close();
    if (this.queue.length > 0) {
      this.log.error({ batches: this.queue.length, readings: this.queuedReadings }, 'agent stopped with unsent readings');
    }
  }

  stats(): ShipperStats {
    const spool = this.opts.spool?.stats();
    return { ...this.s, queuedBatches: this.queue.length, queuedReadings: this.queuedReadings, ...(spool === undefined ? {} : { spool }) };
  }

  /** Moves pending readings into numbered batches. */
  private cut(): void {
    const max = this.opts.maxBatchReadings ?? 20_000;
    while (this.pending.length > 0) {
      const readings = this.pending.length <= max ? this.pending : this.pending.slice(0, max);
      this.pending = this.pending.length <= max ? [] : this.pending.slice(max);
      const batch: AgentBatch = { agentId: this.opts.agentId, siteId: this.opts.siteId, seq: this.nextSeq++, sentAtMs: 0, readings };
      // Once batches wait on disk, new ones join them there so the order holds.
      if (this.opts.spool !== undefined && !this.opts.spool.isEmpty()) {
        this.opts.spool.append(batch);
        continue;
      }
      this.queue.push(batch);
      this.queuedReadings += readings.length;
    }
    this.enforceBound();
  }

  private enforceBound(): void {
    const max = this.opts.maxQueuedReadings ?? 500_000;
    let dropped = 0;
    while (this.queuedReadings > max && this.queue.length > 1) {
      const oldest = this.queue.shift() as AgentBatch;
      this.queuedReadings -= oldest.readings.length;
      dropped += oldest.readings.length;
    }
    if (dropped > 0) {
      this.s.droppedReadings += dropped;
      this.log.warn({ dropped, queued: this.queuedReadings, max }, 'ingest unreachable too long: dropped the oldest readings');
    }
  }

  private async drain(): Promise<void> {
    while (this.next() !== undefined && !this.stopped && Date.now() >= this.retryAtMs) {
      const batch = this.next() as AgentBatch;
      try {
        await this.post(batch, this.opts.requestTimeoutMs ?? 10_000);
        this.sent(batch);
        if (this.failuresInRow > 0) this.log.info({ seq: batch.seq, after: this.failuresInRow }, 'ingest reachable again');
        this.failuresInRow = 0;
      } catch (err) {
        this.s.failedAttempts++;
        this.s.lastError = errorMessage(err);
        if (err instanceof IngestError && !err.retryable) {
          // The control plane refused this batch for what it contains; resending it would
          // block every batch behind it forever.
          this.log.error({ err: err.message, seq: batch.seq, readings: batch.readings.length }, 'ingest rejected a batch; dropping it');
          this.forget(batch);
          this.s.droppedReadings += batch.readings.length;
          continue;
        }
        this.failuresInRow++;
        this.spoolQueue();
        const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.failuresInRow - 1)) * (0.8 + 0.4 * Math.random());
        this.retryAtMs = Date.now() + backoff;
        if (this.failuresInRow === 1 || this.failuresInRow % 10 === 0) {
          this.log.warn({ err: this.s.lastError, seq: batch.seq, attempt: this.failuresInRow, retryInMs: Math.round(backoff) }, 'shipping a batch failed; will retry');
        }
        return;
      }
    }
  }

  /** The oldest unsent batch: the spool's first while it holds any (they are older). */
  private next(): AgentBatch | undefined {
    return this.opts.spool?.peek() ?? this.queue[0];
  }

  private forget(batch: AgentBatch): void {
    if (this.opts.spool !== undefined && this.opts.spool.peek()?.seq === batch.seq) {
      this.opts.spool.ack(batch.seq);
      return;
    }
    this.queue.shift();
    this.queuedReadings -= batch.readings.length;
  }

  /** Moves the in-memory queue to the spool (the control plane is unreachable). */
  private spoolQueue(): void {
    const spool = this.opts.spool;
    if (spool === undefined || this.queue.length === 0) return;
    if (spool.isEmpty()) this.log.warn({ batches: this.queue.length, readings: this.queuedReadings }, 'ingest unreachable: spooling batches to disk');
    for (const batch of this.queue) spool.append(batch);
    this.queue.length = 0;
    this.queuedReadings = 0;
  }

  private sent(batch: AgentBatch): void {
    this.forget(batch);
    this.s.batchesSent++;
    this.s.readingsSent += batch.readings.length;
    this.s.lastSeq = batch.seq;
    this.s.lastAckAtMs = Date.now();
  }

  private async post(batch: AgentBatch, timeoutMs: number): Promise<void> {
    batch.sentAtMs = Date.now();
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.token}` },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, bad port …) is its cause.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = (err as Error).name === 'TimeoutError' ? `no response within ${timeoutMs} ms` : (cause?.code ?? cause?.message ?? errorMessage(err));
      throw new IngestError(`POST ${this.url} seq ${batch.seq}: ${reason}`, true);
    }
    const text = await res.text();
    if (res.ok) return;
    const detail = text.slice(0, 300);
    // 408/429/5xx are the server's trouble and pass; 401/403 are a token problem an operator
    // fixes without losing data; other 4xx say the batch itself is bad.
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500 || res.status === 401 || res.status === 403;
    throw new IngestError(`POST ${this.url} seq ${batch.seq}: HTTP ${res.status} ${detail}`, retryable, res.status);
  }
}
