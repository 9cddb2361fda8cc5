import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BULLMQ_PREFIX } from '../../services/queue/bullmq.ts';
import { startControlPlane, type ControlPlane } from '../../services/platform/control-plane.ts';
import { requireServiceEnv } from '../support/service-env.ts';

/**
 * Two control-plane instances on one Redis: the plan schedule is one BullMQ job scheduler,
 * so each interval's plan job runs once, on one of them. (The curtailment half of issue 16's
 * test — one event handled once — needs the records shared in PostgreSQL, which they are not
 * yet: each instance keeps its events in its own SQLite file.)
 */
const redisBase = requireServiceEnv('SWITCHYARD_TEST_REDIS_URL');

if (redisBase) {
  describe('two control planes on one Redis', { timeout: 300_000 }, () => {
    // A database of its own on the shared test Redis, so no other test's workers take these jobs.
    const db = 8 + Math.floor(Math.random() * 7);
    const redisUrl = `${redisBase.replace(/\/\d*$/, '')}/${db}`;
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-two-cp-'));
    const cps: ControlPlane[] = [];
    // Beside the demo site file, so its relative paths (market files) resolve the same.
    const sitePath = join(resolve('infra/sites'), `.two-cp-${process.pid}.yaml`);
    after(async () => {
      for (const cp of cps) await cp.stop();
      rmSync(sitePath, { force: true });
      const redis = new Redis(redisUrl);
      await redis.flushdb();
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    });

    it('each one-minute plan interval runs one plan job, whichever instance takes it', async (t) => {
      // The demo site's dispatch settings, replanned every minute.
      const site = readFileSync('infra/sites/demo.yaml', 'utf8').replace(/replanEveryMinutes: \d+/, 'replanEveryMinutes: 1');
      assert.match(site, /replanEveryMinutes: 1\n/);
      writeFileSync(sitePath, site);
      const redis = new Redis(redisUrl);
      await redis.flushdb();
      redis.disconnect();
      for (const name of ['a', 'b']) {
        cps.push(await startControlPlane({ sitePath, port: 0, host: '127.0.0.1', dataDir: join(dir, name), env: { REDIS_URL: redisUrl }, print: () => undefined }));
      }
      const t0 = Date.now();
      // Two and a half minutes: the first job at once, then one per minute boundary.
      await new Promise((r) => setTimeout(r, 150_000));
      const queue = new Queue('plans', { connection: { url: redisUrl } as never, prefix: BULLMQ_PREFIX });
      try {
        const jobs = await queue.getJobs(['completed', 'failed', 'active']);
        const slots = jobs.map((j) => j.timestamp + (j.opts.delay ?? 0));
        const perMinute = new Map<number, number>();
        for (const s of slots) perMinute.set(Math.floor(s / 60_000), (perMinute.get(Math.floor(s / 60_000)) ?? 0) + 1);
        const minutes = Math.floor(Date.now() / 60_000) - Math.floor(t0 / 60_000) + 1;
        assert.ok(jobs.length >= 2 && jobs.length <= minutes, `${jobs.length} plan jobs in ${minutes} minute slots: ${JSON.stringify([...perMinute])}`);
        assert.ok([...perMinute.values()].every((n) => n === 1), `one plan job per interval: ${JSON.stringify([...perMinute])}`);
        const ran = await Promise.all(cps.map(async (cp) => (await cp.app.inject({ method: 'GET', url: '/metrics' })).body));
        const count = (text: string) => Number(/switchyard_queue_job_duration_seconds_count\{[^}]*queue="plans"[^}]*outcome="completed"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
        t.diagnostic(`plan jobs per minute slot: ${JSON.stringify([...perMinute.values()])}; run by instance a: ${count(ran[0]!)}, b: ${count(ran[1]!)}`);
        assert.equal(count(ran[0]!) + count(ran[1]!), jobs.filter((j) => j.finishedOn !== undefined && !j.failedReason).length, 'the instances together ran each completed job once');
      } finally {
        await queue.close();
      }
    });
  });
}
