import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { AlertBook } from '../../services/alerts/alert-book.ts';
import { AlertWatch } from '../../services/alerts/watch.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { logger } from '../../services/lib/log.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { startGpuTwin, type GpuTwin } from '../../simulations/site-twin/gpu-server.ts';
import { gpuRig, type GpuRig } from '../support/gpu-hall-rig.ts';

/**
 * The AI hall on the twin, over the real paths: gh-a1-01 and gh-a2-01 are read by running the
 * twin's nvidia-smi stand-in, gh-a1-02 through its dcgm-exporter page on loopback. GPU 3 of
 * gh-a1-02 starts throwing ECC/XID errors and is later reset; gh-a2-01 hangs.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const site = loadSiteFile(join(root, 'test/support/sites/ai-hall.yaml'));
const log = logger('twin-gpu-test');

describe('twin AI hall: GPU faults, a hung host, alerts', () => {
  let dir: string;
  let twin: GpuTwin;
  let rig: GpuRig;
  let live: LiveState;
  let history: SqliteHistory;
  let watch: AlertWatch;
  const book = new AlertBook(log, { clearAfterMs: 0 });
  const keysEverRaised: string[] = [];

  const pollAndEvaluate = async () => {
    const r = await rig.poll();
    const before = new Set(book.list().active.map((a) => a.key));
    await watch.evaluate();
    for (const a of book.list().active) if (!before.has(a.key)) keysEverRaised.push(a.key);
    return r;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twin-gpu-'));
    twin = await startGpuTwin(
      [
        { host: 'gh-a1-01', gpus: 8, workload: 'training' },
        { host: 'gh-a1-02', gpus: 8, workload: 'training' },
        { host: 'gh-a2-01', gpus: 8, workload: 'inference' },
      ],
      { dir },
    );
    live = new LiveState(site);
    history = new SqliteHistory({ path: join(dir, 'history.db') });
    rig = gpuRig({ site, twin, viaDcgm: new Set(['gh-a1-02']), live, history, log });
    watch = new AlertWatch(book, live, null, log, { staleAfterMs: 60_000 });
  });
  after(async () => {
    await rig.close();
    await twin.close();
    await history.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('healthy hall: 24 GPUs online from both sources, per-GPU, per-host and per-tenant points, no alerts', async () => {
    const { readings, points } = await pollAndEvaluate();
    assert.equal(readings.filter((r) => r.status === 'online').length, 24, JSON.stringify(readings.filter((r) => r.status !== 'online').map((r) => r.error)));
    // 24 gpu + 3 gpu_host + 2 tenant_gpu, plus block/site rollups.
    assert.equal(points.filter((p) => p.measurement === 'gpu').length, 24);
    assert.equal(points.filter((p) => p.measurement === 'gpu_host').length, 3);
    assert.deepEqual(points.filter((p) => p.measurement === 'tenant_gpu').map((p) => p.tags.tenant).sort(), ['cloud-msft', 'colo-fluid']);
    const dcgmGpu = readings.find((r) => r.labels?.host === 'gh-a1-02');
    const smiGpu = readings.find((r) => r.labels?.host === 'gh-a1-01');
    assert.deepEqual(Object.keys(dcgmGpu?.metrics ?? {}).filter((k) => k in (smiGpu?.metrics ?? {})).sort().slice(0, 3), ['ecc_corrected_aggregate_count', 'ecc_corrected_volatile_count', 'ecc_uncorrected_aggregate_count']);
    assert.deepEqual(book.list().active, []);
  });

  test('the failing GPU raises one alert; a hot GPU raises a thermal alert', async () => {
    twin.hosts.get('gh-a1-02')?.fail(3, { eccUncorrected: 2, eccCorrected: 17, xid: 48 });
    twin.hosts.get('gh-a1-01')?.setHot(0, true);
    for (let i = 0; i < 3; i++) await pollAndEvaluate();
    const active = book.list().active;
    assert.deepEqual(active.map((a) => a.kind).sort(), ['gpu-fault', 'gpu-thermal']);
    const fault = active.find((a) => a.kind === 'gpu-fault');
    assert.match(fault?.message ?? '', /on gh-a1-02: 2 uncorrectable ECC errors, XID 48/);
    assert.equal(fault?.subject.host, 'gh-a1-02');
    twin.hosts.get('gh-a1-01')?.setHot(0, false);
  });

  test('the hung host is offline (its last readings stale), the others keep fresh readings and history', async () => {
    twin.hosts.get('gh-a2-01')!.hung = true;
    const t0 = Date.now();
    const { readings, points } = await pollAndEvaluate();
    const hung = readings.filter((r) => r.labels?.host === 'gh-a2-01');
    assert.equal(hung.length, 8);
    assert.ok(hung.every((r) => r.labels?.stale === 'true' && r.atMs < t0), 'last readings re-sent, labelled stale, never zeros');
    assert.match(hung[0]?.error ?? '', /timed out/);
    const fresh = readings.filter((r) => r.labels?.host !== 'gh-a2-01');
    assert.equal(fresh.length, 16);
    assert.ok(fresh.every((r) => r.status === 'online' && r.labels?.stale === undefined && r.atMs >= t0));
    assert.ok(book.list().active.some((a) => a.key === 'host-down:gh-a2-01'));
    assert.deepEqual(points.filter((p) => p.measurement === 'gpu_host').map((p) => p.tags.host).sort(), ['gh-a1-01', 'gh-a1-02'], 'the hung host writes nothing; the others keep writing');
    const series = await history.query({ measurement: 'gpu_host', field: 'gpus_online', where: { host: 'gh-a1-01' }, fromMs: t0 - 120_000, toMs: Date.now() + 1, stepMs: 1_000, aggregate: 'last' });
    assert.ok((series[0]?.points.at(-1)?.[0] ?? 0) >= Math.floor(t0 / 1000) * 1000, 'gh-a1-01 is in the history after the hang');
    const site = live.snapshot().blocks.find((b) => b.id === 'A1');
    assert.ok(site?.powerW !== null && (site?.powerW ?? 0) > 0, 'block A1 power still known');
  });

  test('reset clears the GPU alert once; the host answering again clears host-down; nothing raised twice', async () => {
    twin.hosts.get('gh-a1-02')?.reset(3);
    twin.hosts.get('gh-a2-01')!.hung = false;
    for (let i = 0; i < 2; i++) await pollAndEvaluate();
    const { active, cleared } = book.list();
    assert.deepEqual(active, []);
    const faultKey = keysEverRaised.find((k) => k.startsWith('gpu-fault:')) as string;
    assert.equal(cleared.filter((a) => a.key === faultKey).length, 1, 'cleared once');
    assert.equal(keysEverRaised.filter((k) => k === faultKey).length, 1, 'raised once');
    assert.deepEqual([...new Set(keysEverRaised)].length, keysEverRaised.length, 'no key raised twice');
    assert.deepEqual(cleared.map((a) => a.kind).sort(), ['gpu-fault', 'gpu-thermal', 'host-down']);
    // After the reset the aggregate (InfoROM) count keeps the history of the fault.
    const gpu3 = live.readingsInBlock('A1').find((r) => r.labels?.host === 'gh-a1-02' && r.labels?.index === '3');
    assert.equal(gpu3?.metrics.ecc_uncorrected_volatile_count, 0);
    assert.equal(gpu3?.metrics.ecc_uncorrected_aggregate_count, 2);
  });
});
