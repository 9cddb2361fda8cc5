import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { curtailPlatform, until, type CurtailPlatform } from '../support/curtail-platform.ts';
import { family, parsePrometheus, sample, total } from '../support/prometheus.ts';
import type { Agent } from '../../agents/agent.ts';

/**
 * /metrics on the whole platform (twin, agent, engine in this process): after a real
 * curtailment event and a real plan, the control plane's text parses and carries every series
 * the operations team scrapes, and the agent serves its own.
 */
describe('Prometheus metrics on the running platform', { timeout: 300_000 }, () => {
  let c: CurtailPlatform;
  before(async () => {
    c = await curtailPlatform({ agent: { failSafeGraceMs: 1000, metricsPort: 0 } });
  });
  after(() => c?.close());

  // The curtailment test site has no hashprice, so its plan jobs end in an error state: the
  // solver time itself is tested in test/unit/metrics-api.test.ts on the demo site.
  it('the control plane reports ingest, agent lag, queues, plan jobs and curtailment stages', async () => {
    const res = await c.api('POST', '/api/curtailment/events', { shedMw: 1, durationMs: 8_000, reason: 'test: metrics' });
    assert.equal(res.statusCode, 202, res.body);
    const { eventId } = res.json() as { eventId: string };
    await c.until(eventId, ['done'], 120_000);
    await until('a plan computed', () => (c.p.app.services.planner?.latest().computedAtMs ? true : undefined), 120_000);

    const scraped = await fetch(`${c.p.listening.url}/metrics`);
    assert.equal(scraped.status, 200);
    const text = await scraped.text();
    const m = parsePrometheus(text);
    assert.ok(total(family(m, 'switchyard_ingest_readings_total')) >= 2000, 'every miner ingested at least once');
    family(m, 'switchyard_ingest_readings_rejected_total');
    assert.ok(total(family(m, 'switchyard_agent_last_batch_age_seconds'), { agent: c.p.agentId }) < 60);
    assert.equal(family(m, 'switchyard_ingest_lag_seconds').type, 'HISTOGRAM');
    assert.ok(family(m, 'switchyard_queue_jobs').metrics.some((s) => s.labels?.queue === 'plans'));
    assert.ok((sample(text, 'switchyard_queue_job_duration_seconds_count', { queue: 'curtailment', outcome: 'completed' }) ?? 0) >= 1);
    assert.ok((sample(text, 'switchyard_queue_job_duration_seconds_count', { queue: 'plans', outcome: 'completed' }) ?? 0) >= 1);
    assert.equal(family(m, 'switchyard_plan_solve_seconds').type, 'HISTOGRAM');
    for (const stage of ['plan', 'first_command', 'commands', 'restore']) {
      assert.equal(sample(text, 'switchyard_curtailment_stage_seconds_count', { stage }), 1, `stage ${stage} observed once`);
    }
    assert.ok((sample(text, 'switchyard_http_request_duration_seconds_count', { method: 'POST', route: '/api/ingest', status: '200' }) ?? 0) >= 1);
  });

  it('the agent serves its spool, queue and lag on its own /metrics', async () => {
    const url = (c.p.agent as Agent).metricsUrl;
    assert.ok(url?.startsWith('http://127.0.0.1:'), `agent metrics on loopback: ${url}`);
    const res = await fetch(url!);
    assert.equal(res.status, 200);
    const m = parsePrometheus(await res.text());
    for (const name of ['switchyard_agent_spool_batches', 'switchyard_agent_queued_readings', 'switchyard_agent_ack_age_seconds', 'switchyard_agent_batches_sent_total', 'switchyard_agent_devices']) {
      assert.equal(family(m, name).metrics[0]?.labels?.agent, c.p.agentId, `${name} labelled with the agent`);
    }
    assert.ok(total(family(m, 'switchyard_agent_batches_sent_total')) >= 1);
    assert.ok(total(family(m, 'switchyard_agent_ack_age_seconds')) < 30);
    assert.equal((await fetch(url!.replace('/metrics', '/other'))).status, 404);
  });
});
