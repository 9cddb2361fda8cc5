import type { AgentBatch, Reading } from '../services/domain/batch-schema.ts';
import { errorMessage } from '../services/lib/errors.ts';
import type { Logger } from '../services/lib/log.ts';

/**
 * Batches readings and POSTs them to the control plane's ingest endpoint, oldest first, one
 * request at a time, retrying with exponential backoff. Unsent batches wait in memory in
 * order; past `maxQueuedReadings` the oldest are dropped (and counted). Batches carry a
 * monotonic seq so the control plane can acknowledge replays as duplicates. The first seq
 * is the start time in ms: a restarted agent continues above its previous run's numbers
 * as long as it created fewer than one batch per millisecond, with no state on disk.
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
}

export interface ShipperStats {
  batchesSent: number;
  readingsSent: number;
  failedAttempts: number;
  queuedBatches: number;
  queuedReadings: number;
  droppedReadings: number;
  lastSeq: number | undefined;
  lastError: string | undefined;
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
    lastError: undefined,
  };

  constructor(
    private readonly opts: ShipperOptions,
    private readonly log: Logger,
  ) {
    this.nextSeq = opts.firstSeq ?? Date.now();
    this.url = `${opts.controlPlaneUrl.replace(/\/+$/, '')}/api/ingest`;
  }

  add(reading: Reading): void {
    this.pending.push(reading);
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

  /** Ships what is left, once each, within `graceMs`; what still fails is reported, not kept. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.draining;
    this.cut();
    const deadline = Date.now() + graceMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      const batch = this.queue[0] as AgentBatch;
      try {
        await this.post(batch, Math.max(1, Math.min(this.opts.requestTimeoutMs ?? 10_000, deadline - Date.now())));
        this.sent(batch);
      } catch (err) {
        this.log.error({ err: errorMessage(err), seq: batch.seq }, 'shipping at shutdown failed');
        break;
      }
    }
    if (this.queue.length > 0) {
      this.log.error({ batches: this.queue.length, readings: this.queuedReadings }, 'agent stopped with unsent readings');
    }
  }

  stats(): ShipperStats {
    return { ...this.s, queuedBatches: this.queue.length, queuedReadings: this.queuedReadings };
  }

  /** Moves pending readings into numbered batches. */
  private cut(): void {
    const max = this.opts.maxBatchReadings ?? 20_000;
    while (this.pending.length > 0) {
      const readings = this.pending.length <= max ? this.pending : this.pending.slice(0, max);
      this.pending = this.pending.length <= max ? [] : this.pending.slice(max);
      this.queue.push({ agentId: this.opts.agentId, siteId: this.opts.siteId, seq: this.nextSeq++, sentAtMs: 0, readings });
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
    while (this.queue.length > 0 && !this.stopped && Date.now() >= this.retryAtMs) {
      const batch = this.queue[0] as AgentBatch;
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
          this.queue.shift();
          this.queuedReadings -= batch.readings.length;
          this.s.droppedReadings += batch.readings.length;
          continue;
        }
        this.failuresInRow++;
        const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.failuresInRow - 1)) * (0.8 + 0.4 * Math.random());
        this.retryAtMs = Date.now() + backoff;
        if (this.failuresInRow === 1 || this.failuresInRow % 10 === 0) {
          this.log.warn({ err: this.s.lastError, seq: batch.seq, attempt: this.failuresInRow, retryInMs: Math.round(backoff) }, 'shipping a batch failed; will retry');
        }
        return;
      }
    }
  }

  private sent(batch: AgentBatch): void {
    this.queue.shift();
    this.queuedReadings -= batch.readings.length;
    this.s.batchesSent++;
    this.s.readingsSent += batch.readings.length;
    this.s.lastSeq = batch.seq;
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
