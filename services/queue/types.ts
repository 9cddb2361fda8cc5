/**
 * The job/command queue: one interface, two implementations — in-process (embedded default)
 * and BullMQ on Redis (REDIS_URL). Both keep the same contract
 * (test/support/queue-contract.ts): job data travels as JSON, so pass plain data, and no
 * secrets (it is stored in Redis in production).
 */

export interface JobOptions {
  /**
   * Idempotency key: while a job with this id is known to the queue (waiting, delayed,
   * active, or among the retained finished jobs) a second add with it is a no-op.
   * Not an integer-like string and no ':' (BullMQ's rules, enforced by both implementations).
   */
  jobId?: string;
  /** Start no earlier than this many ms after add. */
  delayMs?: number;
  /** Tries in all, the first included (default 1: no retry). */
  attempts?: number;
  /** Wait before a retry: fixed, or doubled per failed try (exponential, the default). */
  backoffMs?: number;
  backoff?: 'fixed' | 'exponential';
}

export interface Job<T> {
  readonly id: string;
  readonly name: string;
  readonly data: T;
  /** 1 on the first try. */
  readonly attempt: number;
  /** Tries allowed in all. */
  readonly attempts: number;
  readonly createdAtMs: number;
}

export type JobHandler<T> = (job: Job<T>) => Promise<unknown>;

export interface ProcessOptions {
  /** Jobs run at once by this process's worker (default 1). */
  concurrency?: number;
}

export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
  /** Finished jobs still retained (see QueueOptions.keepCompleted / keepFailed). */
  completed: number;
  failed: number;
}

export interface JobCompleted<T> {
  job: Job<T>;
  result: unknown;
}

export interface JobFailed<T> {
  job: Job<T>;
  error: Error;
  /** True when another try is scheduled; false when the job has failed for good. */
  willRetry: boolean;
}

/** Events about jobs this queue object's worker ran (per try for `failed`). */
export interface QueueEventMap<T> {
  completed: (event: JobCompleted<T>) => void;
  failed: (event: JobFailed<T>) => void;
  /** Trouble outside any one job (e.g. the Redis connection); logged when nobody listens. */
  error: (error: Error) => void;
}

export interface JobQueue<T> {
  readonly name: string;
  readonly kind: 'memory' | 'bullmq';
  /** Resolves to the job's id (the given jobId, or a generated one). */
  add(name: string, data: T, opts?: JobOptions): Promise<string>;
  /** Starts this process's worker; once per queue object. */
  process(handler: JobHandler<T>, opts?: ProcessOptions): void;
  /**
   * Adds (or replaces) the schedule `key`: a job `name` now, then every `everyMs` after.
   * The next one is scheduled when the current one starts, so an idle queue holds one.
   */
  addRepeatable(name: string, data: T, everyMs: number, key: string): Promise<void>;
  /** Stops the schedule and drops its pending job; false when there was no such schedule. */
  removeRepeatable(key: string): Promise<boolean>;
  counts(): Promise<JobCounts>;
  /** Returns a function that removes the listener. */
  on<E extends keyof QueueEventMap<T>>(event: E, listener: QueueEventMap<T>[E]): () => void;
  /** Takes no new jobs, waits for the active ones to finish, then releases everything. */
  close(): Promise<void>;
}

export interface QueueOptions {
  /** Finished jobs kept (for counts and jobId idempotency); older ones are dropped. */
  keepCompleted?: number;
  keepFailed?: number;
}

/** Thrown by a handler: fail this job now, whatever attempts are left. */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnrecoverableError';
  }
}

export function isUnrecoverable(err: unknown): boolean {
  return err instanceof Error && err.name === 'UnrecoverableError';
}
