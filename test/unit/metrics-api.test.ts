import { SqlitePlanRecords } from '../../services/scheduler/plan-records.ts';
import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { harness, smallBatch, type Harness } from '../support/api-harness.ts';
import { family, parsePrometheus, sample, total } from '../support/prometheus.ts';
import { ControlPlaneMetrics } from '../../services/metrics/control-plane.ts';
import { createQueue } from '../../services/queue/index.ts';
import type { EventRecord } from '../../services/curtailment/event-record.ts';
import { PlanService, type PlanJob } from '../../services/scheduler/plan-service.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { openStore } from '../../services/store/sqlite.ts';
import { logger } from '../../services/lib/log.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function scrape(h: Harness) {
  const res = await h.call({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  return { m: parsePrometheus(res.body), text: res.body };
}

describe('GET /metrics on the control plane', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it('counts ingested readings, rejected ones by reason, agent lag and latency by route', async () => {
    const batch = smallBatch(h.site, { seq: 1, atMs: Date.now() - 2000 });
    const ok = await h.call({ method: 'POST', url: '/api/ingest', as: 'agent', payload: batch });
    assert.equal(ok.statusCode, 200, ok.body);
    // The same batch again: a duplicate, not counted as readings.
    await h.call({ method: 'POST', url: '/api/ingest', as: 'agent', payload: batch });
    // Another site's batch: refused whole, its readings counted under the error code.
    const other = { ...smallBatch(h.site, { seq: 2 }), siteId: 'elsewhere' };
    const refused = await h.call({ method: 'POST', url: '/api/ingest', as: 'agent', payload: other });
    assert.equal(refused.statusCode, 409);
    // A reading older than the one already applied for its device is not applied.
    const old = smallBatch(h.site, { seq: 3, atMs: Date.now() - 60_000 });
    const stale = await h.call({ method: 'POST', url: '/api/ingest', as: 'agent', payload: old });
    assert.equal(stale.statusCode, 200, stale.body);
    // Readings dated an hour ahead: the batch is taken, those readings refused by the ingest
    // screen and counted under its reason.
    const ahead = smallBatch(h.site, { seq: 4, atMs: Date.now() + 3_600_000 });
    const screened = await h.call({ method: 'POST', url: '/api/ingest', as: 'agent', payload: ahead });
    assert.equal(screened.statusCode, 200, screened.body);
    await h.call({ method: 'GET', url: '/api/site' });
    await h.call({ method: 'GET', url: '/api/nothing-here' });

    const { m, text } = await scrape(h);
    const n = batch.readings.length;
    assert.equal(total(family(m, 'switchyard_ingest_readings_total')), n);
    assert.equal(total(family(m, 'switchyard_ingest_batches_total'), { outcome: 'applied' }), 3);
    assert.equal(total(family(m, 'switchyard_ingest_batches_total'), { outcome: 'duplicate' }), 1);
    assert.equal(total(family(m, 'switchyard_ingest_batches_total'), { outcome: 'rejected' }), 1);
    const rejected = family(m, 'switchyard_ingest_readings_rejected_total');
    assert.equal(total(rejected, { reason: 'E_SITE_MISMATCH' }), other.readings.length);
    assert.equal(total(rejected, { reason: 'older_than_latest' }), old.readings.length);
    assert.equal(total(rejected, { reason: 'future' }), ahead.readings.length);
    const lag = family(m, 'switchyard_ingest_lag_seconds');
    assert.equal(lag.type, 'HISTOGRAM');
    assert.equal(Number(lag.metrics[0]!.count), 1, 'one applied batch with new readings');
    assert.ok(Number(lag.metrics[0]!.sum) >= 2, `lag ${lag.metrics[0]!.sum}s: the batch was 2 s old`);
    assert.equal(family(m, 'switchyard_http_request_duration_seconds').type, 'HISTOGRAM');
    const age = family(m, 'switchyard_agent_last_batch_age_seconds');
    assert.equal(age.metrics[0]?.labels?.agent, 'agent-test');
    const count = (method: string, route: string, status: string) => sample(text, 'switchyard_http_request_duration_seconds_count', { method, route, status });
    assert.equal(count('POST', '/api/ingest', '200'), 4);
    assert.equal(count('POST', '/api/ingest', '409'), 1);
    assert.equal(count('GET', '/api/site', '200'), 1);
    assert.equal(count('GET', 'unmatched', '404'), 1);
  });
});

describe('GET /metrics with SWITCHYARD_READ_REQUIRES_TOKEN=1', () => {
  it('needs a person\'s token like the other reads: 401 without, 403 for an agent, 200 for a viewer', async () => {
    const h = await harness({ readRequiresToken: true });
    try {
      assert.equal((await h.call({ method: 'GET', url: '/metrics' })).statusCode, 401);
      assert.equal((await h.call({ method: 'GET', url: '/metrics', as: 'agent' })).statusCode, 403);
      const ok = await h.call({ method: 'GET', url: '/metrics', as: 'viewer' });
      assert.equal(ok.statusCode, 200);
      family(parsePrometheus(ok.body), 'switchyard_ingest_readings_total');
    } finally {
      await h.close();
    }
  });
});

describe('ControlPlaneMetrics', () => {
  const log = logger('test');
  it('times queue jobs by name and outcome and reports queue depth', async () => {
    const metrics = new ControlPlaneMetrics();
    const q = metrics.instrument(createQueue<{ kind: string }>('curtailment', { env: {} }));
    let done = 0;
    const finished = new Promise<void>((resolve) => {
      q.on('completed', () => ++done === 2 && resolve());
      q.on('failed', () => ++done === 2 && resolve());
    });
    q.process(async (job) => {
      if (job.data.kind === 'send') throw new Error('test: fails');
      return 'ok';
    });
    await q.add('step', { kind: 'start' });
    await q.add('step', { kind: 'send' });
    await finished;
    const text = await metrics.text();
    const m = parsePrometheus(text);
    assert.equal(family(m, 'switchyard_queue_job_duration_seconds').type, 'HISTOGRAM');
    const jobs = (labels: Record<string, string>) => sample(text, 'switchyard_queue_job_duration_seconds_count', { queue: 'curtailment', ...labels });
    assert.equal(jobs({ job: 'step:start', outcome: 'completed' }), 1);
    assert.equal(jobs({ job: 'step:send', outcome: 'failed' }), 1);
    const depth = family(m, 'switchyard_queue_jobs');
    assert.equal(total(depth, { queue: 'curtailment', state: 'waiting' }), 0);
    assert.deepEqual(new Set(depth.metrics.map((s) => s.labels?.state)), new Set(['waiting', 'delayed', 'active', 'completed', 'failed']));
    await q.close();
  });

  it('records the plan solver time of each plan job the queue runs', async () => {
    const DEMO = 'infra/sites/demo.yaml';
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-metrics-'));
    const store = openStore({ dataDir });
    const metrics = new ControlPlaneMetrics();
    const queue = metrics.instrument(createQueue<PlanJob>('plans', { env: {} }));
    const planner = new PlanService({ site: loadSiteFile(DEMO), sitePath: DEMO, plans: new SqlitePlanRecords(store.db), queue, log: logger('scheduler'), watchFiles: false, now: () => Date.UTC(2026, 10, 30, 6, 2) });
    metrics.watchPlanner(queue, () => planner.latest());
    const solved = new Promise<void>((resolve) => queue.on('completed', () => resolve()));
    try {
      await planner.start();
      await solved;
      const state = planner.latest();
      assert.equal(state.error, null);
      const text = await metrics.text();
      assert.equal(sample(text, 'switchyard_plan_solve_seconds_count', { status: state.plan!.status }), 1);
      assert.equal(sample(text, 'switchyard_plan_solve_seconds_sum', { status: state.plan!.status }), state.plan!.solveMs / 1000);
      assert.equal(sample(text, 'switchyard_queue_job_duration_seconds_count', { queue: 'plans', job: 'replan', outcome: 'completed' }), 1);
    } finally {
      await planner.stop();
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('observes curtailment stage times from a finished event record, once per event', async () => {
    const metrics = new ControlPlaneMetrics();
    const t = 1_700_000_000_000;
    // signal at t; plan 0.4 s later; commands from 0.5 s to 2.5 s; meter confirms at 12 s; restore 60 → 90 s.
    const rec = {
      id: 'ev1', program: 'manual', status: 'done', target: { shedMw: 2 }, allowAi: false, baselineW: 5e6, baselineWindowMs: 60_000,
      timeline: [
        { kind: 'signal-received', atMs: t }, { kind: 'plan-made', atMs: t + 400 }, { kind: 'first-command', atMs: t + 500 },
        { kind: 'last-command', atMs: t + 2500 }, { kind: 'meter-confirmed', atMs: t + 12_000 },
        { kind: 'restore-start', atMs: t + 60_000 }, { kind: 'restore-end', atMs: t + 90_000 },
      ],
      meterSamples: [], devices: [],
    } as unknown as EventRecord;
    const events: Array<{ id: string; status: EventRecord['status']; updatedAtMs: number }> = [
      { id: 'ev1', status: 'done', updatedAtMs: Date.now() + 1 },
      { id: 'ev0', status: 'done', updatedAtMs: Date.now() - 3_600_000 },
      { id: 'ev2', status: 'shedding', updatedAtMs: Date.now() + 1 },
    ];
    metrics.watchCurtailment({ list: () => events, get: (id) => (id === 'ev1' ? rec : id === 'ev0' ? { ...rec, id } : undefined) }, logger('test'));
    await metrics.text(); // a first scrape observes ev1; a second must not observe it again
    const text = await metrics.text();
    assert.equal(family(parsePrometheus(text), 'switchyard_curtailment_stage_seconds').type, 'HISTOGRAM');
    const sum = (stage: string) => sample(text, 'switchyard_curtailment_stage_seconds_sum', { stage });
    const count = (stage: string) => sample(text, 'switchyard_curtailment_stage_seconds_count', { stage });
    assert.equal(sum('plan'), 0.4);
    assert.equal(sum('first_command'), 0.5);
    assert.equal(sum('commands'), 2);
    assert.equal(sum('meter_confirm'), 12);
    assert.equal(sum('restore'), 30);
    assert.equal(count('restore'), 1, 'observed once, and the event that ended before this process started not at all');
    assert.equal(sample(text, 'switchyard_curtailment_active', { event: 'ev2', status: 'shedding' }), 1);
    assert.equal(sample(text, 'switchyard_curtailment_active', { event: 'ev1' }), undefined, 'a finished event is not active');
  });
});
