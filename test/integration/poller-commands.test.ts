import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Poller, reducedConcurrency } from '../../agents/poller.ts';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin, type Twin } from '../../simulations/site-twin/twin.ts';
import { dialectSite } from '../support/dialect-site.ts';

/**
 * Issue 10, finding 8: while a command batch ran, miner polling stopped (and the cycle in
 * flight was cut short), so 8,468 miners went stale during a long shed; and sleeping miners
 * were reported like mining ones, so the page counted them online. Against the twin's five
 * dialects: polling goes on at a reduced rate while a batch holds it, and a miner put to sleep
 * is reported with mode "sleeping".
 */
describe('poller while commands run', { timeout: 120_000 }, () => {
  let twin: Twin;
  const log = logger('poller-test');
  log.level = 'error';

  before(async () => {
    const twinLog = logger('site-twin');
    twinLog.level = 'error';
    twin = await startTwin(dialectSite(8), { minerPort: 0, antminerWebPort: 0, log: twinLog });
  });
  after(async () => {
    await twin?.stop();
  });

  const poller = (readings: Map<string, Reading>) =>
    new Poller(
      { miners: twin.miners, minerIntervalMs: 60_000, minerTimeoutMs: 3_000, minerConcurrency: 16, minerConcurrencyWhileCommanding: 2, minerInventoryIntervalMs: 0 },
      (r) => readings.set(r.deviceId, r),
      log,
    );

  test('a cycle under a command batch still reads every miner, at the reduced limit', async () => {
    const readings = new Map<string, Reading>();
    const p = poller(readings);
    try {
      const release = p.preemptMinerPolling();
      assert.equal(p.stats().minerConcurrencyNow, 2);
      const cycle = await p.pollMinersOnce();
      assert.equal(cycle.readings, twin.miners.length, 'every miner is read while the batch runs');
      assert.equal(cycle.online, twin.miners.length);
      release();
      assert.equal(p.stats().minerConcurrencyNow, 16, 'full rate once the batch is done');
    } finally {
      await p.stop();
    }
  });

  test('the reduced rate never lets a cycle outlast the stale threshold', () => {
    // Half by default when the fleet reads fast: 256 → 128.
    assert.equal(reducedConcurrency({ full: 256, lastFullCycleMs: 10_000, budgetMs: 60_000 }), 128);
    // A 38 s full cycle, 60 s to spare (90 s stale − 30 s interval): at least 256 × 38 / 60 =
    // 162.13 → 163 in flight, so the cycle takes at most 38 × 256 / 163 = 59.7 s.
    assert.equal(reducedConcurrency({ full: 256, lastFullCycleMs: 38_000, budgetMs: 60_000 }), 163);
    // Slower than the budget at the full rate: the full rate.
    assert.equal(reducedConcurrency({ full: 256, lastFullCycleMs: 70_000, budgetMs: 60_000 }), 256);
    // Asked for, and nothing known yet; never under 1.
    assert.equal(reducedConcurrency({ full: 16, asked: 2, lastFullCycleMs: undefined, budgetMs: 60_000 }), 2);
    assert.equal(reducedConcurrency({ full: 1, lastFullCycleMs: undefined, budgetMs: 60_000 }), 1);
  });

  test('a batch starting mid-cycle does not cut the cycle short', async () => {
    const readings = new Map<string, Reading>();
    const p = poller(readings);
    try {
      const cycle = p.pollMinersOnce();
      const release = p.preemptMinerPolling();
      const r = await cycle;
      release();
      assert.equal(r.readings, twin.miners.length);
      assert.equal(readings.size, twin.miners.length);
    } finally {
      await p.stop();
    }
  });

  test('a sleeping miner is reported as sleeping, a mining one as mining', async () => {
    const asleep = twin.miners.filter((_, i) => i % 8 === 0).map((m) => m.id);
    for (const id of asleep) assert.ok(twin.minerById(id)?.miner.sleep(Date.now()), `${id} goes to sleep`);
    const readings = new Map<string, Reading>();
    const p = poller(readings);
    try {
      await p.pollMinersOnce();
    } finally {
      await p.stop();
    }
    for (const m of twin.miners) {
      const r = readings.get(m.id);
      assert.equal(r?.status, 'online', `${m.id} (${m.firmware}) answers`);
      assert.equal(r.labels?.mode, asleep.includes(m.id) ? 'sleeping' : 'mining', `${m.id} (${m.firmware}) mode`);
    }
  });
});
