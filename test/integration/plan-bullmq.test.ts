import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BullQueue, obliterateBullQueue } from '../../services/queue/bullmq.ts';
import type { PlanJob } from '../../services/scheduler/plan-service.ts';
import { harness, type Harness } from '../support/api-harness.ts';
import { requireServiceEnv } from '../support/service-env.ts';
import { until } from '../support/until.ts';

/** The plan is recomputed by a repeatable job on BullMQ (real Redis), as in production. */

const redisUrl = requireServiceEnv('SWITCHYARD_TEST_REDIS_URL');
if (redisUrl) {
  describe(`plan schedule on BullMQ at ${redisUrl}`, () => {
    const name = `test-plans-${randomUUID()}`;
    let h: Harness;
    let queue: BullQueue<PlanJob>;
    before(async () => {
      queue = new BullQueue<PlanJob>(name, redisUrl);
      h = await harness({ planner: { sitePath: 'infra/sites/demo.yaml', queue, now: () => Date.UTC(2026, 10, 30, 6, 0) } });
    });
    after(async () => {
      await h.close();
      await queue.close();
      await obliterateBullQueue(redisUrl, name);
    });

    it('the schedule runs a plan job at once and the API serves its plan', async () => {
      await h.planner!.start();
      await until('the first scheduled plan', () => h.planner!.latest().plan !== null, 60_000, 100);
      const res = await h.call({ method: 'GET', url: '/api/plan' });
      const body = res.json();
      assert.equal(body.error, null);
      assert.equal(body.trigger, 'schedule');
      assert.equal(body.plan.status, 'optimal');
      const counts = await queue.counts();
      assert.ok(counts.completed >= 1, `completed plan jobs: ${JSON.stringify(counts)}`);
      assert.equal(counts.delayed, 1, 'the next scheduled plan is waiting');
    });
  });
}
