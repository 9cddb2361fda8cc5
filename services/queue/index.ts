import { BullQueue } from './bullmq.ts';
import { MemoryQueue } from './memory.ts';
import type { JobQueue, QueueOptions } from './types.ts';

export type { Job, JobCompleted, JobCounts, JobFailed, JobHandler, JobOptions, JobQueue, ProcessOptions, QueueEventMap, QueueOptions } from './types.ts';
export { UnrecoverableError, isUnrecoverable } from './types.ts';

export interface CreateQueueOptions extends QueueOptions {
  /** Redis URL; when absent, env.REDIS_URL; when both are absent, the in-process queue. */
  redisUrl?: string;
  env?: NodeJS.ProcessEnv;
}

/** BullMQ on Redis when a Redis URL is configured, else the in-process queue. */
export function createQueue<T>(name: string, opts: CreateQueueOptions = {}): JobQueue<T> {
  const { redisUrl, env = process.env, ...queueOpts } = opts;
  const url = redisUrl ?? env.REDIS_URL;
  return url ? new BullQueue<T>(name, url, queueOpts) : new MemoryQueue<T>(name, queueOpts);
}
