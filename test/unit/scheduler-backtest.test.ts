import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { loadChainHistory, loadPriceFile } from '../../services/market/load.ts';
import { runBacktest } from '../../services/scheduler/backtest/backtest.ts';
import { knownPrices, publishedThrough } from '../../services/scheduler/backtest/information.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const MARKET = resolve(repoRoot, '../shared/fixtures/market');
const URI = resolve(MARKET, 'ercot/ercot_dam_hub_lz_spp_2021-02-10_to_2021-02-21_extract.csv');
const CHARTS = resolve(MARKET, 'blockchain_com_charts_alltime');
const SITE = resolve(repoRoot, 'infra/sites/demo.yaml');
const skip = existsSync(MARKET) ? false : `${MARKET} is absent`;

describe('backtest information', () => {
  it('day-ahead prices for tomorrow are public from 13:30 Central', () => {
    // 2021-02-14 13:29 CST = 19:29Z; 13:31 CST = 19:31Z
    assert.equal(publishedThrough(Date.UTC(2021, 1, 14, 19, 29)), '2021-02-14');
    assert.equal(publishedThrough(Date.UTC(2021, 1, 14, 19, 31)), '2021-02-15');
  });

  it('a real-time decision sees only settled prices and forecasts the last one', () => {
    const prices = [10, 20, 30, 40].map((p, i) => ({ startMs: i * 3_600_000, minutes: 60, priceUsdPerMwh: p }));
    assert.deepEqual(knownPrices(prices, 2, 2, 'real-time').map((p) => p.priceUsdPerMwh), [20, 20]);
  });
});

describe('backtest on Winter Storm Uri (ERCOT DAM, February 2021)', { skip }, () => {
  it('scores the scheduler against always mining, the strike rule and perfect foresight', async () => {
    const site = loadSiteFile(SITE);
    const prices = await loadPriceFile(URI, { settlementPoint: 'LZ_WEST' });
    const chain = await loadChainHistory([resolve(CHARTS, 'bitcoin-all-time-market-price.csv'), resolve(CHARTS, 'bitcoin-all-time-hash-rate.csv')]);
    const { result, meta } = await runBacktest({ site, prices, chain });
    assert.equal(meta.information, 'day-ahead');
    assert.equal(meta.intervals, 288);
    assert.deepEqual(Object.keys(result), ['scheduler', 'alwaysMine', 'strikeRule', 'perfectForesight']);
    assert.equal(result.alwaysMine.capturedRatio, 0);
    assert.equal(result.perfectForesight.capturedRatio, 1);
    for (const s of Object.values(result)) assert.deepEqual(s.violations, []);
    // The acceptance line: never below the strike-price rule; never above the upper bound.
    assert.ok(result.scheduler.marginUsd >= result.strikeRule.marginUsd, `scheduler ${result.scheduler.marginUsd} < strike rule ${result.strikeRule.marginUsd}`);
    assert.ok(result.scheduler.marginUsd <= result.perfectForesight.marginUsd + 1e-6);
    assert.ok(result.strikeRule.marginUsd > result.alwaysMine.marginUsd, 'curtailing through Uri beats mining through it');
    assert.ok(result.scheduler.curtailedMwh > 10_000, 'the miners sat out the storm');
  });

  it('switchyard backtest --json prints one object keyed by strategy', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [resolve(repoRoot, 'services/cli/bin.js'), 'backtest', '--site', SITE, '--prices', URI, '--chain', CHARTS, '--json'], { cwd: repoRoot });
    const out = JSON.parse(stdout) as Record<string, { marginUsd: number; capturedRatio: number | null }>;
    assert.deepEqual(Object.keys(out), ['scheduler', 'alwaysMine', 'strikeRule', 'perfectForesight']);
    for (const s of Object.values(out)) {
      assert.equal(typeof s.marginUsd, 'number');
      assert.ok(s.capturedRatio === null || typeof s.capturedRatio === 'number');
    }
  });
});
