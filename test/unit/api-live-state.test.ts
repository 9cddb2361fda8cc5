import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { SMALL_SITE, smallBatch } from '../support/api-harness.ts';

const site = loadSiteFile(SMALL_SITE);

describe('LiveState', () => {
  test('devices go stale after the threshold and leave the sums; the meter goes stale on its own clock', () => {
    let now = 1_000_000;
    const live = new LiveState(site, { staleAfterMs: 90_000, staleAfterMsByKind: { meter: 10_000 }, now: () => now });
    live.apply(smallBatch(site, { seq: 1, atMs: now, minerPowerW: 3000, blockMeterW: { B1: 50_000 } }));
    let b1 = live.snapshot().blocks.find((b) => b.id === 'B1')!;
    assert.equal(b1.powerSource, 'meter');
    assert.equal(b1.powerW, 50_000);

    now += 11_000; // the meter is stale, the miners are not
    b1 = live.snapshot().blocks.find((b) => b.id === 'B1')!;
    assert.equal(b1.powerSource, 'devices');
    assert.equal(b1.powerW, 16 * 3000);
    assert.equal(b1.devices.stale, 1);

    now += 90_000; // everything is stale
    const snap = live.snapshot();
    b1 = snap.blocks.find((b) => b.id === 'B1')!;
    assert.equal(b1.powerW, null, 'stale is unknown, not zero');
    assert.equal(b1.hashrateHs, null);
    assert.equal(b1.miners.stale, 16);
    assert.equal(b1.miners.online, 0);
    assert.equal(snap.powerW, null);
  });

  test('never-heard-from miners are counted as unseen; a block without miners has hashrate 0, not unknown', () => {
    const live = new LiveState(site);
    const snap = live.snapshot();
    const b1 = snap.blocks.find((b) => b.id === 'B1')!;
    assert.equal(b1.miners.unseen, 16);
    assert.equal(b1.hashrateHs, null);
    const b3 = snap.blocks.find((b) => b.id === 'B3')!;
    assert.equal(b3.hashrateHs, 0);
    assert.equal(b3.powerW, null);
  });

  test('an older reading replayed after a newer one does not overwrite it', () => {
    const live = new LiveState(site, { now: () => 2_000_000 });
    live.apply(smallBatch(site, { seq: 2, atMs: 1_990_000, minerPowerW: 3000 }));
    live.apply(smallBatch(site, { seq: 1, atMs: 1_980_000, minerPowerW: 1000 }));
    assert.equal(live.reading('B1-m00001')?.metrics.power_w, 3000);
  });

  test('history points: block, site and per-state rollups every batch; each miner at most once per interval', () => {
    let now = 5_000_000;
    const live = new LiveState(site, { minerHistoryEveryMs: 60_000, now: () => now });
    const first = live.apply(smallBatch(site, { seq: 1, atMs: now, revenueMeterW: 80_000, blockMeterW: { B3: 20_000 } }));
    const count = (m: string, pts = first.points) => pts.filter((p) => p.measurement === m).length;
    assert.equal(count('miner'), 20);
    assert.equal(count('meter'), 2);
    const meter = first.points.find((p) => p.measurement === 'meter' && p.tags.meter === 'M-REV')!;
    assert.deepEqual(Object.keys(meter.fields).sort(), ['energy_wh', 'power_w']);
    assert.equal(count('block'), 3);
    assert.equal(count('site'), 1);
    assert.deepEqual(first.points.filter((p) => p.measurement === 'site_state').map((p) => p.tags.state).sort(), ['ai', 'mining']);
    now += 30_000;
    const second = live.apply(smallBatch(site, { seq: 2, atMs: now, revenueMeterW: 80_000 }));
    assert.equal(count('miner', second.points), 0, 'miners are sampled');
    assert.equal(count('block', second.points), 2, 'only blocks the batch touched');
    const off = new LiveState(site, { now: () => now }).apply(smallBatch(site, { seq: 1, atMs: now }));
    assert.equal(count('miner', off.points), 0, 'no miner points by default');
    for (const p of [...first.points, ...second.points]) {
      for (const v of Object.values(p.fields)) assert.ok(Number.isFinite(v), `${p.measurement} has only finite fields`);
    }
  });
});
