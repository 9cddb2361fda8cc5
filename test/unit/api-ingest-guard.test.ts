import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { harness, smallBatch, SMALL_SITE, type Harness } from '../support/api-harness.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import type { AgentBatch, Reading } from '../../services/agent-contract/batch-schema.ts';

/**
 * Issue 10, findings 4–6 on the ingest side: another agent's devices, readings from the
 * future, absurd values, and a huge invalid batch. Each test failed before the fix.
 */

const YEAR_MS = 365 * 86_400_000;

function twoAgentSite() {
  const site = loadSiteFile(SMALL_SITE);
  site.agents = [
    { id: 'agent-a', blocks: ['B1'], meters: ['M-REV'], snmpDevices: [], gpuHosts: [] },
    { id: 'agent-b', blocks: ['B2', 'B3'], meters: [], snmpDevices: [], gpuHosts: [] },
  ];
  return site;
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

describe('ingest: devices belong to agents', () => {
  let h: Harness;
  let a: string;
  let b: string;
  before(async () => {
    h = await harness({ site: twoAgentSite() });
    a = (await h.tokens.create({ name: 'agent-a', role: 'agent' })).secret;
    b = (await h.tokens.create({ name: 'agent-b', role: 'agent' })).secret;
  });
  after(() => h.close());

  test("readings for another agent's devices are refused and counted; the owner's are applied", async () => {
    const all = smallBatch(h.site, { seq: 1, revenueMeterW: 50_000, blockMeterW: { B1: 40_000 } });
    // agent-b claims every device, B1 and the revenue meter included.
    const fromB = { ...all, agentId: 'agent-b' };
    const res = await h.app.inject({ method: 'POST', url: '/api/ingest', headers: bearer(b), payload: fromB });
    assert.equal(res.statusCode, 200, res.body);
    const ack = res.json();
    const b1Devices = all.readings.filter((r) => r.blockId === 'B1' || r.deviceId === 'M-REV' || r.deviceId === 'M-B1').length;
    assert.equal(ack.rejected['not-owner'], b1Devices);
    assert.equal(ack.accepted, all.readings.length - b1Devices);
    assert.equal(h.live.reading('B1-m00001'), undefined, "agent-b's B1 readings were not applied");
    assert.equal(h.live.agentOf('B2-m00001'), 'agent-b');

    const fromA = { ...all, agentId: 'agent-a', seq: 1 };
    const resA = await h.app.inject({ method: 'POST', url: '/api/ingest', headers: bearer(a), payload: fromA });
    assert.equal(resA.json().accepted, b1Devices);
    assert.equal(h.live.agentOf('B1-m00001'), 'agent-a');

    // A reading that names another agent's block is refused too.
    const sneaky: Reading = { deviceId: 'gpu-uuid-1', kind: 'gpu', blockId: 'B1', atMs: Date.now(), status: 'online', metrics: { power_w: 700 } };
    const resS = await h.app.inject({ method: 'POST', url: '/api/ingest', headers: bearer(b), payload: { ...fromB, seq: 2, readings: [sneaky] } });
    assert.equal(resS.json().rejected['not-owner'], 1);

    const health = (await h.call({ method: 'GET', url: '/api/health' })).json();
    // agent-a's copy of the batch carried B2's miners, which are agent-b's.
    assert.equal(health.ingestRejected['not-owner'], b1Devices + 1 + (all.readings.length - b1Devices));
    const rowB = health.agents.find((x: { agentId: string }) => x.agentId === 'agent-b');
    assert.equal(rowB.rejected['not-owner'], b1Devices + 1);
  });
});

describe('ingest: a site without an agents list has one agent', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('the first agent holds every device; a second token cannot take them over', async () => {
    const first = await h.call({ method: 'POST', url: '/api/ingest', payload: smallBatch(h.site, { seq: 1 }), as: 'agent' });
    assert.equal(first.statusCode, 200);
    const intruder = (await h.tokens.create({ name: 'agent-intruder', role: 'agent' })).secret;
    const res = await h.app.inject({ method: 'POST', url: '/api/ingest', headers: bearer(intruder), payload: smallBatch(h.site, { seq: 1, agentId: 'agent-intruder', sleeping: ['B1-m00001'] }) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().accepted, 0);
    assert.equal(res.json().rejected['not-owner'], h.site.blocks.reduce((n, b) => n + b.miners.reduce((m, g) => m + g.count, 0), 0));
    assert.equal(h.live.agentOf('B1-m00001'), 'agent-test');
    assert.equal(h.live.reading('B1-m00001')?.labels?.mode, 'mining');
  });
});

describe('ingest: time and values are bounded', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ clockSkewMs: 60_000 });
  });
  after(() => h.close());

  test('a revenue meter reading dated a year ahead is refused; newer real readings still count', async () => {
    const now = Date.now();
    const future = smallBatch(h.site, { seq: 1, atMs: now + YEAR_MS, revenueMeterW: 0 });
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: future, as: 'agent' });
    assert.equal(res.json().rejected.future, future.readings.length);
    const real = smallBatch(h.site, { seq: 2, atMs: now, revenueMeterW: 150_000 });
    await h.call({ method: 'POST', url: '/api/ingest', payload: real, as: 'agent' });
    const site = (await h.call({ method: 'GET', url: '/api/site' })).json();
    assert.equal(site.totals.powerW, 150_000);
    assert.equal(site.totals.powerSource, 'meter');
    // Within the allowance is fine (agents' clocks drift a little).
    const slightlyAhead = smallBatch(h.site, { seq: 3, atMs: now + 30_000, revenueMeterW: 140_000 });
    assert.equal((await h.call({ method: 'POST', url: '/api/ingest', payload: slightlyAhead, as: 'agent' })).json().rejected, undefined);
  });

  test('a value of 1e308 is refused, so /api/site never sums to Infinity', async () => {
    const batch = smallBatch(h.site, { seq: 10, minerPowerW: 1e308 });
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: batch, as: 'agent' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().rejected['out-of-bounds'], batch.readings.filter((r) => r.kind === 'miner').length);
    const site = await h.call({ method: 'GET', url: '/api/site' });
    assert.equal(site.statusCode, 200);
    assert.ok(Number.isFinite(site.json().totals.powerW));
  });

  test('health is degraded while an agent has no fresh data', async () => {
    const stale = smallBatch(h.site, { seq: 20, atMs: Date.now() - 10 * 60_000 });
    const local = await harness();
    try {
      await local.call({ method: 'POST', url: '/api/ingest', payload: stale, as: 'agent' });
      const health = (await local.call({ method: 'GET', url: '/api/health' })).json();
      assert.equal(health.status, 'degraded');
      assert.equal(health.agents[0].stale, true);
      await local.call({ method: 'POST', url: '/api/ingest', payload: smallBatch(local.site, { seq: 21 }), as: 'agent' });
      const ok = (await local.call({ method: 'GET', url: '/api/health' })).json();
      assert.equal(ok.agents[0].stale, false);
      assert.equal(ok.status, 'ok');
    } finally {
      await local.close();
    }
  });
});

describe('ingest: one request cannot freeze the control plane', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('a 28 MB batch of 200k invalid readings gets a small 400 naming the first problems', async () => {
    const now = Date.now();
    const bad = { deviceId: 'x', kind: 'toaster', atMs: now, status: 'online', metrics: { power_w: 'lots' }, labels: { note: 'a'.repeat(10) } };
    const batch = { agentId: 'agent-test', siteId: h.site.site.id, seq: 1, sentAtMs: now, readings: Array.from({ length: 200_000 }, (_, i) => ({ ...bad, deviceId: `dev-${i}` })) };
    const payload = JSON.stringify(batch);
    assert.ok(payload.length > 28e6, `payload ${payload.length} bytes`);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    await sleep(30);
    const t0 = performance.now();
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload, headers: { 'content-type': 'application/json' }, as: 'agent' });
    const ms = performance.now() - t0;
    await sleep(30);
    loop.disable();
    assert.equal(res.statusCode, 400);
    assert.ok(res.body.length < 20_000, `error body ${res.body.length} bytes`);
    assert.ok(res.json().error.issues.length <= 40);
    console.log(`# 28 MB invalid batch: ${Math.round(ms)} ms, response ${res.body.length} bytes, max loop delay ${Math.round(loop.max / 1e6)} ms`);
  });

  test('a large valid batch is checked in chunks and applied whole', async () => {
    const now = Date.now();
    const readings: Reading[] = [];
    for (let i = 0; i < 9000; i++) readings.push({ deviceId: `B1-x${i}`, kind: 'miner', blockId: 'B1', atMs: now, status: 'online', metrics: { power_w: 3000 } });
    const batch: AgentBatch = { agentId: 'agent-test', siteId: h.site.site.id, seq: 2, sentAtMs: now, readings };
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: batch, as: 'agent' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().accepted, 9000);
  });
});
