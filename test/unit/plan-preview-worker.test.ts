import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { niceOfStat, threadNice } from '../../services/lib/thread-priority.ts';
import { InfeasiblePlanError } from '../../services/scheduler/dispatch/infeasibility.ts';
import { computePlan, planPrices, type PlanComputeRequest } from '../../services/scheduler/plan-compute.ts';
import type { PlanReport } from '../../services/scheduler/plan-report.ts';
import { PreviewRunner } from '../../services/scheduler/preview/preview-runner.ts';

/**
 * Plan previews run whole (model, solve, report) on their own worker thread at background
 * priority: the answer is the main thread's to the cent, and only the worker threads are
 * reniced (Linux), never the event loop's.
 */

const site = loadSiteFile('infra/sites/demo.yaml');
const NOW = Date.UTC(2026, 10, 30, 6, 2);
const request = (overrides: PlanComputeRequest['overrides']): PlanComputeRequest => ({ site, prices: [], hashprice: 45, overrides, nowMs: NOW, initialLoadMw: null, timeLimitS: 30 });
/** Wall time is the only thing allowed to differ between two computations of one plan. */
const timeless = (r: PlanReport) => ({ ...r, solveMs: 0 });

const tasksByNice = () => {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const nice = niceOfStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'));
    out.set(nice, (out.get(nice) ?? 0) + 1);
  }
  return out;
};

test('a preview on the worker is the main thread plan, and only the preview threads are reniced', async () => {
  const mainNice = threadNice();
  const runner = new PreviewRunner();
  try {
    const what = { hashpriceUsdPerPhDay: 60, horizonHours: 12, priceScale: 1.5, prices: [{ startMs: NOW + 3_600_000, priceUsdPerMwh: 900 }] };
    const onWorker = await runner.run(request(what));
    const nicedAfterPreview = tasksByNice().get(10) ?? 0;
    const inline = (await computePlan(request(what))).report;
    assert.equal(onWorker.horizon.intervals, 144);
    assert.equal(onWorker.intervals[12]!.priceUsdPerMwh, 900);
    assert.deepEqual(timeless(onWorker), timeless(inline));

    if (process.platform === 'linux') {
      assert.equal(threadNice(), mainNice, 'the event loop thread keeps its priority');
      assert.equal(niceOfStat(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')), mainNice);
      // The preview thread and its HiGHS thread; the scheduled plan's solver (the inline plan
      // here) keeps the process's priority, so the plan job is not starved on a busy machine.
      const niced = tasksByNice().get(10) ?? 0;
      assert.ok(mainNice === 10 || nicedAfterPreview >= 2, `threads at nice 10 after the preview: ${nicedAfterPreview}`);
      assert.ok(mainNice === 10 || niced === nicedAfterPreview, `the plan's solver thread was reniced: ${niced} at nice 10 (${JSON.stringify([...tasksByNice()])})`);
    }
  } finally {
    await runner.close();
  }
});

test('a preview that cannot be planned fails on the worker with the error the API maps to 422', async () => {
  const runner = new PreviewRunner();
  try {
    await assert.rejects(runner.run(request({ importLimitMw: 20, horizonHours: 1 })), (err: unknown) => err instanceof InfeasiblePlanError && /site import limit 20 MW is below the load/.test(err.message));
    // The worker lives on after a failed preview.
    assert.equal((await runner.run(request({ horizonHours: 2 }))).horizon.intervals, 24);
  } finally {
    await runner.close();
  }
});

test('a plan reads only the prices over its horizon', () => {
  const hour = 3_600_000;
  const prices = Array.from({ length: 24 * 30 }, (_, i) => ({ startMs: Date.UTC(2026, 10, 20) + i * hour, minutes: 60, priceUsdPerMwh: i }));
  const slice = planPrices(prices, site, { horizonHours: 12 }, NOW);
  // From the hour holding the plan start (06:00) to the first hour at or past its end.
  assert.equal(slice[0]!.startMs, Date.UTC(2026, 10, 30, 6));
  assert.equal(slice.at(-1)!.startMs, Date.UTC(2026, 10, 30, 18));
  assert.deepEqual(planPrices(prices, site, { startMs: Date.UTC(2026, 10, 20, 0, 30), horizonHours: 1 }, NOW), prices.slice(0, 2));
});
