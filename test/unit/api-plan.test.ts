import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { harness, type Harness } from '../support/api-harness.ts';

/** The plan routes over the real planner (HiGHS in its worker) on the demo site's dispatch settings. */

const NOW = Date.UTC(2026, 10, 30, 6, 2); // plans start at the 5-minute boundary, 06:00Z
const DEMO = 'infra/sites/demo.yaml';

describe('plan API', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ planner: { sitePath: DEMO, now: () => NOW } });
  });
  after(() => h.close());

  it('serves no plan before one is computed, then the plan the queue job made', async () => {
    const empty = await h.call({ method: 'GET', url: '/api/plan' });
    assert.equal(empty.statusCode, 200);
    assert.equal(empty.json().plan, null);
    await h.planner!.recompute('schedule');
    const res = await h.call({ method: 'GET', url: '/api/plan' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.error, null);
    assert.equal(body.trigger, 'schedule');
    assert.equal(body.plan.status, 'optimal');
    assert.equal(body.plan.horizon.startMs, Date.UTC(2026, 10, 30, 6, 0));
    assert.equal(body.plan.horizon.intervals, 288); // 24 h of 5-minute intervals
    assert.equal(body.plan.horizon.profileIntervals, 288);
    assert.deepEqual(body.plan.excluded.map((e: { blockId: string }) => e.blockId), ['B6']);
    assert.ok(body.plan.totals.marginUsd >= body.plan.baseline.marginUsd - 1e-6);
    const b7 = body.plan.blocks.find((b: { id: string }) => b.id === 'B7');
    assert.equal(b7.kind, 'ai');
    const stored = h.db.prepare('SELECT trigger, status FROM plans').all();
    assert.deepEqual(stored, [{ trigger: 'schedule', status: 'optimal' }]);
  });

  it('explains a block at a time, and names what is wrong with a bad question', async () => {
    const res = await h.call({ method: 'GET', url: '/api/plan/explain?block=B3&at=2026-12-01T00:05:00Z' });
    assert.equal(res.statusCode, 200);
    const e = res.json();
    assert.equal(e.blockId, 'B3');
    assert.equal(e.startMs, Date.UTC(2026, 11, 1, 0, 5));
    assert.equal(e.priceUsdPerMwh, 140); // 18:00 Central in the demo's hour-of-day profile
    assert.match(e.text, /^B3 at 2026-12-01T00:05Z is /);
    assert.equal(e.options.length, 2);
    const missing = await h.call({ method: 'GET', url: '/api/plan/explain?block=B99&at=2026-12-01T00:05:00Z' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().error.message, /no block "B99"/);
    const outside = await h.call({ method: 'GET', url: '/api/plan/explain?block=B3&at=2027-01-01T00:00:00Z' });
    assert.equal(outside.statusCode, 404);
    assert.match(outside.json().error.message, /outside the plan/);
  });

  it('previews a what-if for operators and finance, never for viewers', async () => {
    const body = { hashpriceUsdPerPhDay: 20, horizonHours: 6 };
    assert.equal((await h.call({ method: 'POST', url: '/api/plan/preview', payload: body })).statusCode, 401);
    assert.equal((await h.call({ method: 'POST', url: '/api/plan/preview', payload: body, as: 'viewer' })).statusCode, 403);
    const res = await h.call({ method: 'POST', url: '/api/plan/preview', payload: body, as: 'finance' });
    assert.equal(res.statusCode, 200);
    const plan = res.json();
    assert.equal(plan.horizon.intervals, 72);
    assert.ok(plan.intervals.every((iv: { hashpriceUsdPerPhDay: number }) => iv.hashpriceUsdPerPhDay === 20));
    // The latest plan is untouched by a preview.
    assert.equal((await h.call({ method: 'GET', url: '/api/plan' })).json().plan.horizon.intervals, 288);
  });

  it('rejects unknown keys and says which constraint makes a what-if impossible', async () => {
    const unknown = await h.call({ method: 'POST', url: '/api/plan/preview', payload: { hashprice: 20 }, as: 'operator' });
    assert.equal(unknown.statusCode, 400);
    assert.match(JSON.stringify(unknown.json().error.issues), /unknown key \\"hashprice\\"/);
    const tooSmall = await h.call({ method: 'POST', url: '/api/plan/preview', payload: { importLimitMw: 20, horizonHours: 1 }, as: 'operator' });
    assert.equal(tooSmall.statusCode, 422);
    assert.match(tooSmall.json().error.message, /site import limit 20 MW is below the load the AI contracts' SLAs require/);
  });
});
