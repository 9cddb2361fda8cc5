import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryQueue } from '../../services/queue/memory.ts';
import { until } from '../support/until.ts';

// Issue 10 finding 3: a dispatch a year ahead started shedding within a second. The in-process
// queue handed delays over 2^31−1 ms to setTimeout, which fires those after 1 ms
// (TimeoutOverflowWarning). Longer delays are now re-armed in steps the timer honours.
test('a job delayed past the timer limit does not run early', async () => {
  const q = new MemoryQueue<{ n: number }>('long-delay');
  const ran: number[] = [];
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    q.process(async (job) => void ran.push(job.data.n));
    await q.add('year', { n: 1 }, { delayMs: 365 * 24 * 3_600_000 });
    await q.add('just-over', { n: 2 }, { delayMs: 2 ** 31 + 5 });
    await q.add('soon', { n: 3 }, { delayMs: 20 });
    // An overflowed timer fires after 1 ms, before the 20 ms job: once that one has run, any
    // early run of the long ones has happened too.
    await until('the 20 ms job to run', () => ran.includes(3), 5_000, 5);
    assert.deepEqual(ran, [3]);
    assert.ok(!warnings.includes('TimeoutOverflowWarning'), `warnings: ${warnings.join(', ')}`);
  } finally {
    process.off('warning', onWarning);
    await q.close();
  }
});
