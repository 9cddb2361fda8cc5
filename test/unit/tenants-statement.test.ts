import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { openStore } from '../../services/store/sqlite.ts';
import type { TelemetryPoint } from '../../services/telemetry/history.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';
import { availability, type HostReport } from '../../services/tenants/availability.ts';
import { monthBoundsMs, type TenantContract } from '../../services/tenants/contract.ts';
import { loadTenantFile, TenantLedger } from '../../services/tenants/ledger.ts';
import { statementCsv, statementFor } from '../../services/tenants/statement.ts';

/**
 * Tenant statements against paper. Every figure below is worked by hand in the comments;
 * the code must land on the same cent.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const site = loadSiteFile(join(root, 'test/support/sites/ai-hall.yaml'));
const tenants = loadTenantFile(join(root, 'test/support/tenants/ai-hall-tenants.yaml'));
const colo = tenants.contracts.find((c) => c.id === 'colo-fluid') as TenantContract;
const cloud = tenants.contracts.find((c) => c.id === 'cloud-msft') as TenantContract;
const amounts = (s: { lines: Array<{ code: string; amountUsd: number }> }) => Object.fromEntries(s.lines.map((l) => [l.code, l.amountUsd]));

describe('tenant statements match paper to the cent', () => {
  test('pass-through colocation lease, March 2027 (term month 15, contract year 2)', () => {
    const s = statementFor(colo, '2027-03', { meteredKwh: 40_123_456.7, availabilityPct: 99.95 });
    // Ramp: 60,000 kW from 2027-01. Year-2 rate: 185 × 1.03 = 190.55 $/kW-month.
    // Rent: 60,000 × 190.55 = 11,433,000.00
    // Power: 40,123,456.7 kWh × PUE 1.2 = 48,148,148.04 kWh × 0.0425 = 2,046,296.2917 → 2,046,296.29
    // SLA: 99.95 < 99.99 → 5 % (not below 99.9): 11,433,000.00 × 0.05 = 571,650.00
    // Total: 11,433,000.00 + 2,046,296.29 − 571,650.00 = 12,907,646.29
    assert.equal(s.termMonth, 15);
    assert.equal(s.contractYear, 2);
    assert.deepEqual(amounts(s), { rent: 11_433_000, 'power-pass-through': 2_046_296.29, 'sla-credit': -571_650 });
    assert.equal(s.totalUsd, 12_907_646.29);
    assert.deepEqual(s.guarantor, { name: 'Backstop Holdings', capUsd: 1_400_000_000 });
    const csv = statementCsv(s).trim().split('\n');
    assert.equal(csv.length, 5);
    assert.match(csv[1] as string, /^fluid,colo-fluid,2027-03,rent,.*,11433000\.00$/);
    assert.match(csv[4] as string, /,total,.*,12907646\.29$/);
  });

  test('GPU-cloud contract with prepayment, February 2027 (28 days)', () => {
    const s = statementFor(cloud, '2027-02', { meteredKwh: 123_456, availabilityPct: 99.7 });
    // Ramp: 9,216 GPUs from 2027-02. Hours: 28 × 24 = 672. GPU-hours: 9,216 × 672 = 6,193,152.
    // Capacity: 6,193,152 × 2.35 = 14,553,907.20
    // SLA: 99.7 < 99.9 → 10 % (not below 99.5): 1,455,390.72
    // Power: included → no line, whatever was metered.
    // Prepayment drawdown: 500,000,000 / 60 = 8,333,333.333… → 8,333,333.33
    // Total: 14,553,907.20 − 1,455,390.72 − 8,333,333.33 = 4,765,183.15
    assert.deepEqual(amounts(s), { 'gpu-capacity': 14_553_907.2, 'sla-credit': -1_455_390.72, 'prepayment-drawdown': -8_333_333.33 });
    assert.equal(s.totalUsd, 4_765_183.15);
    assert.equal(s.operatorPowerCostUsd, 0);
  });

  test('ramp, escalator and term bounds', () => {
    // 2026-06 is still on the first ramp step (20,000 kW), year 1: 20,000 × 185 = 3,700,000.00; no credit at 100 %.
    assert.equal(statementFor(colo, '2026-06', { meteredKwh: 0, availabilityPct: 100 }).totalUsd, 3_700_000);
    // 2028-01: term month 25, year 3: 185 × 1.03² = 196.2665 → 60,000 × 196.2665 = 11,775,990.00
    assert.equal(statementFor(colo, '2028-01', { meteredKwh: 0, availabilityPct: 100 }).totalUsd, 11_775_990);
    assert.throws(() => statementFor(colo, '2025-12', { meteredKwh: 0, availabilityPct: 100 }), /outside its term/);
    // Steps are not summed: at 98 % the largest missed step (25 %, below 99.0) applies: 3,700,000 × 0.25 = 925,000.00.
    assert.equal(amounts(statementFor(colo, '2026-06', { meteredKwh: 0, availabilityPct: 98 }))['sla-credit'], -925_000);
  });
});

describe('availability from a month of readings', () => {
  const HOSTS = ['gh-a1-01', 'gh-a1-02'];
  const { startMs, endMs } = monthBoundsMs('2026-04');
  const STEP = 5 * 60_000;
  const HOUR = 3_600_000;
  // gh-a1-01 hangs for 6 h from 2026-04-10 00:00 (72 intervals, no readings);
  // gh-a1-02 runs hot (91 °C > 85) 2026-04-20 12:00–13:00 (12 intervals)
  // and its agent is cut off 2026-04-25 10:00–10:30 (6 intervals, no readings).
  const hang = { from: Date.UTC(2026, 3, 10), to: Date.UTC(2026, 3, 10, 6) };
  const hot = { from: Date.UTC(2026, 3, 20, 12), to: Date.UTC(2026, 3, 20, 13) };
  const gap = { from: Date.UTC(2026, 3, 25, 10), to: Date.UTC(2026, 3, 25, 10, 30) };
  const inside = (t: number, w: { from: number; to: number }) => t >= w.from && t < w.to;

  function* month(): Generator<{ host: string; atMs: number; temp: number }> {
    for (let t = startMs; t < endMs; t += STEP) {
      if (!inside(t, hang)) yield { host: 'gh-a1-01', atMs: t + 60_000, temp: 70 };
      if (!inside(t, gap)) yield { host: 'gh-a1-02', atMs: t + 60_000, temp: inside(t, hot) ? 91 : 72 };
    }
  }

  // Hand calculation: April has 30 × 288 = 8,640 intervals; 2 hosts → 17,280 host-intervals.
  // Lost: 72 (hang) + 12 (hot) + 6 (gap) = 90. Available 17,190 / 17,280 = 99.479166… %.
  // Credit: 99.4792 < 99.9 → 10 %; not below 99.0. Rent (20,000 kW × 185) 3,700,000.00 → credit 370,000.00.
  // Energy: each reading is 5,000 W; hourly means × 1 h: host 1 has 720 − 6 = 714 hours with data,
  // host 2 all 720 (the 30-minute gap leaves half an hour of data in its hour): (714 + 720) × 5 kWh = 7,170 kWh.
  // Power: 7,170 × 1.2 = 8,604 kWh × 0.0425 = 365.67.  Total: 3,700,000.00 + 365.67 − 370,000.00 = 3,330,365.67.

  test('pure: the reports give 17,190 of 17,280 host-intervals', () => {
    const reports: HostReport[] = [...month()].map((r) => ({ host: r.host, atMs: r.atMs, up: true, maxGpuTempC: r.temp }));
    const a = availability({ startMs, endMs, intervalMinutes: 5, maxGpuTempC: 85, hosts: HOSTS, reports });
    assert.equal(a.hostIntervals, 17_280);
    assert.equal(a.availableHostIntervals, 17_190);
    assert.deepEqual(a.lost, { noReport: 78, down: 0, tooHot: 12 });
    assert.equal(a.availabilityPct, (100 * 17_190) / 17_280);
  });

  const dir = mkdtempSync(join(tmpdir(), 'tenants-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('through the history and the ledger: availability 99.4792 %, credit 370,000.00, statement 3,330,365.67', async () => {
    const history = new SqliteHistory({ path: join(dir, 'history.db'), rollupRetentionMs: 60 * 86_400_000, now: () => endMs + HOUR });
    const store = openStore({ dataDir: dir });
    try {
      const points: TelemetryPoint[] = [...month()].map((r) => ({
        measurement: 'gpu_host',
        tags: { host: r.host, block: 'A1', tenant: 'colo-fluid' },
        fields: { gpus_online: 8, power_w: 5_000, max_temp_c: r.temp },
        atMs: r.atMs,
      }));
      for (let i = 0; i < points.length; i += 5_000) await history.write(points.slice(i, i + 5_000));
      const ledger = new TenantLedger(store.db, history, site);
      ledger.upsert(tenants.contracts);
      assert.deepEqual(ledger.contracts().map((c) => c.id), ['colo-fluid', 'cloud-msft']);
      const st = await ledger.statement('fluid', '2026-04', endMs + HOUR);
      const m = st.measures[0];
      assert.deepEqual(m?.hosts, HOSTS);
      assert.equal(m?.availability.availableHostIntervals, 17_190);
      assert.equal(m?.meteredKwh, 7_170);
      const s = st.statements[0];
      assert.equal(s?.availabilityPct, 99.4792);
      assert.deepEqual(s && amounts(s), { rent: 3_700_000, 'power-pass-through': 365.67, 'sla-credit': -370_000 });
      assert.equal(st.totalUsd, 3_330_365.67);
      await assert.rejects(ledger.statement('nobody', '2026-04'), /no tenant "nobody"/);
      await assert.rejects(ledger.statement('fluid', '2026-4'), /not YYYY-MM/);
    } finally {
      store.close();
      await history.close();
    }
  });
});
