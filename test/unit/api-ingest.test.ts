import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, smallBatch, type Harness } from '../support/api-harness.ts';
import type { BlockView, SiteView } from '../../services/api/schemas.ts';
import { buildApp } from '../../services/api/app.ts';

const block = (view: SiteView, id: string): BlockView => {
  const b = view.blocks.find((x) => x.id === id);
  assert.ok(b, `block ${id} in /api/site`);
  return b;
};

describe('POST /api/ingest', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ ingestBodyLimitBytes: 256 * 1024 });
  });
  after(() => h.close());

  test('unknown keys are rejected with 400 naming each bad key', async () => {
    const batch = smallBatch(h.site, { seq: 100 }) as unknown as Record<string, unknown>;
    const readings = batch.readings as Array<Record<string, unknown>>;
    readings[0]!.bogus = 1;
    // The envelope is checked first, then the readings (in chunks, see ingest/reading-check.ts).
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: { ...batch, extra: true }, as: 'agent' });
    assert.equal(res.statusCode, 400);
    const err = res.json().error;
    assert.equal(err.code, 'E_VALIDATION');
    assert.ok(err.issues.map((i: { path: string }) => i.path).includes('body/extra'));
    const res2 = await h.call({ method: 'POST', url: '/api/ingest', payload: batch, as: 'agent' });
    assert.equal(res2.statusCode, 400);
    const paths = res2.json().error.issues.map((i: { path: string }) => i.path);
    assert.ok(paths.includes('body/readings/0/bogus'), paths.join(', '));
    assert.equal(h.live.version, 0, 'nothing applied');
  });

  test('token bodies reject unknown keys too', async () => {
    const res = await h.call({ method: 'POST', url: '/api/tokens', payload: { name: 'x', role: 'viewer', isAdmin: true }, as: 'admin' });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().error.issues, [{ path: 'body/isAdmin', message: 'unknown key "isAdmin"' }]);
  });

  test('a batch updates /api/site: meter first, device sums otherwise, offline is not zero', async () => {
    const before = (await h.call({ url: '/api/site' })).json() as SiteView;
    assert.equal(block(before, 'B1').powerW, null, 'no data yet is null, not 0');
    assert.equal(before.totals.powerW, null);

    const offline = ['B2-m00001', 'B2-m00002', 'B2-m00003', 'B2-m00004'];
    const batch = smallBatch(h.site, { seq: 1, minerPowerW: 3000, blockMeterW: { B1: 52_000 }, revenueMeterW: 90_000, offline, sleeping: ['B1-m00016'] });
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: batch, as: 'agent' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { accepted: batch.readings.length, duplicate: false, seq: 1 });

    const view = (await h.call({ url: '/api/site' })).json() as SiteView;
    const b1 = block(view, 'B1');
    assert.equal(b1.powerW, 52_000, 'the block meter wins over the device sum');
    assert.equal(b1.powerSource, 'meter');
    assert.equal(b1.powerMw, 0.052);
    assert.equal(b1.hashrateHs, 15 * 200e12);
    assert.deepEqual(b1.miners, { online: 15, sleeping: 1, offline: 0, stale: 0, unseen: 0 });
    const b2 = block(view, 'B2');
    assert.equal(b2.powerW, null, 'every miner offline and no meter: no data, not 0');
    assert.equal(b2.hashrateHs, null);
    assert.equal(b2.miners.offline, 4);
    assert.equal(view.totals.powerW, 90_000, 'the revenue meter is the site total');
    assert.equal(view.totals.powerSource, 'meter');
    assert.ok(b1.nominal.hashrateHs > 0);
  });

  test('a replayed (agentId, seq) is acknowledged as duplicate and not applied twice', async () => {
    const versionBefore = h.live.version;
    const replay = smallBatch(h.site, { seq: 1, minerPowerW: 9999, blockMeterW: { B1: 1 }, revenueMeterW: 1, atMs: Date.now() + 1000 });
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: replay, as: 'agent' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { accepted: 0, duplicate: true, seq: 1 });
    assert.equal(h.live.version, versionBefore);
    const view = (await h.call({ url: '/api/site' })).json() as SiteView;
    assert.equal(block(view, 'B1').powerW, 52_000);
    const health = (await h.call({ url: '/api/health' })).json();
    const agent = health.agents.find((a: { agentId: string }) => a.agentId === 'agent-test');
    assert.equal(agent.batches, 1);
    assert.equal(agent.duplicates, 1);
  });

  test('the ledger outlives the process: a new app on the same store still sees seq 1 as applied', async () => {
    const again = await buildApp({ site: h.site, db: h.db, history: h.history, kinds: { store: 'sqlite', queue: 'memory' }, version: 'test' });
    try {
      const res = await again.inject({
        method: 'POST',
        url: '/api/ingest',
        payload: smallBatch(h.site, { seq: 1 }),
        headers: { authorization: `Bearer ${h.secrets.agent}` },
      });
      assert.deepEqual(res.json(), { accepted: 0, duplicate: true, seq: 1 });
      assert.equal(again.services.live.version, 0);
    } finally {
      await again.close();
    }
  });

  test('a later batch without the block meter falls back to the device sum', async () => {
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: smallBatch(h.site, { seq: 2, minerPowerW: 2500 }), as: 'agent' });
    assert.equal(res.statusCode, 200);
    const view = (await h.call({ url: '/api/site' })).json() as SiteView;
    // The B1 meter reading from seq 1 is still fresh, so it still wins.
    assert.equal(block(view, 'B1').powerSource, 'meter');
    const b2 = block(view, 'B2');
    assert.equal(b2.powerSource, 'devices');
    assert.equal(b2.powerW, 4 * 2500);
  });

  test('a batch for another site is refused with 409', async () => {
    const batch = { ...smallBatch(h.site, { seq: 3 }), siteId: 'elsewhere' };
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: batch, as: 'agent' });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'E_SITE_MISMATCH');
  });

  test('an oversize body is refused with 413', async () => {
    const batch = smallBatch(h.site, { seq: 4 });
    const big = { ...batch, readings: Array.from({ length: 2000 }, () => batch.readings[0]!) };
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: big, as: 'agent' });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'E_PAYLOAD_TOO_LARGE');
  });

  test('/api/health names the parts and the agent', async () => {
    const res = await h.call({ url: '/api/health' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'ok');
    assert.equal(body.store.kind, 'sqlite');
    assert.equal(body.history.kind, 'sqlite');
    assert.equal(body.queue.kind, 'memory');
    assert.equal(body.agents[0].agentId, 'agent-test');
  });

  test('unknown query keys are rejected', async () => {
    const res = await h.call({ url: '/api/site?verbose=1' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.issues[0].path, 'querystring/verbose');
  });
});
