// /api/simulations over the real SQLite store and the in-process queue, on the demo company.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadCompanyFile } from '../../services/finance/load-company.ts';
import { createQueue } from '../../services/queue/index.ts';
import { SimulationService, type SimulationJob } from '../../simulations/finance/service.ts';
import { harness, type Harness } from '../support/api-harness.ts';
import { until } from '../support/until.ts';

const company = loadCompanyFile('infra/sites/demo-company.yaml');
const NOW = Date.UTC(2026, 11, 5);

describe('simulations API', () => {
  let h: Harness;
  let service: SimulationService;
  before(async () => {
    h = await harness({
      simulations: (db) => {
        service = new SimulationService({ db, company, queue: createQueue<SimulationJob>('simulations', { env: {} }), workers: 0, maxPaths: 5_000, now: () => NOW });
        service.start();
        return service;
      },
    });
  });
  after(async () => {
    await service.stop();
    await h.close();
  });
  const count = () => (h.db.prepare('SELECT COUNT(*) AS n FROM simulations').get() as { n: number }).n;

  it('finance and admin start runs; viewers and operators may not', async () => {
    const payload = { scenario: { name: 'x' }, paths: 64 };
    assert.equal((await h.call({ method: 'POST', url: '/api/simulations', payload })).statusCode, 401);
    assert.equal((await h.call({ method: 'POST', url: '/api/simulations', payload, as: 'viewer' })).statusCode, 403);
    assert.equal((await h.call({ method: 'POST', url: '/api/simulations', payload, as: 'operator' })).statusCode, 403);
    assert.equal((await h.call({ method: 'GET', url: '/api/simulations', as: 'viewer' })).statusCode, 403);
  });

  it('a bad scenario is a 400 naming the key, and nothing is saved', async () => {
    const before = count();
    const bad = await h.call({ method: 'POST', url: '/api/simulations', as: 'finance', payload: { scenario: { name: 'b', btc: { volatilityPctPerYear: -1, vol: 2 } }, paths: 64 } });
    assert.equal(bad.statusCode, 400);
    const issues = bad.json().error.issues as { path: string; message: string }[];
    assert.deepEqual(issues.map((i) => i.path).sort(), ['btc.vol', 'btc.volatilityPctPerYear']);
    const tenant = await h.call({ method: 'POST', url: '/api/simulations', as: 'finance', payload: { scenario: { name: 't', tenants: [{ contractId: 'nobody' }] }, paths: 64 } });
    assert.equal(tenant.statusCode, 400);
    assert.equal(tenant.json().error.issues[0].path, 'tenants[0].contractId');
    assert.equal(count(), before);
  });

  it('too many paths for the machine: 422 with the limit', async () => {
    const res = await h.call({ method: 'POST', url: '/api/simulations', as: 'admin', payload: { scenario: { name: 'big' }, paths: 5_001 } });
    assert.equal(res.statusCode, 422);
    assert.match(res.json().error.message, /the limit is 5000/);
    // 240 months: 6,000,000 path-months / 240 = 25,000 paths, under the service's 5,000: still 5,000; a bigger
    // service limit is cut by the horizon.
    const wide = new SimulationService({ db: h.db, company, queue: createQueue<SimulationJob>('unused', { env: {} }), workers: 0, maxPaths: 100_000, now: () => NOW });
    await assert.rejects(wide.submit({ scenario: { name: 'long', horizonMonths: 240 }, paths: 25_001 }), /the limit is 25000/);
  });

  it('runs as a job: queued, then done with its result; listed; exported as CSV and JSON; same seed, same result', async () => {
    const scenario = { name: 'api base', btc: { volatilityPctPerYear: 50 }, horizonMonths: 24, decisions: [{ blockId: 'B1' }] };
    const a = await h.call({ method: 'POST', url: '/api/simulations', as: 'finance', payload: { scenario, paths: 256, seed: 7 } });
    assert.equal(a.statusCode, 202, a.body);
    const id = a.json().id as string;
    await until(`run done`, async () => (await h.call({ method: 'GET', url: `/api/simulations/${id}`, as: 'finance' })).json().status === 'done', 60_000);
    const got = (await h.call({ method: 'GET', url: `/api/simulations/${id}`, as: 'finance' })).json();
    assert.equal(got.progress, 1);
    assert.equal(got.result.paths, 256);
    assert.equal(got.result.months.length, 24);
    assert.equal(got.result.btcLoans[0].instrumentId, 'BTC-LOAN-1');
    const list = (await h.call({ method: 'GET', url: '/api/simulations', as: 'finance' })).json();
    assert.ok(list.simulations.some((s: { id: string; name: string }) => s.id === id && s.name === 'api base'));
    const csv = await h.call({ method: 'GET', url: `/api/simulations/${id}?format=csv`, as: 'finance' });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.match(csv.body, /^section,name,month,statistic,value\n/);
    assert.match(csv.body, /\nbtcLoan,BTC-LOAN-1,,marginCallProbability,/);
    const json = await h.call({ method: 'GET', url: `/api/simulations/${id}?format=json`, as: 'finance' });
    assert.match(json.headers['content-disposition'] as string, /attachment/);
    const b = await h.call({ method: 'POST', url: '/api/simulations', as: 'admin', payload: { scenario, paths: 256, seed: 7 } });
    const id2 = b.json().id as string;
    await until(`run done`, async () => (await h.call({ method: 'GET', url: `/api/simulations/${id2}`, as: 'finance' })).json().status === 'done', 60_000);
    const got2 = (await h.call({ method: 'GET', url: `/api/simulations/${id2}`, as: 'finance' })).json();
    assert.deepEqual(got2.result, got.result);
  });

  it('DELETE cancels a run: it stops and says cancelled; a finished run cannot be cancelled', async () => {
    const a = await h.call({ method: 'POST', url: '/api/simulations', as: 'finance', payload: { scenario: { name: 'long', btc: { volatilityPctPerYear: 50 } }, paths: 5_000, seed: 1 } });
    const id = a.json().id as string;
    const del = await h.call({ method: 'DELETE', url: `/api/simulations/${id}`, as: 'finance' });
    assert.equal(del.statusCode, 202);
    await until(`run cancelled`, async () => (await h.call({ method: 'GET', url: `/api/simulations/${id}`, as: 'finance' })).json().status === 'cancelled', 60_000);
    const again = await h.call({ method: 'DELETE', url: `/api/simulations/${id}`, as: 'finance' });
    assert.equal(again.statusCode, 422);
    const missing = await h.call({ method: 'GET', url: '/api/simulations/nope', as: 'finance' });
    assert.equal(missing.statusCode, 404);
  });

  it('defaults for the form: contracts, mining blocks, a filled default scenario', async () => {
    const d = (await h.call({ method: 'GET', url: '/api/simulations/defaults', as: 'finance' })).json();
    assert.deepEqual(d.contracts.map((c: { id: string }) => c.id), ['colo-1', 'cloud-1']);
    assert.ok(d.miningBlocks.some((b: { id: string }) => b.id === 'B1'));
    assert.equal(d.scenario.btc.model, 'gbm');
  });
});
