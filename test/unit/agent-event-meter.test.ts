import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventMeterLoop } from '../../agents/event-meter-loop.ts';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { logger } from '../../services/lib/log.ts';
import { until } from '../support/until.ts';

test('while an event is active the revenue meter is read on its own schedule, and only then', async () => {
  const reads: string[] = [];
  const got: Reading[] = [];
  const log = logger('test');
  log.level = 'error';
  const loopReading = (onRead: (id: string) => void, onReading: (r: Reading) => void) =>
    new EventMeterLoop({
      tier: {
        name: 'meter polling',
        intervalMs: 60_000,
        timeoutMs: 1000,
        concurrency: 1,
        targets: [{ id: 'M-REV' }, { id: 'M-B1' }],
        driver: {
          kind: 'modbus',
          deviceKind: 'meter',
          read: async (t: { id: string }) => {
            onRead(t.id);
            return { deviceId: t.id, kind: 'meter', atMs: Date.now(), status: 'online', metrics: { power_w: 1 } } as unknown as Reading;
          },
        },
      },
      meterIds: new Set(['M-REV']),
      intervalMs: 100,
      onReading,
      log,
    });
  const loop = loopReading((id) => reads.push(id), (r) => got.push(r));
  assert.equal(loop.active, false);
  loop.setActive(true);
  await until('three fast reads', () => (got.length >= 3 ? true : undefined), 5000, 10);
  loop.setActive(false);
  const after = reads.length;
  // Only the revenue meter, never the block meter (the meter tier keeps reading both).
  assert.deepEqual([...new Set(reads)], ['M-REV']);
  // A second loop left active is the clock: once it has read three more times (over two of
  // its intervals), the stopped loop would have read too had its schedule survived.
  let clockReads = 0;
  const clock = loopReading(() => clockReads++, () => undefined);
  clock.setActive(true);
  try {
    await until('three reads of a loop still active', () => (clockReads >= 3 ? true : undefined), 5000, 10);
  } finally {
    clock.stop();
  }
  assert.equal(loop.active, false);
  assert.equal(reads.length, after, 'no reads once no event is active');
});
