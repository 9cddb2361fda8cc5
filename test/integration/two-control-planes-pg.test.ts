import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { DeviceLogEntry, EventRecord, TimelineEntry } from '../../services/curtailment/event-record.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { startControlPlane, type ControlPlane } from '../../services/platform/control-plane.ts';
import { startSite, type SiteRun } from '../../services/platform/site.ts';
import { BULLMQ_PREFIX } from '../../services/queue/bullmq.ts';
import { requireServiceEnv } from '../support/service-env.ts';
import { tcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { until } from '../support/until.ts';

/**
 * Issue 16: two control-plane instances on one PostgreSQL (records) and one Redis (queues).
 * - Plans: each one-minute interval runs one plan job (BullMQ's job scheduler), on either
 *   instance, and each job's plan is stored once in the shared records.
 * - Curtailment: the dispatch webhook sent to A and to B with the same eventId is one event;
 *   exactly one instance drives it (its lease); each shed miner gets one shed command. When A
 *   stops, B takes the lease over and completes the event: every shed miner is awake again on
 *   the twin.
 * The agent reaches the control planes through a TCP relay pointed at A, then at B: commands
 * are not routed between instances, so the instance that drives an event needs the agent
 * connected to it.
 */
const redisBase = requireServiceEnv('SWITCHYARD_TEST_REDIS_URL');
const pgUrl = requireServiceEnv('SWITCHYARD_TEST_DATABASE_URL');

if (redisBase && pgUrl) {
  describe('two control planes on one PostgreSQL and one Redis', { timeout: 420_000 }, () => {
    // A Redis database and a PostgreSQL schema of its own, so parallel tests do not collide.
    const db = 1 + Math.floor(Math.random() * 15);
    const redisUrl = `${redisBase.replace(/\/\d*$/, '')}/${db}`;
    const schema = `two_cp_${randomBytes(4).toString('hex')}`;
    const scoped = new URL(pgUrl);
    scoped.searchParams.set('options', `-c search_path=${schema}`);
    const admin = new pg.Client({ connectionString: pgUrl });
    let connected = false;
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-two-cp-pg-'));
    // Beside the chaos site (300 miners, ~1.1 MW), replanned every minute.
    const sitePath = join(resolve('test/support/sites'), `.two-cp-pg-${process.pid}.yaml`);
    const cps: ControlPlane[] = [];
    let siteRun: SiteRun | undefined;
    let proxy: TcpProxy | undefined;
    after(async () => {
      await siteRun?.stop();
      for (const cp of cps) await cp.stop();
      await proxy?.close();
      rmSync(sitePath, { force: true });
      const redis = new Redis(redisUrl);
      await redis.flushdb();
      redis.disconnect();
      if (connected) {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('one plan job per interval; one curtailment event, driven once, taken over when its instance stops', async (t) => {
      writeFileSync(sitePath, `${readFileSync('test/support/sites/chaos.yaml', 'utf8')}\ndispatch:\n  replanEveryMinutes: 1\n  hashpriceUsdPerPhDay: 45\n`);
      const site = loadSiteFile(sitePath);
      await admin.connect();
      connected = true;
      await admin.query(`CREATE SCHEMA ${schema}`);
      const redis = new Redis(redisUrl);
      await redis.flushdb();
      redis.disconnect();
      const env = (id: string) => ({ REDIS_URL: redisUrl, DATABASE_URL: scoped.toString(), SWITCHYARD_INSTANCE_ID: id, SWITCHYARD_CURTAILMENT_LEASE_MS: '10000' });
      const t0 = Date.now();
      const start = (id: string) => startControlPlane({ sitePath, port: 0, host: '127.0.0.1', dataDir: join(dir, id), env: env(id), print: () => undefined, intervals: { minerMs: 2000, meterMs: 500, shipMs: 250 }, curtailment: { supervisorMs: 250, confirmWindowMs: 6000 } });
      const a = await start('cp-a');
      cps.push(a);
      const b = await start('cp-b');
      cps.push(b);
      const adminToken = readFileSync(a.adminTokenPath, 'utf8').trim();
      const auth = { authorization: `Bearer ${adminToken}` };

      // The site's agent, through a relay that points at A for now. Its token is A's; the
      // tokens are shared records, so B accepts it too.
      proxy = await tcpProxy();
      proxy.targetPort = a.listening.port;
      const agent = a.agents[0]!;
      siteRun = await startSite({ site, sitePath, controlPlaneUrl: `http://127.0.0.1:${proxy.port}`, agents: [{ agentId: agent.agentId, token: agent.token }], intervals: a.intervals, children: 'inline', minerPort: 0, meterPort: 0, agent: { failSafeGraceMs: 60_000 } });
      const twin = siteRun.twin!;
      await until('A to read the meter and every miner', () => {
        const s = a.live.snapshot();
        return s.powerW !== null && s.miners.online >= 300 ? true : undefined;
      }, 90_000, 200);

      // The grid's dispatch, to A and then to B, one eventId: one event.
      const now = Date.now();
      const dispatch = { program: 'ERCOT ERS-10', shedMw: 0.3, startMs: now, endMs: now + 60_000, eventId: `ers-${randomBytes(3).toString('hex')}` };
      const atA = await a.app.inject({ method: 'POST', url: '/api/curtailment/dispatch', headers: auth, payload: dispatch });
      assert.equal(atA.statusCode, 202, atA.body);
      const atB = await b.app.inject({ method: 'POST', url: '/api/curtailment/dispatch', headers: auth, payload: dispatch });
      assert.equal(atB.statusCode, 202, atB.body);
      const eventId = (atA.json() as { eventId: string }).eventId;
      assert.equal((atB.json() as { eventId: string }).eventId, eventId, 'B answers with the event A stored');
      const events = await admin.query<{ id: string; leaseowner: string }>(`SELECT id, leaseowner FROM ${schema}.curtailment_events`);
      assert.deepEqual(events.rows, [{ id: eventId, leaseowner: 'cp-a' }], 'one event, held by A');

      const stored = async (): Promise<EventRecord> => {
        const r = await b.app.inject({ method: 'GET', url: `/api/curtailment/events/${eventId}`, headers: auth });
        assert.equal(r.statusCode, 200, r.body);
        return r.json() as EventRecord;
      };
      await until('the event confirmed on the meter (driven by A)', async () => ((await stored()).status === 'meter-confirmed' ? true : undefined), 90_000, 500);
      assert.equal(b.curtailment.get(eventId), undefined, 'B does not drive it');
      const shedRows = (r: EventRecord) => r.devices.filter((d: DeviceLogEntry) => d.phase === 'shed');
      const confirmed = await stored();
      const shedIds = shedRows(confirmed).map((d) => d.deviceId);
      assert.ok(shedIds.length > 0);
      assert.equal(new Set(shedIds).size, shedIds.length, 'one shed command per miner');
      const asleep = site.blocks.flatMap((bl) => bl.miners).length ? [...shedIds].filter((id) => twin.minerById(id)?.miner.mode !== 'mining') : [];
      assert.deepEqual(asleep.sort(), [...shedIds].sort(), 'every commanded miner is asleep on the twin');

      // A stops; the agent's relay now reaches B. B takes the lease and completes the event.
      await a.stop();
      proxy.targetPort = b.listening.port;
      proxy.cut();
      proxy.mend();
      const done = await until('the event done (finished by B)', async () => {
        const r = await stored();
        return r.status === 'done' ? r : undefined;
      }, 150_000, 500);
      assert.ok(done.timeline.some((e: TimelineEntry) => e.kind === 'resumed'), 'B resumed it from the record');
      assert.deepEqual(shedRows(done).map((d) => d.deviceId), shedIds, 'no miner was shed again by B');
      const restored = done.devices.filter((d) => d.phase === 'restore' && d.outcome === 'acked').map((d) => d.deviceId);
      assert.deepEqual([...new Set(restored)].sort(), [...shedIds].sort(), 'every shed miner restored');
      await until('every shed miner awake on the twin', () => (shedIds.every((id) => twin.minerById(id)?.miner.mode === 'mining') ? true : undefined), 30_000, 200);
      const closed = await admin.query<{ open: boolean; leaseowner: string | null }>(`SELECT open, leaseowner FROM ${schema}.curtailment_events WHERE id = $1`, [eventId]);
      assert.deepEqual(closed.rows, [{ open: false, leaseowner: null }]);

      // Plans: at least two one-minute intervals have passed since the start.
      await until('two plan intervals', () => (Date.now() - t0 > 125_000 ? true : undefined), 200_000, 1000);
      const queue = new Queue('plans', { connection: { url: redisUrl } as never, prefix: BULLMQ_PREFIX });
      try {
        const jobs = await queue.getJobs(['completed', 'failed', 'active']);
        const perMinute = new Map<number, number>();
        for (const j of jobs) {
          const slot = Math.floor((j.timestamp + (j.opts.delay ?? 0)) / 60_000);
          perMinute.set(slot, (perMinute.get(slot) ?? 0) + 1);
        }
        assert.ok(jobs.length >= 2, `${jobs.length} plan jobs`);
        assert.ok([...perMinute.values()].every((n) => n === 1), `one plan job per interval: ${JSON.stringify([...perMinute])}`);
        const completed = jobs.filter((j) => j.finishedOn !== undefined && !j.failedReason).length;
        const plans = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.plans WHERE trigger = 'schedule'`);
        t.diagnostic(`plan jobs per minute slot: ${JSON.stringify([...perMinute])}; completed ${completed}; plans stored ${plans.rows[0]!.n}`);
        assert.equal(Number(plans.rows[0]!.n), completed, 'each plan job stored its plan once, in the shared records');
      } finally {
        await queue.close();
      }
    });
  });
}
