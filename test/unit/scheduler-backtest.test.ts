import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { loadChainHistory, loadPriceFile } from '../../services/market/load.ts';
import { runBacktest } from '../../services/scheduler/backtest/backtest.ts';
import { knownPrices, publishedThrough } from '../../services/scheduler/backtest/information.ts';
import { requireFixtures } from '../support/fixtures.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const MARKET = resolve(repoRoot, '../shared/fixtures/market');
const URI = resolve(MARKET, 'ercot/ercot_dam_hub_lz_spp_2021-02-10_to_2021-02-21_extract.csv');
const CHARTS = resolve(MARKET, 'blockchain_com_charts_alltime');
const SITE = resolve(repoRoot, 'infra/sites/demo.yaml');
const skip = requireFixtures(MARKET);

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
  let heuristics: { alwaysMine: number; strikeRule: number } | undefined;
  it('scores the scheduler against always mining, the strike rule and perfect foresight', async () => {
    const site = loadSiteFile(SITE);
    const prices = await loadPriceFile(URI, { settlementPoint: 'LZ_WEST' });
    const chain = await loadChainHistory([resolve(CHARTS, 'bitcoin-all-time-market-price.csv'), resolve(CHARTS, 'bitcoin-all-time-hash-rate.csv')]);
    const { result, meta } = await runBacktest({ site, prices, chain });
    assert.equal(meta.information, 'day-ahead');
    assert.equal(meta.intervals, 288);
    assert.deepEqual(Object.keys(result), ['scheduler', 'alwaysMine', 'strikeRule', 'perfectForesight']);
    // capturedRatio is 0 for always mining and 1 for perfect foresight by its definition; what
    // can be wrong is where the others fall. The scheduler's, from its margin by hand:
    // (scheduler − alwaysMine) / (perfectForesight − alwaysMine).
    const floor = result.alwaysMine.marginUsd;
    const top = result.perfectForesight.marginUsd;
    assert.ok(top > floor, 'flexibility is worth something in Uri');
    const ratio = (m: number) => (m - floor) / (top - floor);
    assert.ok(Math.abs((result.scheduler.capturedRatio ?? NaN) - ratio(result.scheduler.marginUsd)) < 1e-12);
    assert.ok(Math.abs((result.strikeRule.capturedRatio ?? NaN) - ratio(result.strikeRule.marginUsd)) < 1e-12);
    assert.ok((result.strikeRule.capturedRatio ?? NaN) > 0, 'the strike rule captures part of the value');
    assert.ok((result.scheduler.capturedRatio ?? NaN) >= (result.strikeRule.capturedRatio ?? NaN), 'the scheduler captures at least what the strike rule does');
    assert.ok((result.scheduler.capturedRatio ?? NaN) <= 1 + 1e-9);
    heuristics = { alwaysMine: result.alwaysMine.marginUsd, strikeRule: result.strikeRule.marginUsd };
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
    // Always mining and the strike rule involve no solver, so the CLI must print the same
    // margins as the in-process run above (to the cent).
    assert.ok(heuristics, 'the in-process backtest ran first');
    assert.equal(out.alwaysMine?.marginUsd.toFixed(2), heuristics.alwaysMine.toFixed(2));
    assert.equal(out.strikeRule?.marginUsd.toFixed(2), heuristics.strikeRule.toFixed(2));
    for (const [name, s] of Object.entries(out)) assert.ok(s.capturedRatio !== null && s.capturedRatio >= -1e-9 && s.capturedRatio <= 1 + 1e-9, `${name}: ${s.capturedRatio}`);
  });
});
