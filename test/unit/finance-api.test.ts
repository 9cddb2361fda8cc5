import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../services/api/app.ts';
import { TokenStore, type Role } from '../../services/api/auth/tokens.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { contractDayRentUsd } from '../../services/finance/contracts.ts';
import { csvCell } from '../../services/lib/csv.ts';
import { FinanceService } from '../../services/finance/finance-service.ts';
import type { LedgerJob } from '../../services/finance/ledger-service.ts';
import { logger } from '../../services/lib/log.ts';
import { createQueue } from '../../services/queue/index.ts';
import { openStore, type RecordsStore } from '../../services/store/sqlite.ts';
import { createHistory } from '../../services/telemetry/index.ts';
import type { TelemetryHistory } from '../../services/telemetry/history.ts';

/**
 * /api/finance/* over a real SQLite store and history: the ledger computed from history points
 * for one past day, checked against paper; roles, unknown keys (400), impossible ranges (422), CSV.
 */

const DAY = 86_400_000;
const day = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
let dataDir: string;
let store: RecordsStore;
let history: TelemetryHistory;
let app: FastifyInstance;
let finance: FinanceService;
const secrets = {} as Record<Role, string>;
const get = (url: string, as?: Role) => app.inject({ method: 'GET', url, headers: as ? { authorization: `Bearer ${secrets[as]}` } : {} });

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'finance-api-'));
  store = openStore({ dataDir });
  history = createHistory({ dataDir, env: {} });
  const site = loadSiteFile('infra/sites/demo.yaml');
  // B1 all day: 27.6 MW and 1,500 PH/s, one reading per hour (hh:30).
  await history.write(
    Array.from({ length: 24 }, (_, h) => ({ measurement: 'block', tags: { block: 'B1', state: 'mining' }, fields: { power_w: 27.6e6, hashrate_hs: 1500e15 }, atMs: day + h * 3_600_000 + 1_800_000 })),
  );
  await history.flush();
  finance = new FinanceService({ site, sitePath: 'infra/sites/demo.yaml', db: store.db, history, queue: createQueue<LedgerJob>('finance-test', { env: {} }), companyPath: 'infra/sites/demo-company.yaml', log: logger('finance') });
  await finance.start();
  await finance.computeDay(day);
  const tokens = new TokenStore(store.db);
  app = await buildApp({ site, db: store.db, history, kinds: { store: 'sqlite', queue: 'memory' }, version: 'test', tokens, finance });
  await app.ready();
  for (const role of ['viewer', 'operator', 'finance', 'admin'] as const) secrets[role] = (await tokens.create({ name: `t-${role}`, role })).secret;
});

after(async () => {
  await finance.stop();
  await app.close();
  await history.close();
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('margins for one day from the history, to the cent', async () => {
  // B1: 27.6 MW × 24 h = 662.400 MWh. Prices: the demo's hour-of-day profile (Chicago time),
  // every hour once: Σ = 863 $/MWh-hours → energy 27.6 × 863 = 23,818.80.
  // Mining: 1,500 PH/s × $45 (the site's stated hashprice) × 1 day × (1 − 0.02) = 66,150.00.
  // Margin 66,150.00 − 23,818.80 = 42,331.20; per MW-day 42,331.20 / 30 MW = 1,411.04;
  // per MWh 42,331.20 / 662.4 = 63.91.
  const r = await get(`/api/finance/margins?from=${iso(day)}&to=${iso(day + DAY)}&groupBy=block`, 'finance');
  assert.equal(r.statusCode, 200, r.body);
  const b1 = (r.json() as { groups: Record<string, unknown>[] }).groups.find((g) => g.key === 'B1')!;
  assert.equal(b1.meteredMwh, 662.4);
  assert.equal(b1.energyCostUsd, 23_818.8);
  assert.equal(b1.miningRevenueUsd, 66_150);
  assert.equal(b1.marginUsd, 42_331.2);
  assert.equal(b1.marginUsdPerMwDay, 1_411.04);
  assert.equal(b1.marginUsdPerMwh, 63.91);
  assert.equal(b1.provisional, false);
});

test("the current day's provisional figure, hour by hour", async () => {
  // A ledger whose clock reads 03:00 on \`current\` (yesterday, so the readings are in the past):
  // B2 read at 00:30 and 01:30 UTC, 27.6 MW and 1,500 PH/s. The day row is provisional and
  // each hour has its own row.
  const current = Math.floor(Date.now() / DAY) * DAY - DAY;
  await history.write([0, 1].map((h) => ({ measurement: 'block', tags: { block: 'B2', state: 'mining' }, fields: { power_w: 27.6e6, hashrate_hs: 1500e15 }, atMs: current + h * 3_600_000 + 1_800_000 })));
  const early = new FinanceService({ site: loadSiteFile('infra/sites/demo.yaml'), sitePath: 'infra/sites/demo.yaml', db: store.db, history, queue: createQueue<LedgerJob>('finance-test-early', { env: {} }), companyPath: null, log: logger('finance'), now: () => current + 3 * 3_600_000 });
  await early.start();
  await early.computeDay(current);
  await early.stop();
  const r = await get(`/api/finance/margins?from=${iso(current)}&to=${iso(current + DAY)}&groupBy=hour`, 'finance');
  assert.equal(r.statusCode, 200, r.body);
  const groups = (r.json() as { groups: { key: string; meteredMwh: number; miningRevenueUsd: number; provisional: boolean }[] }).groups;
  assert.deepEqual(groups.map((g) => g.key), [`${iso(current)}T00:00Z`, `${iso(current)}T01:00Z`]);
  // An hour of 1,500 PH/s at $45/PH/day, 2 % fee: 1,500 × 45 / 24 × 0.98 = 2,756.25.
  assert.deepEqual(groups.map((g) => [g.meteredMwh, g.miningRevenueUsd, g.provisional]), [[27.6, 2_756.25, true], [27.6, 2_756.25, true]]);
  const day = await get(`/api/finance/margins?from=${iso(current)}&to=${iso(current + DAY)}&groupBy=day`, 'finance');
  assert.equal((day.json() as { groups: { provisional: boolean }[] }).groups[0]!.provisional, true);
  // B7 (colo-1, its only block) books the rent of the hours so far: 00:00–04:00 is 4/24 of the
  // day's rent (contractDayRentUsd, hand-checked in finance-cases).
  const colo = loadSiteFile('infra/sites/demo.yaml').contracts.find((c) => c.id === 'colo-1')!;
  const b7 = (await get(`/api/finance/margins?from=${iso(current)}&to=${iso(current + DAY)}&groupBy=block&block=B7`, 'finance')).json() as { groups: { aiRevenueUsd: number }[] };
  assert.equal(b7.groups[0]!.aiRevenueUsd, Math.round(((contractDayRentUsd(colo, current) * 4) / 24) * 100) / 100);
});

test('roles: finance and admin read the detail, viewers the summary only', async () => {
  const url = `/api/finance/margins?from=${iso(day)}&to=${iso(day + DAY)}`;
  assert.equal((await get(url, 'admin')).statusCode, 200);
  assert.equal((await get(url, 'viewer')).statusCode, 403);
  assert.equal((await get(url, 'operator')).statusCode, 403);
  assert.equal((await get(url)).statusCode, 401);
  assert.equal((await get('/api/finance/debt', 'viewer')).statusCode, 403);
  assert.equal((await get('/api/finance/covenants', 'viewer')).statusCode, 403);
  const s = await get('/api/finance/summary', 'viewer');
  assert.equal(s.statusCode, 200, s.body);
  assert.equal((s.json() as { debt: { available: boolean } }).debt.available, true);
});

test('unknown query keys are 400; impossible ranges 422 with the reason', async () => {
  assert.equal((await get(`/api/finance/margins?from=${iso(day)}&to=${iso(day + DAY)}&colour=red`, 'finance')).statusCode, 400);
  assert.equal((await get('/api/finance/debt?colour=red', 'finance')).statusCode, 400);
  assert.equal((await get(`/api/finance/margins?from=${iso(day)}&to=${iso(day + DAY)}&groupBy=site`, 'finance')).statusCode, 400);
  const backwards = await get(`/api/finance/margins?from=${iso(day + DAY)}&to=${iso(day)}`, 'finance');
  assert.equal(backwards.statusCode, 422);
  assert.match(backwards.body, /must be after from/);
  const notADate = await get('/api/finance/margins?from=2026-02-30&to=2026-03-05', 'finance');
  assert.equal(notADate.statusCode, 422, notADate.body);
  const tooLong = await get('/api/finance/margins?from=2000-01-01&to=2026-01-01', 'finance');
  assert.equal(tooLong.statusCode, 422);
  assert.match(tooLong.body, /at most 3660/);
});

test('debt and covenants as JSON and CSV; CSV cells that could be formulas are escaped', async () => {
  const d = await get('/api/finance/debt', 'finance');
  assert.equal(d.statusCode, 200, d.body);
  const j = d.json() as { covenants: { breaksAtBtcUsd: number | null }[]; btcLoans: { marginCallBtcUsd: number }[] };
  assert.equal(j.covenants.length, 3);
  assert.equal(j.btcLoans[0]!.marginCallBtcUsd, 80_000);
  const c = await get('/api/finance/covenants?format=csv', 'finance');
  assert.equal(c.statusCode, 200);
  assert.match(c.headers['content-type'] as string, /^text\/csv/);
  assert.match(c.body, /^instrumentId,kind,threshold,worst,firstBreach,breaksAtBtcUsd,breaksAtHashpriceUsdPerPhDay,btcPriceUsdToday,headroomPct,note\r\n/);
  assert.match(c.body, /\r\nBTC-LOAN-1,max-ltv,70,65\.2174,,85714\.29,/);
  const m = await get(`/api/finance/margins?from=${iso(day)}&to=${iso(day + DAY)}&groupBy=contract&format=csv`, 'finance');
  assert.match(m.body, /^contract,days,/);
  // A text cell starting = + - @ is prefixed with ' (quoted where it has a comma); numbers stay numbers.
  assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvCell('+1+1'), "'+1+1");
  assert.equal(csvCell('-571650.00'), '-571650.00'); // a formatted amount is a number, not a formula
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell(-1234.5), '-1234.5');
});
