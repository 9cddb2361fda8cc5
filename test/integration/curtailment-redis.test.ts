import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curtailPlatform, until, type CurtailPlatform } from '../support/curtail-platform.ts';
import { requireServiceEnv } from '../support/service-env.ts';

/**
 * Redis restarted in the middle of an event (killed, its data gone) must not lose the event:
 * the event lives in the records store, and the engine re-drives the steps whose queue jobs
 * were lost. This test runs its own redis-server (the one services.sh installed) so killing
 * it touches no other test.
 */

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function startRedis(port: number, dir: string): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
}

async function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => {
      sock.destroy();
      resolve(String(d).startsWith('+PONG'));
    });
    sock.once('error', () => resolve(false));
  });
}

if (requireServiceEnv('SWITCHYARD_TEST_REDIS_URL')) {
  describe('curtailment across a Redis restart', { timeout: 300_000 }, () => {
    let c: CurtailPlatform;
    let redis: ChildProcess;
    let port: number;
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-'));
    before(async () => {
      port = await freePort();
      redis = startRedis(port, dir);
      await until('redis-server to answer', async () => ((await redisAnswers(port)) ? true : undefined), 15_000, 100);
      c = await curtailPlatform({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    });
    after(async () => {
      await c?.close();
      redis?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    it('an event started on BullMQ survives Redis being killed and restarted empty', async () => {
      const baseline = c.p.twin!.siteLoadW();
      const res = await c.api('POST', '/api/curtailment/events', { shedMw: 1.5, durationMs: 25_000, reason: 'test: redis restart' });
      assert.equal(res.statusCode, 202, res.body);
      const { eventId } = res.json() as { eventId: string };
      await c.until(eventId, ['shedding', 'meter-confirmed'], 30_000);
      redis.kill('SIGKILL');
      await until('redis to be gone', async () => ((await redisAnswers(port)) ? undefined : true), 10_000, 50);
      await new Promise((r) => setTimeout(r, 2_000));
      redis = startRedis(port, dir);
      await until('redis-server to answer again', async () => ((await redisAnswers(port)) ? true : undefined), 15_000, 100);
      const confirmed = await c.until(eventId, ['meter-confirmed', 'restoring', 'done'], 60_000);
      assert.ok(confirmed.timeline.some((e) => e.kind === 'meter-confirmed'), 'confirmed on the meter');
      // Confirmed within the meter tolerance (1% of the baseline) of a 1.5 MW shed.
      assert.ok(baseline - Math.min(...confirmed.meterSamples.map((s) => s.loadW)) >= 1.5e6 - 0.011 * baseline);
      const done = await c.until(eventId, ['done'], 120_000);
      assert.ok(done.timeline.some((e) => e.kind === 'restore-end'));
      assert.ok(done.devices.filter((d) => d.phase === 'restore').every((d) => d.outcome === 'acked'));
    });
  });
}
