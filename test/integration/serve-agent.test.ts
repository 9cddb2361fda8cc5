import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAST_POLL_ENV, killLeft, runCli as run, SMALL_SITE as SITE, startTwinAndAgent, stopAll, type Proc } from '../support/cli-procs.ts';
import { until } from '../support/until.ts';

/**
 * `switchyard serve`, `switchyard twin` and `switchyard agent --config FILE` as three separate
 * processes, as an operator runs them: the control plane starts with no twin and no agent,
 * the agent joins it with the token file serve wrote, readings arrive, and a curtailment
 * event's commands reach the twin (its revenue meter confirms the shed).
 */

describe('switchyard serve + agent --config', () => {
  test('the control plane runs alone; an agent started apart joins it; a curtailment reaches the twin', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-serve-'));
    const dataDir = join(dir, 'data');
    const procs: Proc[] = [];
    try {
      const serve = run(['serve', '--site', SITE, '--port', '0'], { SWITCHYARD_DATA_DIR: dataDir, ...FAST_POLL_ENV });
      procs.push(serve);
      const url = await until('the control plane URL', () => /dashboard at (http:\/\/\S+?)\/?\s/.exec(serve.out())?.[1], 60_000);
      const tokenPath = join(dataDir, 'agent-tokens', 'agent-small-test.token');
      assert.ok(serve.out().includes(tokenPath), 'serve names the token file');
      assert.ok(existsSync(tokenPath));
      // Alone: no twin, no agent child, so no readings.
      assert.doesNotMatch(serve.out(), /site-twin|site-agent/);
      const admin = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
      const api = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const site = async () => (await api('GET', '/api/site')).body as { totals: { powerMw: number | null } };
      assert.equal((await site()).totals.powerMw, null, 'no readings before an agent joins');

      await startTwinAndAgent(dir, url, procs);
      await until('live site power from the agent', async () => ((await site()).totals.powerMw !== null ? true : undefined), 60_000);
      const loadMw = (await site()).totals.powerMw!;
      assert.ok(loadMw > 0.05, `site load ${loadMw} MW`);

      // A curtailment: the engine's commands go over the agent's channel to the twin's miners,
      // and the twin's revenue meter (read by the agent) confirms the shed.
      const made = await api('POST', '/api/curtailment/events', { shedMw: 0.05, durationMs: 60_000, reason: 'test: serve + agent' });
      assert.equal(made.status, 202, JSON.stringify(made.body));
      const eventId = made.body.eventId as string;
      const event = await until('the shed confirmed on the meter', async () => {
        const r = (await api('GET', `/api/curtailment/events/${eventId}`)).body as {
          status: string;
          baselineW: number | null;
          meterSamples: Array<{ loadW: number }>;
          devices: Array<{ phase: string; outcome?: string }>;
        };
        if (['failed', 'cancelled', 'done'].includes(r.status)) throw new Error(`event ended ${r.status} before the meter confirmed it`);
        return r.status === 'meter-confirmed' ? r : undefined;
      }, 90_000, 250);
      assert.ok(event.devices.some((d) => d.phase === 'shed' && d.outcome === 'acked'), 'the twin acked shed commands');
      // The twin's revenue meter, as the agent read it, falls by most of the 50 kW asked for
      // (the engine's default tolerance, 50 kW, would confirm a shed this small at once).
      const baselineW = event.baselineW!;
      await until('the revenue meter 40 kW below the baseline', async () => {
        const r = (await api('GET', `/api/curtailment/events/${eventId}`)).body as { meterSamples: Array<{ loadW: number }> };
        const lastW = r.meterSamples.at(-1)?.loadW;
        return lastW !== undefined && baselineW - lastW >= 40_000 ? true : undefined;
      }, 60_000, 250);

      for (const { code, out } of await stopAll(procs)) assert.equal(code, 0, out);
    } finally {
      killLeft(procs);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
