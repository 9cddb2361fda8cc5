import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DeviceDriver } from '../../agents/device-driver.ts';
import { pollTier, readWithDeadline } from '../../agents/poll-tier.ts';
import { StaleTracker } from '../../agents/stale.ts';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { logger } from '../../services/lib/log.ts';

/** The poller's per-device deadline holds even against a driver that ignores it. */
const online = (id: string): Reading => ({ deviceId: id, kind: 'pdu', atMs: Date.now(), status: 'online', metrics: { power_w: 1 } });

describe('poll tier', () => {
  test('a driver that never returns is offline with a timeout at the deadline; its signal is aborted', async () => {
    let seen: AbortSignal | undefined;
    const hung: DeviceDriver = { kind: 'test', deviceKind: 'pdu', read: (_t, { signal }) => ((seen = signal), new Promise<Reading>(() => undefined)) };
    // The driver's promise never settles: that this resolves at all is the deadline holding.
    const r = await readWithDeadline(hung, { id: 'P1' }, { timeoutMs: 100, concurrency: 1 });
    assert.equal(r.status, 'offline');
    assert.deepEqual(r.metrics, {});
    assert.match(r.error ?? '', /timeout: no reading within 100 ms/);
    assert.equal(seen?.aborted, true);
  });

  test('a driver that throws gives an error reading with the message', async () => {
    const broken: DeviceDriver = { kind: 'test', deviceKind: 'pdu', read: async () => Promise.reject(new Error('OID not found')) };
    const r = await readWithDeadline(broken, { id: 'P2' }, { timeoutMs: 100, concurrency: 1 });
    assert.equal(r.status, 'error');
    assert.match(r.error ?? '', /test read of P2 failed: OID not found/);
  });

  test('one hung device among many costs one slot for one deadline, not the cycle', async () => {
    // The hung device is read first; the others answer at once. Behaviour, not wall time: the
    // other 200 are read in the remaining 7 slots while the hung one holds its slot, so they
    // all report before its deadline reading, and never more than 8 reads are in flight.
    let inFlight = 0;
    let maxInFlight = 0;
    let othersDuringHang = 0;
    let hangOpen = false;
    const driver: DeviceDriver = {
      kind: 'test',
      deviceKind: 'pdu',
      read: (t, { signal }) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        if (t.id === 'hung') {
          hangOpen = true;
          signal.addEventListener('abort', () => ((hangOpen = false), inFlight--));
          return new Promise<Reading>(() => undefined);
        }
        if (hangOpen) othersDuringHang++;
        return new Promise((ok) => setImmediate(() => (inFlight--, ok(online(t.id)))));
      },
    };
    const targets = [{ id: 'hung' }, ...Array.from({ length: 200 }, (_, i) => ({ id: `d${i}` }))];
    const readings: Reading[] = [];
    await pollTier(driver, targets, { timeoutMs: 300, concurrency: 8 }, (r) => readings.push(r));
    assert.equal(readings.length, 201);
    assert.equal(readings.filter((r) => r.status === 'online').length, 200);
    assert.equal(readings.at(-1)?.deviceId, 'hung', 'the hung device reports last, at its deadline');
    assert.equal(othersDuringHang, 200, 'every other device was read while the hung one held its slot');
    assert.equal(maxInFlight, 8);
  });

  test('stale: no online reading for staleAfterMs, once each way', () => {
    const log = logger('test');
    const stale = new StaleTracker(log);
    stale.record({ ...online('a'), atMs: 0 });
    stale.record({ deviceId: 'a', kind: 'pdu', atMs: 500, status: 'offline', metrics: {} });
    stale.check([{ id: 'a' }], 1_000, 900);
    assert.equal(stale.count(), 0);
    stale.check([{ id: 'a' }], 1_000, 1_500);
    assert.equal(stale.isStale('a'), true);
    stale.record({ ...online('a'), atMs: 1_600 });
    stale.check([{ id: 'a' }], 1_000, 1_700);
    assert.equal(stale.count(), 0);
  });
});
