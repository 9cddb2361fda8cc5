// The one contract every JobQueue implementation keeps. Run by test/unit/queue-memory.test.ts
// and test/integration/queue-bullmq.test.ts. Every wait is on an event or a condition, bounded
// by a deadline that fails the test with what was seen.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { isUnrecoverable, UnrecoverableError, type Job, type JobFailed, type JobQueue } from '../../services/queue/types.ts';

export interface QueueFactory {
  make<T>(name: string): JobQueue<T>;
  /** Removes whatever the queue left behind (Redis keys); called after close. */
  cleanup(name: string): Promise<void>;
}

const WAIT_MS = 10_000;
const TEST = { timeout: 30_000 };

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Records a queue's events and lets a test wait until a condition over them holds. */
class Recorder<T> {
  readonly completed: Array<{ job: Job<T>; result: unknown }> = [];
  readonly failed: Array<JobFailed<T>> = [];
  readonly log: string[] = [];
  private waiters: Array<{ check: () => boolean; done: () => void }> = [];

  constructor(queue: JobQueue<T>) {
    queue.on('completed', (e) => {
      this.completed.push(e);
      this.log.push(`completed ${e.job.name}`);
      this.poke();
    });
    queue.on('failed', (e) => {
      this.failed.push(e);
      this.log.push(`failed ${e.job.name} try ${e.job.attempt}${e.willRetry ? ' (will retry)' : ''}`);
      this.poke();
    });
  }

  /** Re-checks the waiters; call it when state a waiter looks at changes outside an event. */
  poke(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.done();
      return false;
    });
  }

  until(what: string, check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.check !== check);
        reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; events so far: ${this.log.join(', ') || 'none'}`));
      }, WAIT_MS);
      this.waiters.push({
        check,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  completedNames(): string[] {
    return this.completed.map((c) => c.job.name);
  }
}

export function queueContract(label: string, factory: QueueFactory): void {
  describe(`JobQueue contract: ${label}`, () => {
    const opened: Array<{ name: string; queue: JobQueue<unknown> }> = [];

    function open<T>(): { queue: JobQueue<T>; rec: Recorder<T> } {
      const name = `test-${randomUUID()}`;
      const queue = factory.make<T>(name);
      opened.push({ name, queue: queue as JobQueue<unknown> });
      return { queue, rec: new Recorder(queue) };
    }

    afterEach(async () => {
      for (const { name, queue } of opened.splice(0)) {
        await queue.close();
        await factory.cleanup(name);
      }
    });

    it('processes jobs in the order added, with their name, data and id, and reports results', TEST, async () => {
      const { queue, rec } = open<{ n: number }>();
      const ids = [await queue.add('a', { n: 1 }), await queue.add('b', { n: 2 }), await queue.add('c', { n: 3 })];
      const seen: Array<Job<{ n: number }>> = [];
      queue.process(async (job) => {
        seen.push(job);
        return job.data.n * 10;
      });
      await rec.until('3 completed jobs', () => rec.completed.length === 3);
      assert.deepEqual(rec.completedNames(), ['a', 'b', 'c']);
      assert.deepEqual(rec.completed.map((c) => c.result), [10, 20, 30]);
      assert.deepEqual(seen.map((j) => j.id), ids);
      assert.deepEqual(seen.map((j) => j.data), [{ n: 1 }, { n: 2 }, { n: 3 }]);
      assert.ok(seen.every((j) => j.attempt === 1 && j.attempts === 1));
      assert.deepEqual(await queue.counts(), { waiting: 0, delayed: 0, active: 0, completed: 3, failed: 0 });
    });

    it('never runs more jobs at once than the concurrency allows', TEST, async () => {
      const { queue, rec } = open<number>();
      const firstThreeRunning = deferred();
      let running = 0;
      let maxRunning = 0;
      let started = 0;
      for (let i = 0; i < 8; i++) await queue.add('work', i);
      queue.process(
        async () => {
          running++;
          started++;
          maxRunning = Math.max(maxRunning, running);
          if (started === 3) firstThreeRunning.resolve();
          // The first three hold until all three run together, so the limit is reached.
          if (started <= 3) await firstThreeRunning.promise;
          running--;
        },
        { concurrency: 3 },
      );
      await rec.until('8 completed jobs', () => rec.completed.length === 8);
      assert.equal(maxRunning, 3);
    });

    it('retries a failing job with backoff, then fails it for good', TEST, async () => {
      const { queue, rec } = open<null>();
      const startedAt: number[] = [];
      queue.process(async (job) => {
        startedAt.push(Date.now());
        throw new Error(`boom on try ${job.attempt}`);
      });
      await queue.add('flaky', null, { attempts: 3, backoffMs: 40 });
      await rec.until('the final failure', () => rec.failed.some((f) => !f.willRetry));
      assert.deepEqual(rec.failed.map((f) => [f.job.attempt, f.willRetry]), [[1, true], [2, true], [3, false]]);
      assert.equal(rec.failed.at(-1)?.error.message, 'boom on try 3');
      const [t1 = 0, t2 = 0, t3 = 0] = startedAt;
      assert.ok(t2 - t1 >= 40 - 2, `first retry after ${t2 - t1} ms, backoff 40 ms`);
      assert.ok(t3 - t2 >= 80 - 2, `second retry after ${t3 - t2} ms, exponential backoff 80 ms`);
      assert.deepEqual(await queue.counts(), { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 1 });
    });

    it('completes a job that succeeds on a retry', TEST, async () => {
      const { queue, rec } = open<null>();
      queue.process(async (job) => {
        if (job.attempt < 2) throw new Error('not yet');
        return job.attempt;
      });
      await queue.add('second-time-lucky', null, { attempts: 3, backoffMs: 1, backoff: 'fixed' });
      await rec.until('completion', () => rec.completed.length === 1);
      assert.equal(rec.completed[0]?.result, 2);
      assert.deepEqual(rec.failed.map((f) => f.willRetry), [true]);
    });

    it('does not retry a job that throws UnrecoverableError', TEST, async () => {
      const { queue, rec } = open<null>();
      let tries = 0;
      queue.process(async () => {
        tries++;
        throw new UnrecoverableError('unknown command "melt"');
      });
      await queue.add('bad', null, { attempts: 5, backoffMs: 1 });
      await rec.until('the failure', () => rec.failed.length === 1);
      const failure = rec.failed[0];
      assert.equal(failure?.willRetry, false);
      assert.ok(isUnrecoverable(failure?.error), `error kept its meaning: ${failure?.error.name}`);
      assert.equal(failure?.error.message, 'unknown command "melt"');
      assert.equal(tries, 1);
      assert.deepEqual(await queue.counts(), { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 1 });
    });

    it('starts a delayed job no earlier than its delay', TEST, async () => {
      const { queue, rec } = open<null>();
      let startedAt = 0;
      queue.process(async () => {
        startedAt = Date.now();
      });
      const addedAt = Date.now();
      await queue.add('later', null, { delayMs: 300 });
      assert.equal((await queue.counts()).delayed, 1);
      await rec.until('the delayed job', () => rec.completed.length === 1);
      assert.ok(startedAt - addedAt >= 300 - 2, `started ${startedAt - addedAt} ms after add, delay 300 ms`);
    });

    it('treats a second add with the same jobId as a no-op, before and after it ran', TEST, async () => {
      const { queue, rec } = open<{ v: number }>();
      assert.equal(await queue.add('cmd', { v: 1 }, { jobId: 'cmd-42' }), 'cmd-42');
      assert.equal(await queue.add('cmd', { v: 2 }, { jobId: 'cmd-42' }), 'cmd-42');
      assert.equal((await queue.counts()).waiting, 1);
      const runs: Array<{ v: number }> = [];
      queue.process(async (job) => {
        runs.push(job.data);
      });
      await queue.add('sentinel', { v: 0 });
      await rec.until('the sentinel', () => rec.completedNames().includes('sentinel'));
      await queue.add('cmd', { v: 3 }, { jobId: 'cmd-42' });
      await queue.add('sentinel-2', { v: 0 });
      await rec.until('the second sentinel', () => rec.completedNames().includes('sentinel-2'));
      assert.deepEqual(runs, [{ v: 1 }, { v: 0 }, { v: 0 }]);
    });

    it('rejects a jobId the Redis queue cannot hold, naming the queue', TEST, async () => {
      const { queue } = open<null>();
      await assert.rejects(queue.add('cmd', null, { jobId: '42' }), (err: Error) => err.message.includes(queue.name) && /integer/.test(err.message));
      await assert.rejects(queue.add('cmd', null, { jobId: 'a:b' }), /must not contain ':'/);
    });

    it('fires a repeatable job on schedule until it is removed', TEST, async () => {
      const { queue, rec } = open<{ site: string }>();
      const ticks: number[] = [];
      queue.process(async (job) => {
        if (job.name === 'tick') ticks.push(Date.now());
      });
      await queue.addRepeatable('tick', { site: 'demo' }, 100, 'heartbeat');
      await rec.until('3 ticks', () => ticks.length >= 3);
      assert.deepEqual(rec.completed[0]?.job.data, { site: 'demo' });
      const [t1 = 0, , t3 = 0] = ticks;
      assert.ok(t3 - t1 >= 100, `3 ticks within ${t3 - t1} ms at a 100 ms schedule`);
      assert.equal(await queue.removeRepeatable('heartbeat'), true);
      const ticksAtRemoval = ticks.length;
      // A job delayed past three more periods: if the schedule still ran, ticks would land first.
      await queue.add('sentinel', { site: 'demo' }, { delayMs: 350 });
      await rec.until('the sentinel', () => rec.completedNames().includes('sentinel'));
      assert.ok(ticks.length <= ticksAtRemoval + 1, `${ticks.length - ticksAtRemoval} ticks after removal`);
      assert.equal(await queue.removeRepeatable('heartbeat'), false);
      const counts = await queue.counts();
      assert.equal(counts.waiting + counts.delayed, 0);
    });

    it('refuses a second worker on the same queue object', TEST, async () => {
      const { queue } = open<null>();
      queue.process(async () => undefined);
      assert.throws(() => queue.process(async () => undefined), /already running/);
    });

    it('closes gracefully: the active job finishes, no new job starts, later adds are refused', TEST, async () => {
      const { queue, rec } = open<null>();
      const slowStarted = deferred();
      const release = deferred();
      const started: string[] = [];
      queue.process(async (job) => {
        started.push(job.name);
        if (job.name === 'slow') {
          slowStarted.resolve();
          await release.promise;
        }
        return 'done';
      });
      await queue.add('slow', null);
      await queue.add('next', null);
      await slowStarted.promise;
      const closing = queue.close().then(() => rec.log.push('closed'));
      const early = await Promise.race([closing.then(() => 'closed'), new Promise((r) => setImmediate(r)).then(() => 'still closing')]);
      assert.equal(early, 'still closing', 'close() returned while a job was active');
      release.resolve();
      await closing;
      assert.deepEqual(rec.log, ['completed slow', 'closed']);
      assert.deepEqual(started, ['slow']);
      await assert.rejects(queue.add('late', null), (err: Error) => err.message.includes(queue.name) && /closed/.test(err.message));
    });
  });
}
