// The InfluxDB line-protocol history against a real VictoriaMetrics (infra/dev/services.sh):
// every point written is read back raw through /api/v1/export, then query() through the
// VictoriaMetrics path must agree with the SQLite history fed the same points.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Aggregate, Series, SeriesQuery, TelemetryHistory, TelemetryPoint } from '../../services/telemetry/history.ts';
import { createHistory } from '../../services/telemetry/index.ts';
import { InfluxHistory } from '../../services/telemetry/influx-history.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';
import { requireServiceEnv } from '../support/service-env.ts';

const vmUrl = requireServiceEnv('SWITCHYARD_TEST_VM_URL');
const MIN = 60_000;
const WAIT_MS = 15_000;

interface Exported {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

async function exportSeries(url: string, measurement: string, fromMs: number, toMs: number): Promise<Exported[]> {
  const body = new URLSearchParams({ 'match[]': `{__name__=~"${measurement}_.*"}`, start: String(fromMs / 1000), end: String(toMs / 1000) });
  const res = await fetch(`${url}/api/v1/export`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  assert.equal(res.status, 200, `export from ${url}: ${text.slice(0, 200)}`);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Exported);
}

/** Points become searchable after VictoriaMetrics flushes its in-memory parts; ask it to. */
async function forceFlush(url: string): Promise<void> {
  const res = await fetch(`${url}/internal/force_flush`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `force_flush on ${url}`);
}

function assertSeriesClose(actual: Series[], expected: Series[], what: string): void {
  assert.deepEqual(
    actual.map((s) => ({ tags: s.tags, buckets: s.points.map((p) => p[0]) })),
    expected.map((s) => ({ tags: s.tags, buckets: s.points.map((p) => p[0]) })),
    `${what}: series and buckets`,
  );
  actual.forEach((s, i) =>
    s.points.forEach(([bucket, value], j) => {
      const want = expected[i]?.points[j]?.[1] ?? Number.NaN;
      assert.ok(Math.abs(value - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${JSON.stringify(s.tags)} at ${bucket}: ${value} != ${want}`);
    }),
  );
}

if (vmUrl) {
  describe(`telemetry history on VictoriaMetrics at ${vmUrl}`, () => {
    const measurement = `t_${randomUUID().replaceAll('-', '')}`;
    // Whole minutes, 30 min ago: inside the SQLite raw window and VictoriaMetrics' retention.
    const base = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;
    const seconds = 600;
    const miners = ['m1', 'm2', 'm3', 'm4'];
    const points: TelemetryPoint[] = [];
    for (const [i, miner] of miners.entries()) {
      for (let s = 0; s < seconds; s++) {
        if (miner === 'm4' && s >= 120 && s < 300) continue; // a gap: those buckets must stay absent
        points.push({
          measurement,
          tags: { miner, block: i < 2 ? 'b1' : 'b2' },
          fields: { power_w: 3000 + i * 100 + (s % 50) * 0.125, temp_c: 55 + (s % 10) * 0.5 },
          atMs: base + s * 1000 + i * 7,
        });
      }
    }
    const samples = points.length * 2;
    let history: TelemetryHistory;
    let reference: SqliteHistory;

    before(async () => {
      history = createHistory({ dataDir: '/nonexistent', env: { INFLUX_URL: vmUrl, INFLUX_ORG: 'switchyard', INFLUX_BUCKET: 'test' } });
      assert.equal(history.kind, 'influx');
      reference = new SqliteHistory({ path: ':memory:' });
      await reference.write(points);
      const writer = new InfluxHistory({ url: vmUrl, org: 'switchyard', bucket: 'test', flavor: 'victoriametrics', batchLines: 500 });
      await writer.write(points);
      await writer.close();
    });

    after(async () => {
      await history?.close();
      await reference?.close();
    });

    it(`stores every one of the ${samples} values at its exact time`, { timeout: 60_000 }, async () => {
      const deadline = Date.now() + WAIT_MS;
      let exported: Exported[] = [];
      let count = 0;
      while (count < samples) {
        assert.ok(Date.now() < deadline, `only ${count} of ${samples} values readable after ${WAIT_MS} ms`);
        await forceFlush(vmUrl);
        exported = await exportSeries(vmUrl, measurement, base - MIN, base + seconds * 1000 + MIN);
        count = exported.reduce((n, e) => n + e.values.length, 0);
      }
      const stored = new Map<string, number>();
      for (const e of exported) {
        e.timestamps.forEach((t, i) => stored.set(`${e.metric.__name__}|${e.metric.miner}|${e.metric.block}|${t}`, e.values[i] ?? Number.NaN));
      }
      assert.equal(stored.size, samples, 'no value stored twice or extra');
      for (const p of points) {
        for (const [field, value] of Object.entries(p.fields)) {
          const key = `${measurement}_${field}|${p.tags.miner}|${p.tags.block}|${p.atMs}`;
          assert.equal(stored.get(key), value, key);
        }
      }
    });

    it('answers query() like the SQLite history does, for every aggregate, step, where and groupBy', { timeout: 60_000 }, async () => {
      const range = { measurement, fromMs: base, toMs: base + seconds * 1000 };
      const queries: SeriesQuery[] = [];
      for (const aggregate of ['mean', 'sum', 'min', 'max', 'last'] as Aggregate[]) {
        queries.push({ ...range, field: 'power_w', stepMs: 10_000, aggregate });
        queries.push({ ...range, field: 'power_w', stepMs: MIN, aggregate, groupBy: 'block' });
        queries.push({ ...range, field: 'temp_c', stepMs: 30_000, aggregate, where: { block: 'b2' }, groupBy: 'miner' });
      }
      queries.push({ ...range, field: 'power_w', stepMs: 7_000, where: { miner: 'm4' } });
      queries.push({ ...range, fromMs: base + 95_000, toMs: base + 185_000, field: 'power_w', stepMs: 20_000, aggregate: 'max', groupBy: 'miner' });
      for (const q of queries) {
        const what = `${q.field} ${q.aggregate ?? 'mean'} step ${q.stepMs}${q.where ? ` where ${JSON.stringify(q.where)}` : ''}${q.groupBy ? ` by ${q.groupBy}` : ''}`;
        assertSeriesClose(await history.query(q), await reference.query(q), what);
      }
      const [m4] = await history.query({ ...range, field: 'power_w', stepMs: MIN, where: { miner: 'm4' } });
      assert.deepEqual(m4?.points.map((p) => (p[0] - base) / MIN), [0, 1, 5, 6, 7, 8, 9], 'the gap is absent, not zero');
      assert.deepEqual(await history.query({ ...range, field: 'power_w', stepMs: MIN, where: { miner: 'nobody' } }), []);
    });

    it('surfaces a failed write with the server it was for', async () => {
      const dead = new InfluxHistory({ url: 'http://127.0.0.1:1', org: 'switchyard', bucket: 'test', flavor: 'victoriametrics', timeoutMs: 2000 });
      await assert.rejects(dead.write(points.slice(0, 3)), (err: Error) => err.message.includes('http://127.0.0.1:1') && err.message.includes('bucket "test"'));
      await dead.close();
    });

    it('refuses NaN before sending anything', async () => {
      await assert.rejects(history.write([{ measurement, tags: {}, fields: { power_w: Number.NaN }, atMs: base }]), /not a finite number/);
    });
  });
}
