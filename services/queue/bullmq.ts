import { Queue, Worker, UnrecoverableError as BullUnrecoverableError, type Job as BullJob, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { ContextError, errorMessage, wrap } from '../lib/errors.ts';
import { logger } from '../lib/log.ts';
import { QueueEmitter } from './emitter.ts';
import { checkJobOptions, checkProcessOptions, checkRepeatable, retention } from './options.ts';
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

/** Every Switchyard queue lives under this Redis key prefix. */
export const BULLMQ_PREFIX = 'switchyard';

const log = logger('queue');

/** The URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch (err) {
    throw new ContextError('E_QUEUE_OPTIONS', `Redis URL is not a URL: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * The queue on Redis: BullMQ's Queue for producing, a Worker (its own connection, with
 * maxRetriesPerRequest null as BullMQ requires) for processing. Events come from this
 * process's Worker: they carry the job, which BullMQ's QueueEvents stream does not.
 */
export class BullQueue<T> implements JobQueue<T> {
  readonly kind = 'bullmq' as const;
  private readonly queue: Queue;
  private readonly connection: Redis;
  private readonly where: string;
  private readonly jobDefaults: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'>;
  private readonly emitter: QueueEmitter<T>;
  private readonly views = new WeakMap<BullJob, Job<T>>();
  private worker?: Worker;
  private workerConnection?: Redis;
  private closing?: Promise<void>;

  constructor(
    readonly name: string,
    redisUrl: string,
    opts: QueueOptions = {},
  ) {
    this.where = `queue "${name}" on ${redactRedisUrl(redisUrl)}`;
    const kept = retention(name, opts);
    this.jobDefaults = { removeOnComplete: { count: kept.keepCompleted }, removeOnFail: { count: kept.keepFailed } };
    this.emitter = new QueueEmitter<T>(name, log);
    this.connection = new Redis(redisUrl);
    this.queue = new Queue(name, { connection: this.connection, prefix: BULLMQ_PREFIX, defaultJobOptions: this.jobDefaults });
    this.queue.on('error', (err) => this.emitter.emit('error', wrap(this.where, err, 'E_QUEUE_REDIS')));
  }

  async add(name: string, data: T, opts: JobOptions = {}): Promise<string> {
    const doing = `${this.where}: adding job "${name}"`;
    this.assertOpen(doing);
    checkJobOptions(this.name, name, opts);
    const bullOpts: JobsOptions = {};
    if (opts.jobId !== undefined) bullOpts.jobId = opts.jobId;
    if (opts.delayMs !== undefined) bullOpts.delay = opts.delayMs;
    if (opts.attempts !== undefined) bullOpts.attempts = opts.attempts;
    if (opts.backoffMs !== undefined) bullOpts.backoff = { type: opts.backoff ?? 'exponential', delay: opts.backoffMs };
    try {
      const job = await this.queue.add(name, data, bullOpts);
      if (job.id === undefined) throw new Error('BullMQ returned a job without an id');
      return job.id;
    } catch (err) {
      throw wrap(doing, err, 'E_QUEUE_REDIS');
    }
  }

  process(handler: JobHandler<T>, opts: ProcessOptions = {}): void {
    this.assertOpen(`${this.where}: starting the worker`);
    if (this.worker) throw new ContextError('E_QUEUE_WORKER', `${this.where}: a worker is already running`);
    const concurrency = checkProcessOptions(this.name, opts);
    this.workerConnection = this.connection.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(this.name, (job: BullJob) => this.runJob(job, handler), {
      connection: this.workerConnection,
      prefix: BULLMQ_PREFIX,
      concurrency,
    });
    worker.on('error', (err) => this.emitter.emit('error', wrap(`${this.where}: worker`, err, 'E_QUEUE_REDIS')));
    worker.on('completed', (job: BullJob, result: unknown) => {
      this.emitter.emit('completed', { job: this.view(job), result });
    });
    worker.on('failed', (job: BullJob | undefined, err: Error) => {
      if (!job) {
        this.emitter.emit('error', wrap(`${this.where}: a job failed and BullMQ did not say which`, err, 'E_QUEUE_JOB'));
        return;
      }
      const error = err instanceof BullUnrecoverableError && err.cause instanceof Error ? err.cause : err;
      const willRetry = !isUnrecoverable(err) && job.attemptsMade < attemptsAllowed(job);
      this.emitter.emit('failed', { job: this.view(job), error, willRetry });
    });
    this.worker = worker;
  }

  async addRepeatable(name: string, data: T, everyMs: number, key: string): Promise<void> {
    const doing = `${this.where}: adding repeatable "${key}"`;
    this.assertOpen(doing);
    checkRepeatable(this.name, key, everyMs);
    try {
      await this.queue.upsertJobScheduler(key, { every: everyMs }, { name, data, opts: this.jobDefaults });
    } catch (err) {
      throw wrap(doing, err, 'E_QUEUE_REDIS');
    }
  }

  async removeRepeatable(key: string): Promise<boolean> {
    const doing = `${this.where}: removing repeatable "${key}"`;
    this.assertOpen(doing);
    try {
      return await this.queue.removeJobScheduler(key);
    } catch (err) {
      throw wrap(doing, err, 'E_QUEUE_REDIS');
    }
  }

  async counts(): Promise<JobCounts> {
    const doing = `${this.where}: counting jobs`;
    this.assertOpen(doing);
    try {
      const c = await this.queue.getJobCounts('waiting', 'prioritized', 'paused', 'delayed', 'active', 'completed', 'failed');
      return {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0),
        delayed: c.delayed ?? 0,
        active: c.active ?? 0,
        completed: c.completed ?? 0,
        failed: c.failed ?? 0,
      };
    } catch (err) {
      throw wrap(doing, err, 'E_QUEUE_REDIS');
    }
  }

  on<E extends keyof QueueEventMap<T>>(event: E, listener: QueueEventMap<T>[E]): () => void {
    return this.emitter.on(event, listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /** The worker first (it waits for its active jobs), then the queue, then our connections. */
  private async shutDown(): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['closing the worker', async () => this.worker && closeWorker(this.worker)],
      ['closing the queue', () => this.queue.close()],
      ['closing the worker connection', async () => this.workerConnection && quit(this.workerConnection)],
      ['closing the connection', () => quit(this.connection)],
    ];
    const failures: string[] = [];
    for (const [doing, step] of steps) {
      try {
        await step();
      } catch (err) {
        failures.push(`${doing}: ${errorMessage(err)}`);
      }
    }
    if (failures.length > 0) throw new ContextError('E_QUEUE_CLOSE', `${this.where}: ${failures.join('; ')}`);
  }

  private assertOpen(doing: string): void {
    if (this.closing) throw new ContextError('E_QUEUE_CLOSED', `${doing}: the queue is closed`);
  }

  private async runJob(job: BullJob, handler: JobHandler<T>): Promise<unknown> {
    const view = this.view(job);
    try {
      return await handler(view);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (!isUnrecoverable(error)) throw error;
      // BullMQ's own class, so the "don't retry" does not rest on matching the name.
      throw Object.assign(new BullUnrecoverableError(error.message), { cause: error });
    }
  }

  /** Our view of a BullMQ job, made once per try (the Job object is new on each try). */
  private view(job: BullJob): Job<T> {
    let view = this.views.get(job);
    if (!view) {
      view = {
        id: job.id ?? '',
        name: job.name,
        data: job.data as T,
        attempt: job.attemptsMade + 1,
        attempts: attemptsAllowed(job),
        createdAtMs: job.timestamp,
      };
      this.views.set(job, view);
    }
    return view;
  }
}

/**
 * Worker.close(), then the stalled-jobs checker stopped for sure: a BullMQ 5 worker closed while
 * its first stalled check is in flight arms that check's 30 s timer after close() returned, and
 * the timer keeps the process alive. The checker's loop sees `closing` and ends once the timer
 * is cleared; this clears it as soon as it is armed (a bounded wait, at most one round trip).
 */
async function closeWorker(worker: Worker): Promise<void> {
  await worker.close();
  const internals = worker as unknown as { stalledCheckerRunning?: boolean; stalledCheckStopper?: () => void };
  const deadline = Date.now() + 5_000;
  while (internals.stalledCheckerRunning === true && Date.now() < deadline) {
    internals.stalledCheckStopper?.();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (internals.stalledCheckerRunning === true) throw new Error('its stalled-jobs checker did not stop within 5 s');
}

/** BullMQ stores "no retries" as attempts 0 or leaves it out. */
function attemptsAllowed(job: BullJob): number {
  return Math.max(1, job.opts.attempts ?? 1);
}

async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  await connection.quit();
}

/** Removes every key of a queue (tests and decommissioning). */
export async function obliterateBullQueue(redisUrl: string, name: string): Promise<void> {
  const connection = new Redis(redisUrl);
  const queue = new Queue(name, { connection, prefix: BULLMQ_PREFIX });
  try {
    await queue.obliterate({ force: true });
  } catch (err) {
    throw wrap(`queue "${name}" on ${redactRedisUrl(redisUrl)}: obliterating`, err, 'E_QUEUE_REDIS');
  } finally {
    await queue.close();
    await quit(connection);
  }
}
