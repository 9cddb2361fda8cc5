import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadCompanyFile } from '../../services/finance/load-company.ts';
import { BullQueue, obliterateBullQueue } from '../../services/queue/bullmq.ts';
import { SimulationService, type SimulationJob } from '../../simulations/finance/service.ts';
import { harness, type Harness } from '../support/api-harness.ts';
import { requireServiceEnv } from '../support/service-env.ts';
import { until } from '../support/until.ts';

/**
 * Simulations on BullMQ (real Redis), as in production: the API's service only queues; a
 * second service object with its own queue connection (standing in for another control-plane
 * instance) runs the job. Progress and cancel travel through the shared records store.
 */

const redisUrl = requireServiceEnv('SWITCHYARD_TEST_REDIS_URL');
if (redisUrl) {
  describe(`simulations on BullMQ at ${redisUrl}`, () => {
    const name = `test-simulations-${randomUUID()}`;
    const company = loadCompanyFile('infra/sites/demo-company.yaml');
    let h: Harness;
    let worker: SimulationService;
    let apiQueue: BullQueue<SimulationJob>;
    let workerQueue: BullQueue<SimulationJob>;
    before(async () => {
      apiQueue = new BullQueue<SimulationJob>(name, redisUrl);
      workerQueue = new BullQueue<SimulationJob>(name, redisUrl);
      h = await harness({ simulations: (db) => new SimulationService({ db, company, queue: apiQueue, workers: 0, now: () => Date.UTC(2026, 11, 5) }) });
      worker = new SimulationService({ db: h.db, company, queue: workerQueue, workers: 0, now: () => Date.UTC(2026, 11, 5) });
      await worker.start();
    });
    after(async () => {
      await worker.stop();
      await apiQueue.close();
      await h.close();
      await obliterateBullQueue(redisUrl, name);
    });

    it('a run queued through the API is run by the other instance; a DELETE there stops a long one', async () => {
      const a = await h.call({ method: 'POST', url: '/api/simulations', as: 'finance', payload: { scenario: { name: 'redis', btc: { volatilityPctPerYear: 50 }, horizonMonths: 12 }, paths: 128, seed: 3 } });
      assert.equal(a.statusCode, 202, a.body);
      const id = a.json().id as string;
      await until('the run done', async () => (await h.call({ method: 'GET', url: `/api/simulations/${id}`, as: 'finance' })).json().status === 'done', 60_000, 100);
      assert.equal((await h.call({ method: 'GET', url: `/api/simulations/${id}`, as: 'finance' })).json().result.paths, 128);

      const long = await h.call({ method: 'POST', url: '/api/simulations', as: 'finance', payload: { scenario: { name: 'long', btc: { volatilityPctPerYear: 50 } }, paths: 20_000, seed: 1 } });
      const lid = long.json().id as string;
      await until('the long run started', async () => (await h.call({ method: 'GET', url: `/api/simulations/${lid}`, as: 'finance' })).json().donePaths > 0, 60_000, 50);
      assert.equal((await h.call({ method: 'DELETE', url: `/api/simulations/${lid}`, as: 'finance' })).statusCode, 202);
      await until('the long run cancelled', async () => (await h.call({ method: 'GET', url: `/api/simulations/${lid}`, as: 'finance' })).json().status === 'cancelled', 60_000, 100);
      const rec = (await h.call({ method: 'GET', url: `/api/simulations/${lid}`, as: 'finance' })).json();
      assert.ok(rec.donePaths < 20_000, `stopped at ${rec.donePaths}`);
    });
  });
}
