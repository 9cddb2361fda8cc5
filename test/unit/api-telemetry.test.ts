import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, smallBatch, type Harness } from '../support/api-harness.ts';
import { check } from '../../services/domain/schema.ts';
import { LiveMessage } from '../../services/api/routes/live.ts';
import { until } from '../support/until.ts';

const waitUntil = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> => until(what, probe, timeoutMs, 20);

describe('GET /api/telemetry', () => {
  let h: Harness;
  const t0 = Date.now() - 60_000;
  before(async () => {
    h = await harness({ livePushMs: 50 });
    for (let i = 0; i < 3; i++) {
      const batch = smallBatch(h.site, { seq: i + 1, atMs: t0 + i * 10_000, revenueMeterW: 100_000 + i * 1000, blockMeterW: { B3: 20_000 } });
      const res = await h.call({ method: 'POST', url: '/api/ingest', payload: batch, as: 'agent' });
      assert.equal(res.statusCode, 200);
    }
  });
  after(() => h.close());

  test('returns the history the ingest wrote', async () => {
    const q = `measurement=site&field=power_w&from=${t0 - 1000}&to=${t0 + 60_000}&step=10s`;
    const body = await waitUntil('site points in the history', async () => {
      await h.history.flush();
      const res = await h.call({ url: `/api/telemetry?${q}` });
      assert.equal(res.statusCode, 200, res.body);
      const b = res.json();
      return b.series[0]?.points.length === 3 ? b : undefined;
    });
    assert.equal(body.stepMs, 10_000);
    assert.deepEqual(body.series[0].points.map((p: [number, number]) => p[1]), [100_000, 101_000, 102_000]);

    const byState = await h.call({ url: `/api/telemetry?measurement=site_state&field=power_w&groupBy=state&from=-1h` });
    assert.equal(byState.statusCode, 200);
    const states = byState.json().series.map((s: { tags: { state: string } }) => s.tags.state).sort();
    assert.deepEqual(states, ['ai', 'mining']);

    const oneBlock = await h.call({ url: `/api/telemetry?measurement=block&field=power_w&block=B3&from=-1h` });
    assert.equal(oneBlock.statusCode, 200);
    for (const s of oneBlock.json().series) for (const [, v] of s.points) assert.equal(v, 20_000);
  });

  test('validates ranges and caps the number of points', async () => {
    const backwards = await h.call({ url: '/api/telemetry?measurement=site&field=power_w&from=-1h&to=-2h' });
    assert.equal(backwards.statusCode, 400);
    assert.equal(backwards.json().error.code, 'E_RANGE');
    const tooFine = await h.call({ url: '/api/telemetry?measurement=site&field=power_w&from=-30d&step=1s' });
    assert.equal(tooFine.statusCode, 400);
    assert.equal(tooFine.json().error.code, 'E_TOO_MANY_POINTS');
    const badTime = await h.call({ url: '/api/telemetry?measurement=site&field=power_w&from=yesterday' });
    assert.equal(badTime.statusCode, 400);
    assert.equal(badTime.json().error.issues[0].path, 'querystring/from');
    const missing = await h.call({ url: '/api/telemetry?field=power_w&from=-1h' });
    assert.equal(missing.statusCode, 400);
    assert.ok(missing.json().error.issues.some((i: { path: string }) => i.path === 'querystring/measurement'));
    const injected = await h.call({ url: '/api/telemetry?measurement=site;drop&field=power_w&from=-1h' });
    assert.equal(injected.statusCode, 400);
  });
});

describe('GET /api/live', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ livePushMs: 50 });
  });
  after(() => h.close());

  test('sends a snapshot on connect and another when a batch changes the site', async () => {
    const ws = await h.app.injectWS('/api/live', { headers: { 'sec-websocket-protocol': 'switchyard.v1' } });
    const messages: unknown[] = [];
    ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
    try {
      await waitUntil('the first snapshot', async () => (messages.length >= 1 ? true : undefined));
      const first = check(LiveMessage, messages[0], 'live message');
      assert.equal(first.site.totals.powerW, null);

      const res = await h.call({ method: 'POST', url: '/api/ingest', payload: smallBatch(h.site, { seq: 1, revenueMeterW: 77_000 }), as: 'agent' });
      assert.equal(res.statusCode, 200);
      const changed = await waitUntil('a snapshot with the new power', async () =>
        messages.map((m) => check(LiveMessage, m, 'live message')).find((m) => m.site.totals.powerW === 77_000),
      );
      assert.equal(changed.site.site.id, h.site.site.id);
    } finally {
      ws.terminate();
    }
  });
});
