import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { AlertBook } from '../../services/alerts/alert-book.ts';
import { gpuConditions, tenantConditions } from '../../services/alerts/conditions.ts';
import { logger } from '../../services/lib/log.ts';

const log = logger('test');
log.level = 'silent';
const gpu = (over: Partial<Reading> & { metrics?: Record<string, number>; labels?: Record<string, string> }): Reading => ({
  deviceId: 'GPU-1',
  kind: 'gpu',
  blockId: 'A1',
  atMs: 1_000,
  status: 'online',
  ...over,
  metrics: { power_w: 600, ...(over.metrics ?? {}) },
  labels: { host: 'h1', index: '0', throttle_reasons: 'none', ...(over.labels ?? {}) },
});

describe('alert conditions', () => {
  test('one gpu-fault per GPU whatever mix of ECC, XID and remap failure; thermal; host-down once per host', () => {
    const c = gpuConditions(
      [
        gpu({ metrics: { ecc_uncorrected_volatile_count: 2, xid_last_code: 79 }, labels: { remapped_rows_failure: 'yes' } }),
        gpu({ deviceId: 'GPU-2', labels: { index: '1', throttle_reasons: 'sw_power_cap,hw_thermal_slowdown' }, metrics: { temp_c: 92 } }),
        gpu({ deviceId: 'GPU-3', labels: { host: 'h2', stale: 'true', stale_since_ms: '500' } }),
        gpu({ deviceId: 'GPU-4', labels: { host: 'h2', stale: 'true', stale_since_ms: '500' } }),
        gpu({ deviceId: 'h3', status: 'offline', labels: { host: 'h3' }, error: 'calling "nvidia-smi" failed: timed out after 5000 ms' }),
        gpu({ deviceId: 'GPU-5', metrics: { ecc_corrected_volatile_count: 1000, xid_last_code: 0 } }),
      ],
      2_000,
      90_000,
    );
    assert.deepEqual(c.map((x) => x.key), ['gpu-fault:GPU-1', 'gpu-thermal:GPU-2', 'host-down:h2', 'host-down:h3']);
    assert.match(c[0]?.message ?? '', /2 uncorrectable ECC errors, XID 79, row remapping failed/);
    assert.match(c[1]?.message ?? '', /hw_thermal_slowdown, 92 °C/);
    assert.match(c[3]?.message ?? '', /timed out after 5000 ms/);
    // A reading older than staleAfterMs is a host not answering even without the stale label.
    assert.deepEqual(gpuConditions([gpu({ atMs: 0 })], 100_000, 90_000).map((x) => x.key), ['host-down:h1']);
  });

  test('tenant below its commitment this month', () => {
    const c = tenantConditions([
      { contractId: 'c1', tenantId: 't1', month: '2026-12', availabilityPct: 99.95, commitmentPct: 99.99 },
      { contractId: 'c2', tenantId: 't2', month: '2026-12', availabilityPct: 100, commitmentPct: 99.9 },
    ]);
    assert.deepEqual(c.map((x) => x.key), ['tenant-sla:c1:2026-12']);
  });
});

describe('alert book', () => {
  const fault = { key: 'gpu-fault:GPU-1', kind: 'gpu-fault' as const, severity: 'critical' as const, subject: { gpu: 'GPU-1' }, message: 'GPU-1: XID 79' };
  const sla = { key: 'tenant-sla:c1:2026-12', kind: 'tenant-sla' as const, severity: 'warning' as const, subject: { tenant: 't1' }, message: 'below' };

  test('raised once, cleared once, after the condition has been gone clearAfterMs; a flap inside that window is the same alert', () => {
    const book = new AlertBook(log, { clearAfterMs: 10_000 });
    assert.equal(book.evaluate(['gpu-fault'], [fault], 0).raised.length, 1);
    assert.equal(book.evaluate(['gpu-fault'], [fault], 5_000).raised.length, 0);
    assert.equal(book.evaluate(['gpu-fault'], [], 8_000).cleared.length, 0, 'gone 3 s: not yet');
    assert.equal(book.evaluate(['gpu-fault'], [fault], 9_000).raised.length, 0, 'back within the window: same alert');
    assert.equal(book.evaluate(['gpu-fault'], [], 15_000).cleared.length, 0);
    const { cleared } = book.evaluate(['gpu-fault'], [], 19_000);
    assert.deepEqual(cleared.map((a) => [a.key, a.raisedAtMs, a.clearedAtMs]), [['gpu-fault:GPU-1', 0, 19_000]]);
    assert.equal(book.evaluate(['gpu-fault'], [], 30_000).cleared.length, 0, 'cleared once');
    assert.deepEqual(book.list().active, []);
    assert.equal(book.list().cleared.length, 1);
  });

  test('an evaluation clears only the kinds it covers', () => {
    const book = new AlertBook(log, { clearAfterMs: 0 });
    book.evaluate(['tenant-sla'], [sla], 0);
    book.evaluate(['gpu-fault'], [fault], 0);
    book.evaluate(['gpu-fault', 'gpu-thermal', 'host-down'], [], 1);
    assert.deepEqual(book.list().active.map((a) => a.key), ['tenant-sla:c1:2026-12']);
  });

  test('raiseAfterMs: a condition must hold that long; one that goes away before is never raised', () => {
    const down = { key: 'host-down:h1', kind: 'host-down' as const, severity: 'critical' as const, subject: { host: 'h1' }, message: 'h1 down' };
    const book = new AlertBook(log, { clearAfterMs: 0, raiseAfterMs: { 'host-down': 15_000 } });
    assert.equal(book.evaluate(['host-down'], [down], 0).raised.length, 0);
    assert.equal(book.evaluate(['host-down'], [], 5_000).raised.length, 0, 'a slow poll that recovered');
    assert.equal(book.evaluate(['host-down'], [down], 10_000).raised.length, 0, 'seen again: counts from here');
    assert.equal(book.evaluate(['host-down'], [down], 20_000).raised.length, 0);
    assert.deepEqual(book.evaluate(['host-down'], [down], 25_000).raised.map((a) => a.raisedAtMs), [25_000]);
    assert.equal(book.evaluate(['gpu-fault'], [fault], 25_000).raised.length, 1, 'other kinds raise at once');
  });
});
