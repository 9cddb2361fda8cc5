import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { TelemetryPoint } from '../../services/telemetry/history.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';

const MIN = 60_000;
/** 12:00 UTC; every point below is before it. */
const T0 = Date.UTC(2025, 0, 1, 12);

function minerPoint(miner: string, block: string, atMs: number, powerW: number): TelemetryPoint {
  return { measurement: 'miner', tags: { miner, block }, fields: { power_w: powerW, temp_c: 60 }, atMs };
}

describe('SQLite telemetry history', () => {
  const opened: SqliteHistory[] = [];
  const dirs: string[] = [];
  let clock = T0;
  function open(path = ':memory:'): SqliteHistory {
    const h = new SqliteHistory({ path, now: () => clock, rawRetentionMs: 2 * 3600_000 });
    opened.push(h);
    return h;
  }
  afterEach(async () => {
    clock = T0;
    for (const h of opened.splice(0)) await h.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('answers fine steps from raw points with each aggregate', async () => {
    const h = open();
    const base = T0 - 30 * MIN; // a whole minute, so 10 s buckets start at base
    await h.write([
      minerPoint('m1', 'b1', base + 1000, 3000),
      minerPoint('m1', 'b1', base + 4000, 3300),
      minerPoint('m1', 'b1', base + 9000, 3150),
      minerPoint('m1', 'b1', base + 12_000, 2900),
    ]);
    const q = { measurement: 'miner', field: 'power_w', fromMs: base, toMs: base + 20_000, stepMs: 10_000 };
    const expect = {
      mean: [[base, 3150], [base + 10_000, 2900]],
      min: [[base, 3000], [base + 10_000, 2900]],
      max: [[base, 3300], [base + 10_000, 2900]],
      sum: [[base, 9450], [base + 10_000, 2900]],
      last: [[base, 3150], [base + 10_000, 2900]],
    } as const;
    for (const [aggregate, points] of Object.entries(expect)) {
      const series = await h.query({ ...q, aggregate: aggregate as keyof typeof expect });
      assert.deepEqual(series, [{ tags: {}, points }], aggregate);
    }
  });

  it('answers whole-minute steps from the 1-minute rollups, and keeps them after raw points expire', async () => {
    const h = open();
    const base = T0 - 90 * MIN;
    const points: TelemetryPoint[] = [];
    // 20 minutes at 1 s, power rising 1 W per second.
    for (let s = 0; s < 20 * 60; s++) points.push(minerPoint('m1', 'b1', base + s * 1000, 1000 + s));
    await h.write(points);
    const q = { measurement: 'miner', field: 'power_w', fromMs: base, toMs: base + 20 * MIN, stepMs: 5 * MIN };
    const expected = [0, 1, 2, 3].map((i) => [base + i * 5 * MIN, 1000 + i * 300 + 149.5]);
    assert.deepEqual(await h.query(q), [{ tags: {}, points: expected }]);
    assert.deepEqual((await h.query({ ...q, aggregate: 'last' }))[0]?.points.map((p) => p[1]), [1299, 1599, 1899, 2199]);
    assert.deepEqual((await h.query({ ...q, aggregate: 'max' }))[0]?.points.map((p) => p[1]), [1299, 1599, 1899, 2199]);
    assert.deepEqual((await h.query({ ...q, aggregate: 'min' }))[0]?.points.map((p) => p[1]), [1000, 1300, 1600, 1900]);

    clock = T0 + 2 * 3600_000; // the raw window (2 h) now starts after these points
    assert.deepEqual(h.prune(), { raw: 2 * 20 * 60, rollup: 0 });
    assert.deepEqual(await h.query(q), [{ tags: {}, points: expected }], 'rollups survive the raw window');
    // A 10 s step over a range older than the raw window is answered per whole minute.
    const fine = await h.query({ ...q, stepMs: 10_000, toMs: base + 2 * MIN });
    assert.deepEqual(fine, [{ tags: {}, points: [[base, 1029.5], [base + MIN, 1089.5]] }]);
  });

  it('splits series with groupBy and filters with where', async () => {
    const h = open();
    const at = T0 - 10 * MIN;
    await h.write([
      minerPoint('m1', 'b1', at, 3000),
      minerPoint('m2', 'b1', at + 1000, 3200),
      minerPoint('m3', 'b2', at + 2000, 1000),
      { measurement: 'meter', tags: { block: 'b1' }, fields: { power_w: 99 }, atMs: at },
    ]);
    const q = { measurement: 'miner', field: 'power_w', fromMs: at, toMs: at + MIN, stepMs: MIN, aggregate: 'sum' as const };
    assert.deepEqual(await h.query({ ...q, groupBy: 'block' }), [
      { tags: { block: 'b1' }, points: [[at, 6200]] },
      { tags: { block: 'b2' }, points: [[at, 1000]] },
    ]);
    assert.deepEqual(await h.query({ ...q, where: { block: 'b1' }, groupBy: 'miner' }), [
      { tags: { block: 'b1', miner: 'm1' }, points: [[at, 3000]] },
      { tags: { block: 'b1', miner: 'm2' }, points: [[at, 3200]] },
    ]);
    assert.deepEqual(await h.query({ ...q, where: { block: 'b9' } }), []);
    assert.deepEqual(await h.query({ ...q, stepMs: 1000, aggregate: 'last', where: { miner: 'm2' } }), [{ tags: { miner: 'm2' }, points: [[at + 1000, 3200]] }]);
  });

  it('leaves buckets without data out, and keeps a real zero', async () => {
    const h = open();
    const base = T0 - 20 * MIN;
    await h.write([minerPoint('m1', 'b1', base, 3000), minerPoint('m1', 'b1', base + 3 * MIN, 0)]);
    for (const stepMs of [MIN, 30_000]) {
      const [series] = await h.query({ measurement: 'miner', field: 'power_w', fromMs: base, toMs: base + 5 * MIN, stepMs });
      assert.deepEqual(series?.points, [[base, 3000], [base + 3 * MIN, 0]], `step ${stepMs}`);
    }
  });

  it('refuses NaN and Infinity with a clear error, writing nothing of the batch', async () => {
    const h = open();
    const at = T0 - MIN;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      await assert.rejects(
        h.write([minerPoint('m1', 'b1', at, 3000), { measurement: 'miner', tags: { miner: 'm2' }, fields: { power_w: bad }, atMs: at }]),
        (err: Error) => err.message.includes('miner{miner=m2}') && err.message.includes('"power_w"') && err.message.includes('not a finite number'),
      );
    }
    assert.deepEqual(await h.query({ measurement: 'miner', field: 'power_w', fromMs: at - MIN, toMs: at + MIN, stepMs: MIN }), []);
    await assert.rejects(h.write([{ measurement: 'miner', tags: {}, fields: { power_w: 1 }, atMs: 1.5 }]), /atMs 1.5/);
  });

  it('ignores a repeated point, so rollups do not count it twice', async () => {
    const h = open();
    const at = T0 - 5 * MIN;
    await h.write([minerPoint('m1', 'b1', at, 3000)]);
    await h.write([minerPoint('m1', 'b1', at, 3000), minerPoint('m1', 'b1', at + 1000, 3100)]);
    const q = { measurement: 'miner', field: 'power_w', fromMs: at, toMs: at + MIN, stepMs: MIN, aggregate: 'sum' as const };
    assert.deepEqual(await h.query(q), [{ tags: {}, points: [[at, 6100]] }]);
  });

  it('keeps its series and points in a file across reopening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-history-'));
    dirs.push(dir);
    const path = join(dir, 'history.db');
    const at = T0 - 5 * MIN;
    const first = open(path);
    await first.write([minerPoint('m1', 'b1', at, 3000)]);
    await first.close();
    const second = open(path);
    await second.write([minerPoint('m1', 'b1', at + 1000, 3100)]);
    const [series] = await second.query({ measurement: 'miner', field: 'power_w', fromMs: at, toMs: at + MIN, stepMs: MIN, aggregate: 'sum' });
    assert.deepEqual(series?.points, [[at, 6100]]);
  });
});
