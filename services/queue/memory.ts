import { randomUUID } from 'node:crypto';
import { ContextError } from '../lib/errors.ts';
import { logger } from '../lib/log.ts';
import { QueueEmitter } from './emitter.ts';
import { backoffDelayMs, checkJobOptions, checkProcessOptions, checkRepeatable, retention } from './options.ts';
import {
  isUnrecoverable,
  type Job,
  type JobCounts,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  type ProcessOptions,
  type QueueEventMap,
  type QueueOptions,
} from './types.ts';

/** The longest delay setTimeout honours, ms (2^31 − 1). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

type State = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

interface Entry<T> {
  id: string;
  name: string;
  data: T;
  opts: JobOptions;
  attempts: number;
  failedTries: number;
  createdAtMs: number;
  state: State;
  timer?: NodeJS.Timeout;
  /** Set on the jobs a repeatable schedule makes. */
  repeat?: { key: string; atMs: number };
}

interface Schedule<T> {
  name: string;
  data: T;
  everyMs: number;
  pendingJobId?: string;
}

const log = logger('queue');

/**
 * The in-process queue: the same semantics as the BullMQ one (retries with backoff, delays,
 * concurrency, idempotent jobIds, repeatables) without durability — pending jobs are gone
 * when the process ends, which is why close() logs how many it leaves behind.
 */
export class MemoryQueue<T> implements JobQueue<T> {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry<T>>();
  private readonly waiting: string[] = [];
  private waitingHead = 0;
  private readonly finished: Record<'completed' | 'failed', string[]> = { completed: [], failed: [] };
  private readonly keep: { completed: number; failed: number };
  private readonly schedules = new Map<string, Schedule<T>>();
  private readonly emitter: QueueEmitter<T>;
  private handler?: JobHandler<T>;
  private concurrency = 1;
  private active = 0;
  private closing?: Promise<void>;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    opts: QueueOptions = {},
  ) {
    const kept = retention(name, opts);
    this.keep = { completed: kept.keepCompleted, failed: kept.keepFailed };
    this.emitter = new QueueEmitter<T>(name, log);
  }

  async add(name: string, data: T, opts: JobOptions = {}): Promise<string> {
    this.assertOpen(`adding job "${name}"`);
    checkJobOptions(this.name, name, opts);
    return this.enqueue(name, data, opts);
  }

  process(handler: JobHandler<T>, opts: ProcessOptions = {}): void {
    this.assertOpen('starting the worker');
    if (this.handler) throw new ContextError('E_QUEUE_WORKER', `queue "${this.name}": a worker is already running`);
    this.concurrency = checkProcessOptions(this.name, opts);
    this.handler = handler;
    this.dispatch();
  }

  async addRepeatable(name: string, data: T, everyMs: number, key: string): Promise<void> {
    this.assertOpen(`adding repeatable "${key}"`);
    checkRepeatable(this.name, key, everyMs);
    this.dropPending(key);
    const schedule: Schedule<T> = { name, data: roundTrip(this.name, name, data), everyMs };
    this.schedules.set(key, schedule);
    this.scheduleNext(key, schedule, Date.now());
  }

  async removeRepeatable(key: string): Promise<boolean> {
    this.assertOpen(`removing repeatable "${key}"`);
    const existed = this.dropPending(key);
    this.schedules.delete(key);
    return existed;
  }

  async counts(): Promise<JobCounts> {
    let delayed = 0;
    for (const entry of this.entries.values()) if (entry.state === 'delayed') delayed++;
    return {
      waiting: this.waiting.length - this.waitingHead,
      delayed,
      active: this.active,
      completed: this.finished.completed.length,
      failed: this.finished.failed.length,
    };
  }

  on<E extends keyof QueueEventMap<T>>(event: E, listener: QueueEventMap<T>[E]): () => void {
    return this.emitter.on(event, listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    for (const entry of this.entries.values()) {
      if (entry.timer) clearTimeout(entry.timer);
    }
    this.schedules.clear();
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const counts = await this.counts();
    if (counts.waiting + counts.delayed > 0) {
      log.warn({ queue: this.name, waiting: counts.waiting, delayed: counts.delayed }, 'in-process queue closed with pending jobs; they are dropped');
    }
  }

  private assertOpen(doing: string): void {
    if (this.closing) throw new ContextError('E_QUEUE_CLOSED', `queue "${this.name}": ${doing}: the queue is closed`);
  }

  private enqueue(name: string, data: T, opts: JobOptions, repeat?: Entry<T>['repeat']): string {
    const id = opts.jobId ?? randomUUID();
    if (this.entries.has(id)) return id;
    const entry: Entry<T> = {
      id,
      name,
      data: roundTrip(this.name, name, data),
      opts,
      attempts: opts.attempts ?? 1,
      failedTries: 0,
      createdAtMs: Date.now(),
      state: 'waiting',
      ...(repeat ? { repeat } : {}),
    };
    this.entries.set(id, entry);
    this.makeReady(entry, opts.delayMs ?? 0);
    return id;
  }

  private makeReady(entry: Entry<T>, delayMs: number): void {
    if (delayMs > 0) {
      entry.state = 'delayed';
      // setTimeout takes at most 2^31−1 ms (~24.8 days); a longer delay would fire after 1 ms
      // (TimeoutOverflowWarning). Wait the most it takes and re-arm for the rest.
      const step = Math.min(delayMs, MAX_TIMER_MS);
      entry.timer = setTimeout(() => {
        delete entry.timer;
        this.makeReady(entry, delayMs - step);
      }, step);
      return;
    }
    entry.state = 'waiting';
    this.waiting.push(entry.id);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.handler && !this.closing && this.active < this.concurrency) {
      const id = this.takeWaiting();
      if (id === undefined) return;
      const entry = this.entries.get(id);
      if (entry?.state === 'waiting') void this.run(entry, this.handler);
    }
  }

  private takeWaiting(): string | undefined {
    if (this.waitingHead >= this.waiting.length) return undefined;
    const id = this.waiting[this.waitingHead++];
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    return id;
  }

  private async run(entry: Entry<T>, handler: JobHandler<T>): Promise<void> {
    this.active++;
    entry.state = 'active';
    if (entry.repeat) this.onRepeatStarted(entry.repeat);
    const job: Job<T> = {
      id: entry.id,
      name: entry.name,
      data: entry.data,
      attempt: entry.failedTries + 1,
      attempts: entry.attempts,
      createdAtMs: entry.createdAtMs,
    };
    let outcome: { ok: true; result: unknown } | { ok: false; error: Error };
    try {
      outcome = { ok: true, result: await handler(job) };
    } catch (err) {
      outcome = { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
    }
    this.active--;
    if (outcome.ok) {
      this.finish(entry, 'completed');
      this.emitter.emit('completed', { job, result: outcome.result });
    } else {
      entry.failedTries++;
      const willRetry = !isUnrecoverable(outcome.error) && entry.failedTries < entry.attempts;
      if (!willRetry) this.finish(entry, 'failed');
      else if (this.closing) entry.state = 'delayed'; // dropped with the queue (see shutDown)
      else this.makeReady(entry, backoffDelayMs(entry.opts, entry.failedTries));
      this.emitter.emit('failed', { job, error: outcome.error, willRetry });
    }
    if (this.active === 0 && this.closing) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    this.dispatch();
  }

  private finish(entry: Entry<T>, state: 'completed' | 'failed'): void {
    entry.state = state;
    const list = this.finished[state];
    list.push(entry.id);
    while (list.length > this.keep[state]) {
      const dropped = list.shift();
      if (dropped !== undefined) this.entries.delete(dropped);
    }
  }

  private scheduleNext(key: string, schedule: Schedule<T>, atMs: number): void {
    const id = `repeat:${key}:${atMs}`;
    schedule.pendingJobId = id;
    this.enqueue(schedule.name, schedule.data, { jobId: id, delayMs: Math.max(0, atMs - Date.now()) }, { key, atMs });
  }

  private onRepeatStarted(repeat: NonNullable<Entry<T>['repeat']>): void {
    const schedule = this.schedules.get(repeat.key);
    if (!schedule || schedule.pendingJobId !== `repeat:${repeat.key}:${repeat.atMs}`) return;
    this.scheduleNext(repeat.key, schedule, Math.max(repeat.atMs + schedule.everyMs, Date.now()));
  }

  /** Drops the schedule's job that has not started yet; true when the schedule existed. */
  private dropPending(key: string): boolean {
    const schedule = this.schedules.get(key);
    if (!schedule) return false;
    const pending = schedule.pendingJobId ? this.entries.get(schedule.pendingJobId) : undefined;
    if (pending && (pending.state === 'waiting' || pending.state === 'delayed')) {
      if (pending.timer) clearTimeout(pending.timer);
      this.entries.delete(pending.id);
      if (pending.state === 'waiting') this.removeWaiting(pending.id);
    }
    return true;
  }

  private removeWaiting(id: string): void {
    const at = this.waiting.indexOf(id, this.waitingHead);
    if (at >= 0) this.waiting.splice(at, 1);
  }
}

/** Job data is stored as JSON by the Redis queue; doing the same here keeps the two alike. */
function roundTrip<T>(queue: string, jobName: string, data: T): T {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (err) {
    throw new ContextError('E_QUEUE_DATA', `queue "${queue}": job "${jobName}": data is not JSON-serialisable`, { cause: err });
  }
  return (json === undefined ? undefined : JSON.parse(json)) as T;
}
