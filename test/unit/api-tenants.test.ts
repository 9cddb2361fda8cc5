import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { AlertBook } from '../../services/alerts/alert-book.ts';
import { buildApp } from '../../services/api/app.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { logger } from '../../services/lib/log.ts';
import { openStore, type RecordsStore } from '../../services/store/sqlite.ts';
import { createHistory } from '../../services/telemetry/index.ts';
import type { TelemetryHistory } from '../../services/telemetry/history.ts';
import { loadTenantFile, TenantLedger } from '../../services/tenants/ledger.ts';

/** GET /api/tenants, the statement route (JSON and CSV), /api/alerts, and the CLI command. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const SITE = join(root, 'test/support/sites/ai-hall.yaml');
const TENANTS = join(root, 'test/support/tenants/ai-hall-tenants.yaml');

describe('tenant and alert routes', () => {
  let dir: string;
  let app: FastifyInstance;
  let store: RecordsStore;
  let history: TelemetryHistory;
  const book = new AlertBook(logger('test'), { clearAfterMs: 0 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'api-tenants-'));
    const site = loadSiteFile(SITE);
    store = openStore({ dataDir: dir });
    // Statements read last month's rollups: keep them longer than the 30-day default.
    history = createHistory({ dataDir: dir, env: {}, sqlite: { rollupRetentionMs: 400 * 86_400_000 } });
    const ledger = new TenantLedger(store.db, history, site);
    ledger.upsert(loadTenantFile(TENANTS).contracts);
    // Two hours of one host of A1 in 2026-11: enough to show a statement is read from the history.
    const points = [];
    for (let t = Date.UTC(2026, 10, 1); t < Date.UTC(2026, 10, 1, 2); t += 60_000) {
      points.push({ measurement: 'gpu_host', tags: { host: 'gh-a1-01', block: 'A1', tenant: 'colo-fluid' }, fields: { gpus_online: 8, power_w: 6_000, max_temp_c: 70 }, atMs: t });
    }
    await history.write(points);
    app = await buildApp({ site, db: store.db, history, kinds: { store: 'sqlite', queue: 'memory' }, version: 'test', tenants: ledger, alerts: book, log: logger('test') });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await history.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET /api/tenants lists each contract with availability, commitment and credit at risk', async () => {
    const res = await app.inject({ url: '/api/tenants?month=2026-11' });
    assert.equal(res.statusCode, 200);
    const body = res.json() as { month: string; tenants: Array<{ id: string; contracts: Array<{ id: string; availabilityPct: number; commitmentPct: number; creditAtRiskUsd: number }> }> };
    assert.deepEqual(body.tenants.map((t) => t.id), ['fluid', 'hyperscaler']);
    const colo = body.tenants[0]?.contracts[0];
    assert.equal(colo?.commitmentPct, 99.99);
    assert.ok((colo?.availabilityPct ?? 100) < 1, 'one host for two hours of a whole month');
    // Term month 11, year 1, ramp 40,000 kW: 40,000 × 185 = 7,400,000.00; below 99.0 → 25 % = 1,850,000.00
    assert.equal(colo?.creditAtRiskUsd, 1_850_000);
  });

  test('statement as JSON and CSV; unknown tenant 404; bad month 400', async () => {
    const json = await app.inject({ url: '/api/tenants/fluid/statement?month=2026-11' });
    assert.equal(json.statusCode, 200);
    const st = json.json() as { statements: Array<{ meteredKwh: number; lines: Array<{ code: string; amountUsd: number }> }>; totalUsd: number };
    // 2 h × 6 kW = 12 kWh; × 1.2 × 0.0425 = 0.612 → 0.61
    assert.equal(st.statements[0]?.meteredKwh, 12);
    assert.equal(st.statements[0]?.lines.find((l) => l.code === 'power-pass-through')?.amountUsd, 0.61);
    // 7,400,000.00 + 0.61 − 1,850,000.00 = 5,550,000.61
    assert.equal(st.totalUsd, 5_550_000.61);
    const csv = await app.inject({ url: '/api/tenants/fluid/statement?month=2026-11&format=csv' });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.match(csv.body.trim().split('\n').at(-1) as string, /,total,.*,5550000\.61$/);
    assert.equal((await app.inject({ url: '/api/tenants/nobody/statement?month=2026-11' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/api/tenants/fluid/statement?month=2027-13' })).statusCode, 400);
    assert.equal((await app.inject({ url: '/api/tenants/fluid/statement?month=2025-01' })).statusCode, 422, 'before the term');
    assert.equal((await app.inject({ url: '/api/tenants/fluid/statement?month=2099-01' })).statusCode, 422, 'a month not yet started');
  });

  test('GET /api/alerts lists the book', async () => {
    book.evaluate(['host-down'], [{ key: 'host-down:gh-a1-02', kind: 'host-down', severity: 'critical', subject: { host: 'gh-a1-02' }, message: 'GPU host gh-a1-02 is not answering' }], 1_000);
    const res = await app.inject({ url: '/api/alerts' });
    assert.equal(res.statusCode, 200);
    const body = res.json() as { active: Array<{ key: string }>; cleared: unknown[] };
    assert.deepEqual(body.active.map((a) => a.key), ['host-down:gh-a1-02']);
  });

  test('switchyard tenants statement prints the same statement', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'services/cli/bin.js'), 'tenants', 'statement', 'fluid', '--month', '2026-11', '--site', SITE, '--data-dir', dir, '--format', 'csv', '--issue'], { cwd: root, env: { ...process.env, INFLUX_URL: '' } });
    assert.match(stdout.trim().split('\n').at(-1) as string, /,total,.*,5550000\.61$/);
    const issued = store.db.prepare('SELECT contractId, month, statement FROM tenant_statements').all() as Array<{ contractId: string; month: string; statement: string }>;
    assert.deepEqual(issued.map((r) => [r.contractId, r.month, (JSON.parse(r.statement) as { totalUsd: number }).totalUsd]), [['colo-fluid', '2026-11', 5_550_000.61]]);
  });
});
