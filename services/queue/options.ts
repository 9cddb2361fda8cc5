import { ContextError } from '../lib/errors.ts';
import type { JobOptions, ProcessOptions, QueueOptions } from './types.ts';

/** Options checked the same way by both implementations, so the memory queue rejects what Redis would. */

export const DEFAULT_KEEP_COMPLETED = 1000;
export const DEFAULT_KEEP_FAILED = 5000;

function invalid(queue: string, doing: string, why: string): ContextError {
  return new ContextError('E_QUEUE_OPTIONS', `queue "${queue}": ${doing}: ${why}`);
}

function checkCount(queue: string, doing: string, key: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    throw invalid(queue, doing, `${key} must be an integer >= ${min}, got ${value}`);
  }
}

export function checkJobOptions(queue: string, jobName: string, opts: JobOptions): void {
  const doing = `adding job "${jobName}"`;
  if (jobName === '') throw invalid(queue, doing, 'job name is empty');
  const { jobId } = opts;
  if (jobId !== undefined) {
    if (jobId === '') throw invalid(queue, doing, 'jobId is empty');
    if (`${parseInt(jobId, 10)}` === jobId) throw invalid(queue, doing, `jobId "${jobId}" must not be an integer`);
    if (jobId.includes(':')) throw invalid(queue, doing, `jobId "${jobId}" must not contain ':'`);
  }
  checkCount(queue, doing, 'delayMs', opts.delayMs, 0);
  checkCount(queue, doing, 'attempts', opts.attempts, 1);
  checkCount(queue, doing, 'backoffMs', opts.backoffMs, 0);
}

export function checkProcessOptions(queue: string, opts: ProcessOptions): number {
  checkCount(queue, 'starting the worker', 'concurrency', opts.concurrency, 1);
  return opts.concurrency ?? 1;
}

export function checkRepeatable(queue: string, key: string, everyMs: number): void {
  const doing = `adding repeatable "${key}"`;
  if (key === '') throw invalid(queue, doing, 'key is empty');
  if (key.includes(':')) throw invalid(queue, doing, `key "${key}" must not contain ':'`);
  checkCount(queue, doing, 'everyMs', everyMs, 1);
}

export function retention(queue: string, opts: QueueOptions): { keepCompleted: number; keepFailed: number } {
  checkCount(queue, 'creating the queue', 'keepCompleted', opts.keepCompleted, 0);
  checkCount(queue, 'creating the queue', 'keepFailed', opts.keepFailed, 0);
  return {
    keepCompleted: opts.keepCompleted ?? DEFAULT_KEEP_COMPLETED,
    keepFailed: opts.keepFailed ?? DEFAULT_KEEP_FAILED,
  };
}

/** The wait before try `failedTries + 1`, as BullMQ computes it. */
export function backoffDelayMs(opts: JobOptions, failedTries: number): number {
  const base = opts.backoffMs ?? 0;
  return opts.backoff === 'fixed' ? base : Math.round(2 ** (failedTries - 1) * base);
}
