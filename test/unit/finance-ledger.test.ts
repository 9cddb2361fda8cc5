import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { EventRecord } from '../../services/curtailment/event-record.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { ledgerDay } from '../../services/finance/ledger-day.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';

/**
 * One ledger day from a real SQLite history and a curtailment event record: the
 * demand-response credit split over the blocks that shed, the restart cost of each block the
 * event restored, and the day's margin, worked out on paper first.
 */

const dir = mkdtempSync(join(tmpdir(), 'finance-ledger-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DAY = Date.parse('2026-11-10T00:00:00Z');
const H = 3_600_000;
const cents = (x: number) => Math.round(x * 100) / 100;

test('a day with a demand-response event: credits, restarts and margin to the cent', async () => {
  const site = loadSiteFile('test/support/finance/site.yaml');
  site.dispatch!.demandResponse = [{ program: 'ERS', start: new Date(DAY + 17 * H).toISOString(), end: new Date(DAY + 19 * H).toISOString(), creditUsdPerMwh: 50 }];
  const history = new SqliteHistory({ path: join(dir, 'history.db'), now: () => DAY + 2 * 86_400_000 });
  await history.write(
    Array.from({ length: 24 }, (_, h) => ({ measurement: 'block', tags: { block: 'B1', state: 'mining' }, fields: { power_w: 50_000, hashrate_hs: 2.9e15 }, atMs: DAY + h * H + 1_800_000 })),
  );
  // Revenue meter: baseline 100 kW, 40 kW from 17:00 to 19:00 → 60 kW × 2 h = 0.12 MWh curtailed.
  const event: EventRecord = {
    id: 'ev-1',
    program: 'grid-dispatch',
    status: 'done',
    target: { shedMw: 0.06 },
    allowAi: false,
    baselineW: 100_000,
    baselineWindowMs: 900_000,
    timeline: [
      { kind: 'signal-received', atMs: DAY + 17 * H },
      { kind: 'restore-end', atMs: DAY + 19 * H },
    ],
    meterSamples: [
      { atMs: DAY + 17 * H, loadW: 40_000 },
      { atMs: DAY + 19 * H, loadW: 40_000 },
    ],
    devices: [
      { deviceId: 'm1', blockId: 'B1', phase: 'shed', action: 'sleep', expectedDeltaW: -40_000, sentAtMs: DAY + 17 * H, ackAtMs: DAY + 17 * H, outcome: 'acked' },
      { deviceId: 'm2', blockId: 'B2', phase: 'shed', action: 'sleep', expectedDeltaW: -20_000, sentAtMs: DAY + 17 * H, ackAtMs: DAY + 17 * H, outcome: 'acked' },
      { deviceId: 'm1', blockId: 'B1', phase: 'restore', action: 'wake', expectedDeltaW: 40_000, sentAtMs: DAY + 19 * H, ackAtMs: DAY + 19 * H, outcome: 'acked' },
      { deviceId: 'm2', blockId: 'B2', phase: 'restore', action: 'wake', expectedDeltaW: 20_000, sentAtMs: DAY + 19 * H, ackAtMs: DAY + 19 * H, outcome: 'acked' },
    ] as EventRecord['devices'],
  };
  const profile = site.dispatch!.priceProfileUsdPerMwh!;
  const day = await ledgerDay(
    {
      site,
      history,
      spotAt: (ms) => profile[(new Date(ms).getUTCHours() + 18) % 24], // Chicago = UTC − 6 in November
      marketOn: () => ({ hashpriceUsdPerPhDay: 45, btcPriceUsd: 90_000 }),
      events: () => [event],
    },
    DAY,
    DAY + 2 * 86_400_000,
  );
  await history.close();
  assert.equal(day.status, 'final');
  const b1 = day.days.find((r) => r.blockId === 'B1')!;
  const b2 = day.days.find((r) => r.blockId === 'B2')!;
  // Credit 0.12 MWh × $50 = $6.00, split by load shed 40 : 20 → B1 $4.00, B2 $2.00.
  assert.equal(cents(b1.creditsUsd), 4);
  assert.equal(cents(b2.creditsUsd), 2);
  // Restart at 15 $/MW of gross: B1 (28,000 + 13,764 + 6,460 + 6,020 W) × 1.05 = 56,956.2 W →
  // 0.0569562 × 15 = $0.85; B2 22,704 W × 1.04 = 23,612.16 W → 0.02361216 × 15 = $0.35.
  assert.equal(cents(b1.restartCostUsd), 0.85);
  assert.equal(cents(b2.restartCostUsd), 0.35);
  // B1: 0.05 MW × 24 h = 1.2 MWh; each profile hour once: 0.05 × 863 = $43.15 energy;
  // mining 2.9 PH/s × $45 × 0.98 = $127.89; margin 127.89 + 4.00 − 43.15 − 0.854343 = $87.89.
  assert.equal(cents(b1.meteredMwh), 1.2);
  assert.equal(cents(b1.energyCostUsd), 43.15);
  assert.equal(cents(b1.miningRevenueUsd), 127.89);
  assert.equal(cents(b1.marginUsd), 87.89);
  // B2 has no telemetry that day: no hours measured, no made-up energy, only the event's money.
  assert.equal(b2.hoursMeasured, 0);
  assert.equal(b2.meteredMwh, 0);
  assert.equal(cents(b2.marginUsd), 1.65);
});

test('recomputing a day replaces its rows: a block that now has no data is gone, not left stale', async () => {
  const { openStore } = await import('../../services/store/sqlite.ts');
  const { LedgerStore } = await import('../../services/finance/ledger-store.ts');
  const { ledgerRow } = await import('../../services/finance/ledger.ts');
  const store = openStore({ path: join(dir, 'records.db') });
  const ledger = new LedgerStore(store.db);
  const row = (blockId: string, powerW: number) =>
    ledgerRow({ blockId, startMs: DAY, periodHours: 24, capacityMw: 1, hours: [{ atMs: DAY, powerW, hashrateHs: null, priceUsdPerMwh: 10 }], hashpriceUsdPerPhDay: 45, btcPriceUsd: null, poolFee: 0.02, creditsUsd: 0, restartCostUsd: 0 });
  ledger.replaceDay('s', DAY, [row('B1', 1e6), row('B2', 2e6)], [row('B1', 1e6)], 'provisional', DAY);
  ledger.replaceDay('s', DAY, [row('B1', 3e6)], [], 'final', DAY + 86_400_000);
  // 3 MW for one hour at $10/MWh: energy 30.00, margin −30.00; B2 and the hourly row are gone.
  assert.deepEqual(ledger.rows(DAY, DAY + 86_400_000, 24).map((r) => [r.blockId, r.status, r.energyCostUsd, r.marginUsd]), [['B1', 'final', 30, -30]]);
  assert.deepEqual(ledger.rows(DAY, DAY + 86_400_000, 1), []);
  store.close();
});

test('under a PPA each block pays the site\'s blended price: the PPA block, its unused part resold, spot above it', async () => {
  const site = loadSiteFile('test/support/finance/site.yaml');
  site.dispatch!.ppa = { mw: 0.08, priceUsdPerMwh: 30, resaleDiscountUsdPerMwh: 5 };
  const history = new SqliteHistory({ path: join(dir, 'ppa-history.db'), now: () => DAY + 2 * 86_400_000 });
  await history.write(Array.from({ length: 24 }, (_, h) => ({ measurement: 'block', tags: { block: 'B1', state: 'mining' }, fields: { power_w: 50_000 }, atMs: DAY + h * H + 1_800_000 })));
  const profile = site.dispatch!.priceProfileUsdPerMwh!;
  const day = await ledgerDay(
    { site, history, spotAt: (ms) => profile[(new Date(ms).getUTCHours() + 18) % 24], marketOn: () => ({ hashpriceUsdPerPhDay: 45, btcPriceUsd: null }), events: () => [] },
    DAY,
    DAY + 2 * 86_400_000,
  );
  await history.close();
  // Each hour, load 0.05 MW under a 0.08 MW PPA at $30: bill = 0.08 × 30 − 0.03 × (spot − 5)
  // = 2.55 − 0.03 × spot. Over the day (the profile's hours sum to 863): 24 × 2.55 − 0.03 × 863
  // = 61.20 − 25.89 = $35.31 for 1.2 MWh → $29.425/MWh paid.
  const b1 = day.days.find((r) => r.blockId === 'B1')!;
  assert.equal(cents(b1.energyCostUsd), 35.31);
  assert.ok(Math.abs(b1.priceUsdPerMwh! - 29.425) < 1e-9, String(b1.priceUsdPerMwh));
});

test('a backfill reads the history a week at a time and gets the same rows as day by day', async () => {
  const { openStore } = await import('../../services/store/sqlite.ts');
  const { LedgerService } = await import('../../services/finance/ledger-service.ts');
  const { logger } = await import('../../services/lib/log.ts');
  const site = loadSiteFile('test/support/finance/site.yaml');
  const history = new SqliteHistory({ path: join(dir, 'backfill-history.db'), now: () => DAY + 12 * 86_400_000 });
  const points = [];
  for (let h = 0; h < 9 * 24; h++) points.push({ measurement: 'block', tags: { block: 'B1', state: 'mining' }, fields: { power_w: 40_000 + 100 * (h % 24), hashrate_hs: 2e15 }, atMs: DAY + h * H + 1_800_000 });
  await history.write(points);
  const market = { prices: null, pricesPath: null, chain: null, hashprice: 45, hashpriceSource: 'test' };
  const rowsOf = async (name: string, run: (s: InstanceType<typeof LedgerService>) => Promise<unknown>) => {
    const store = openStore({ path: join(dir, `${name}.db`) });
    const svc = new LedgerService({ site, db: store.db, history, market, btcPriceUsd: 90_000, log: logger('ledger'), now: () => DAY + 12 * 86_400_000 });
    await run(svc);
    const rows = svc.store.rows(DAY, DAY + 9 * 86_400_000, 24).map((r) => [r.blockId, r.startMs, r.meteredMwh, r.energyCostUsd, r.marginUsd]);
    store.close();
    return rows;
  };
  // 9 days: a 7-day read and a 2-day read.
  const chunked = await rowsOf('chunked', (s) => s.backfill(DAY, DAY + 9 * 86_400_000));
  const daily = await rowsOf('daily', async (s) => {
    for (let d = 0; d < 9; d++) await s.computeDay(DAY + d * 86_400_000);
  });
  await history.close();
  assert.equal(chunked.length, 9 * 2); // B1 and B3 (the AI pod's rent) each day
  assert.deepEqual(chunked, daily);
});
