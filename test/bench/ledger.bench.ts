// Realised margin ledger from the history: LedgerService.backfill (per day: hourly means of
// block power and hashrate from the SQLite history, prices, the ledger arithmetic per block,
// rows upserted into the records store) against the peer, a bare SQL aggregate over the same
// history rows (per block per day: Σ hourly mean power and mean hashrate, one GROUP BY).
// Default: 30 days × 100 blocks, short. The full size from the issue, 1 year × 1,000 blocks:
//   LEDGER_BENCH_DAYS=365 LEDGER_BENCH_BLOCKS=1000 npm run bench ledger
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { LedgerService } from '../../services/finance/ledger-service.ts';
import { logger } from '../../services/lib/log.ts';
import { openStore } from '../../services/store/sqlite.ts';
import type { TelemetryPoint } from '../../services/telemetry/history.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';

const DAYS = Number(process.env.LEDGER_BENCH_DAYS ?? 30);
const BLOCKS = Number(process.env.LEDGER_BENCH_BLOCKS ?? 100);
const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);
const PROFILE = [22, 20, 19, 18, 19, 24, 31, 36, 33, 27, 21, 16, 12, 11, 14, 24, 48, 95, 140, 88, 52, 38, 30, 25];

function site(): SiteFile {
  const blocks = Array.from({ length: BLOCKS }, (_, b) => ({ id: `B${b}`, name: `B${b}`, feed: 'T1', capacityMw: 25, cooling: 'air', state: 'mining', capability: ['mining'], overheadFactor: 1.05, miners: [], gpus: [] }));
  return {
    site: { id: 'bench', name: 'bench', timezone: 'America/Chicago', market: { iso: 'ERCOT', settlementPoint: 'LZ_WEST' }, importLimitMw: BLOCKS * 25, poolFee: 0.02 },
    blocks,
    meters: [],
    contracts: [],
    debt: [],
    dispatch: { hashpriceUsdPerPhDay: 45, priceProfileUsdPerMwh: PROFILE, restartCostUsdPerMw: 15, demandResponse: [], fourCpWindows: [] },
  } as unknown as SiteFile;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-ledger-'));
  const endMs = T0 + DAYS * DAY;
  try {
    const history = new SqliteHistory({ path: join(dir, 'history.db'), now: () => endMs, rollupRetentionMs: (DAYS + 10) * DAY });
    const tw = performance.now();
    let batch: TelemetryPoint[] = [];
    for (let h = 0; h < DAYS * 24; h++) {
      for (let b = 0; b < BLOCKS; b++) {
        batch.push({ measurement: 'block', tags: { block: `B${b}`, state: 'mining' }, fields: { power_w: 20e6 + ((h * 7 + b * 13) % 50) * 1e5, hashrate_hs: 1.1e18 + b * 1e14 }, atMs: T0 + h * HOUR + 1_800_000 });
      }
      if (batch.length >= 20_000) {
        await history.write(batch);
        batch = [];
      }
    }
    if (batch.length) await history.write(batch);
    const rows = DAYS * 24 * BLOCKS;
    console.log(`history: ${DAYS} days × ${BLOCKS} blocks = ${rows.toLocaleString('en-US')} hourly readings (2 fields) written in ${((performance.now() - tw) / 1000).toFixed(1)} s (setup, not measured)`);

    const s = site();
    const store = openStore({ path: join(dir, 'records.db') });
    const ledger = new LedgerService({
      site: s,
      db: store.db,
      history,
      market: { prices: null, pricesPath: null, chain: null, hashprice: 45, hashpriceSource: 'bench' },
      btcPriceUsd: 90_000,
      log: logger('bench'),
      now: () => endMs + DAY,
    });
    const t1 = performance.now();
    const days = await ledger.backfill(T0, endMs);
    const oursMs = performance.now() - t1;
    const check = store.db.prepare('SELECT COUNT(*) AS n, SUM(meteredMwh) AS mwh FROM finance_ledger WHERE periodHours = 24').get() as { n: number; mwh: number };
    store.close();

    // Peer: the same rows, one bare aggregate (hourly means summed to block-days), no money.
    const db = new Database(join(dir, 'history.db'), { readonly: true });
    const t2 = performance.now();
    const peer = db
      .prepare(
        `SELECT json_extract(s.tags, '$.block') AS block, r.bucketMs / ${DAY} AS day, s.field AS field, SUM(r.total * 1.0 / r.n) AS v
         FROM rollup_1m r JOIN series s ON s.id = r.seriesId
         WHERE s.measurement = 'block' AND r.bucketMs >= ? AND r.bucketMs < ?
         GROUP BY block, day, field`,
      )
      .all(T0, endMs) as { block: string; field: string; v: number }[];
    const peerMs = performance.now() - t2;
    db.close();
    const peerMwh = peer.filter((p) => p.field === 'power_w').reduce((a, p) => a + p.v / 1e6, 0);
    await history.close();

    console.log(`ledger (ours): ${days} days × ${BLOCKS} blocks → ${check.n.toLocaleString('en-US')} block-days in ${oursMs.toFixed(0)} ms (${((check.n / oursMs) * 1000).toFixed(0)} block-days/s); ${check.mwh.toFixed(1)} MWh`);
    console.log(`bare SQL aggregate (peer): ${peer.length.toLocaleString('en-US')} block-day-field sums in ${peerMs.toFixed(0)} ms; ${peerMwh.toFixed(1)} MWh`);
    if (Math.abs(check.mwh - peerMwh) > 1e-6 * peerMwh) throw new Error(`ledger MWh ${check.mwh} ≠ peer ${peerMwh}: not the same rows`);
    console.log(`ratio ours/peer: ${(oursMs / peerMs).toFixed(2)}× (the ledger prices every block-hour, adds AI, credits and restarts, and stores the rows)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
