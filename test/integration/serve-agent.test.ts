import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { until } from '../support/until.ts';

/**
 * `switchyard serve`, `switchyard twin` and `switchyard agent --config FILE` as three separate
 * processes, as an operator runs them: the control plane starts with no twin and no agent,
 * the agent joins it with the token file serve wrote, readings arrive, and a curtailment
 * event's commands reach the twin (its revenue meter confirms the shed).
 */

const BIN = 'services/cli/bin.js';
const SITE = resolve('test/support/sites/small.yaml');

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, out: () => out, exited };
}

describe('switchyard serve + agent --config', () => {
  test('the control plane runs alone; an agent started apart joins it; a curtailment reaches the twin', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-serve-'));
    const dataDir = join(dir, 'data');
    const procs: Proc[] = [];
    try {
      const serve = run(['serve', '--site', SITE, '--port', '0'], { SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_MINER_INTERVAL_MS: '1000', SWITCHYARD_METER_INTERVAL_MS: '500', SWITCHYARD_SHIP_INTERVAL_MS: '500' });
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

      const twin = run(['twin', '--site', SITE, '--miner-port', '0', '--meter-port', '0'], {});
      procs.push(twin);
      const endpoints = await until('the twin endpoints', () => {
        const line = twin.out().split('\n').find((l) => l.startsWith('{"site"'));
        return line ? (JSON.parse(line) as { miners: { groups: Array<{ port: number }> }; meters: Array<{ port: number }> }) : undefined;
      }, 60_000);

      const configPath = join(dir, 'agent.yaml');
      writeFileSync(configPath, stringify({
        agentId: 'agent-small-test',
        controlPlaneUrl: url,
        tokenFile: 'data/agent-tokens/agent-small-test.token',
        siteFile: SITE,
        minerPort: endpoints.miners.groups[0]!.port,
        meterPort: endpoints.meters[0]!.port,
        minerIntervalMs: 1000,
        meterIntervalMs: 500,
        shipIntervalMs: 500,
      }));
      const agent = run(['agent', '--config', configPath], {});
      procs.push(agent);
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

      for (const p of procs.reverse()) p.child.kill('SIGTERM');
      for (const p of procs) assert.equal(await p.exited, 0, p.out().slice(-2000));
    } finally {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
