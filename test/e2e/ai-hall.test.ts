import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type Browser } from 'playwright-core';
import { collectPageProblems, launchChromium } from '../support/browser.ts';
import { AlertBook } from '../../services/alerts/alert-book.ts';
import { AlertWatch } from '../../services/alerts/watch.ts';
import { buildApp } from '../../services/api/app.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { logger } from '../../services/lib/log.ts';
import { openStore, type RecordsStore } from '../../services/store/sqlite.ts';
import type { TelemetryPoint } from '../../services/telemetry/history.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';
import { loadTenantFile, TenantLedger } from '../../services/tenants/ledger.ts';
import { startGpuTwin, type GpuTwin } from '../../simulations/site-twin/gpu-server.ts';
import { gpuRig, type GpuRig } from '../support/gpu-hall-rig.ts';

/**
 * The AI hall page in Chromium against the API over the twin's GPU hosts (nvidia-smi stand-in
 * and dcgm-exporter), the tenant ledger and the alert book. The month so far is seeded into
 * the history (one reading per host per 5 minutes, per minute in the last half hour, with a 3-hour outage of gh-a2-01) so the
 * tenant panel has a month to measure.
 */
const SCREENSHOT = 'test-output/ai-hall.png';
const root = fileURLToPath(new URL('../../', import.meta.url));
const site = loadSiteFile(join(root, 'test/support/sites/ai-hall.yaml'));
const log = logger('ai-hall-e2e');

describe('AI hall page', () => {
  let dir: string;
  let twin: GpuTwin;
  let rig: GpuRig;
  let app: FastifyInstance;
  let store: RecordsStore;
  let history: SqliteHistory;
  let browser: Browser;
  let timer: NodeJS.Timeout | undefined;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ai-hall-e2e-'));
    twin = await startGpuTwin(site.gpuHosts.map((h) => ({ host: h.host, gpus: 8, workload: h.blockId === 'A2' ? 'inference' : 'training' })), { dir: join(dir, 'bin') });
    history = new SqliteHistory({ path: join(dir, 'history.db'), rollupRetentionMs: 62 * 86_400_000 });
    const now = Date.now();
    const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
    const seed: TelemetryPoint[] = [];
    for (let t = monthStart; t < now - 60_000; t += t < now - 30 * 60_000 ? 5 * 60_000 : 60_000) {
      for (const h of site.gpuHosts) {
        if (h.host === 'gh-a2-01' && t >= monthStart + 86_400_000 && t < monthStart + 86_400_000 + 3 * 3_600_000) continue;
        seed.push({ measurement: 'gpu_host', tags: { host: h.host, block: h.blockId, tenant: h.blockId === 'A1' ? 'colo-fluid' : 'cloud-msft' }, fields: { gpus_online: 8, power_w: 4_800, max_temp_c: 68, utilization_pct: 80 }, atMs: t + 30_000 });
      }
    }
    for (let i = 0; i < seed.length; i += 5_000) await history.write(seed.slice(i, i + 5_000));
    store = openStore({ dataDir: dir });
    const ledger = new TenantLedger(store.db, history, site);
    ledger.upsert(loadTenantFile(join(root, 'test/support/tenants/ai-hall-tenants.yaml')).contracts);
    const live = new LiveState(site);
    const book = new AlertBook(log, { clearAfterMs: 0 });
    const watch = new AlertWatch(book, live, ledger, log, { staleAfterMs: 60_000, tenantEveryMs: 0 });
    // A generous nvidia-smi deadline: the stand-in is a node process and this machine is shared.
    rig = gpuRig({ site, twin, viaDcgm: new Set(['gh-a1-02']), live, history, log, smiTimeoutMs: 8_000 });
    twin.hosts.get('gh-a1-02')?.fail(5, { eccUncorrected: 3, eccCorrected: 40, xid: 79 });
    const tick = async () => {
      await rig.poll();
      await watch.evaluate();
    };
    await tick();
    timer = setInterval(() => void tick().catch((err: unknown) => log.error({ err }, 'poll failed')), 2_000);
    app = await buildApp({ site, db: store.db, history, kinds: { store: 'sqlite', queue: 'memory' }, version: 'test', live, tenants: ledger, alerts: book, log });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });

  after(async () => {
    clearInterval(timer);
    await browser?.close();
    await app?.close();
    await rig?.close();
    await twin?.close();
    await history?.close();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('heatmaps by host, availability against commitment, credits at risk, alerts', { timeout: 90_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 980 } });
    const problems = collectPageProblems(page);
    await page.goto(`${url}/ai/`);
    await page.waitForFunction(() => document.getElementById('conn')?.dataset.state === 'live', undefined, { timeout: 30_000 });
    await page.waitForFunction(() => Number(document.getElementById('power-heatmap')?.dataset.rows) === 3 && document.querySelectorAll('#power-heatmap .apexcharts-heatmap-rect').length > 0, undefined, { timeout: 30_000 });
    assert.equal(await page.getAttribute('#util-heatmap', 'data-rows'), '3');
    // Two contracts in term, each a bar against its commitment.
    await page.waitForFunction(() => Number(document.getElementById('availability-chart')?.dataset.bars) === 2, undefined, { timeout: 30_000 });
    const rows = await page.$$eval('#tenants tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? '')));
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.match(r[2] ?? '', /^\d+\.\d{4} %$/, `availability shown: ${r.join(' | ')}`);
      assert.match(r[4] ?? '', /^\$[\d,]+\.\d\d$/, `credit at risk shown: ${r.join(' | ')}`);
    }
    // The failing GPU's alert is on the page.
    await page.waitForFunction(() => document.querySelector('#alerts li[data-kind="gpu-fault"]') !== null, undefined, { timeout: 30_000 });
    assert.match((await page.textContent('#alerts li[data-kind="gpu-fault"]')) ?? '', /3 uncorrectable ECC errors, XID 79/);
    const hosts = await page.$$eval('#hosts tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-host'), tr.querySelector('td:nth-child(3)')?.textContent]));
    assert.deepEqual(hosts.sort(), [['gh-a1-01', 'online'], ['gh-a1-02', 'online'], ['gh-a2-01', 'online']]);
    // What a megawatt earns, per AI block: token cost beside mining margin and lease rent.
    await page.waitForFunction(() => Number(document.getElementById('economics')?.dataset.blocks) === 2, undefined, { timeout: 30_000 });
    const costs = await page.$$eval('#economics .token-cost', (tds) => tds.map((td) => td.textContent?.trim() ?? ''));
    assert.ok(costs.some((c) => /^\$\d+\.\d{4}$/.test(c)), `a cost per million tokens: ${costs.join(', ')}`);
    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(problems, []);
  });
});
