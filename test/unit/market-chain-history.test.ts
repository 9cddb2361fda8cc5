import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { estimateBlockHeight, HEIGHT_ANCHORS } from '../../services/market/block-height.ts';
import { parseBlockchainChart, type ChartSeries } from '../../services/market/blockchain-com.ts';
import { blockSubsidyBtc, hashpriceUsdPerPhDay } from '../../services/market/chain.ts';
import { buildChainHistory, chainDayAt, hashpriceAt, type ChainDay } from '../../services/market/chain-history.ts';
import { loadChainHistory } from '../../services/market/load.ts';
import { requireFixtures } from '../support/fixtures.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = resolve(repoRoot, '../shared/fixtures');
const CHARTS = join(FIXTURES, 'market', 'blockchain_com_charts_alltime');
const skip = requireFixtures(FIXTURES);
const DAY = 86_400_000;
const day = (isoDate: string) => Date.parse(`${isoDate}T00:00:00Z`);
const series = (metric: string, unit: string, points: Array<[string, number]>): ChartSeries => ({ metric, unit, points: points.map(([t, value]) => ({ timeMs: Date.parse(t), value })) });
const dayOf = (h: readonly ChainDay[], isoDate: string) => h.find((d) => d.dayStartMs === day(isoDate)) as ChainDay;

describe('block height from a date', () => {
  test('exact at the anchors; halvings land on their dates; 144/day after the last anchor', () => {
    for (const a of HEIGHT_ANCHORS) assert.equal(estimateBlockHeight(a.timeMs), a.height);
    assert.equal(blockSubsidyBtc(estimateBlockHeight(Date.parse('2024-04-20T00:09:26Z'))), 6.25);
    assert.equal(blockSubsidyBtc(estimateBlockHeight(Date.parse('2024-04-20T00:09:27Z'))), 3.125);
    assert.equal(blockSubsidyBtc(estimateBlockHeight(day('2016-07-09'))), 25);
    assert.equal(blockSubsidyBtc(estimateBlockHeight(day('2016-07-10'))), 12.5);
    assert.equal(estimateBlockHeight(Date.parse('2024-04-30T00:09:27Z')), 841_440);
    assert.equal(estimateBlockHeight(day('2009-01-01')), 0);
  });
});

describe('chain history from synthetic series', () => {
  const price = series('market-price', 'USD/BTC', [
    ['2021-02-01T00:00:00Z', 30000],
    ['2021-02-04T00:00:00Z', 40000],
    ['2021-02-05T12:00:00Z', 50000], // mid-day: applies from 02-06, never to 02-05
  ]);
  // A series covers days from its first sample through the day of its last one.
  const hashRate = series('hash-rate', 'H/s', [
    ['2021-01-31T23:00:00Z', 150e18],
    ['2021-02-06T00:00:00Z', 150e18],
  ]);

  test('carry-forward is a step on the last sample at or before each day: never a later one', () => {
    const h = buildChainHistory({ marketPrice: price, hashRate });
    assert.deepEqual(
      h.map((d) => [new Date(d.dayStartMs).toISOString().slice(0, 10), d.btcPriceUsd]),
      [
        ['2021-02-01', 30000],
        ['2021-02-02', 30000],
        ['2021-02-03', 30000],
        ['2021-02-04', 40000],
        ['2021-02-05', 40000],
        ['2021-02-06', 50000],
      ],
      'from the first day both cover to the last; each value carried until the next sample',
    );
  });

  test('a later sample does not change earlier days', () => {
    const early = buildChainHistory({ marketPrice: price, hashRate });
    const withLater = buildChainHistory({
      marketPrice: { ...price, points: [...price.points, { timeMs: day('2021-02-09'), value: 1 }] },
      hashRate: { ...hashRate, points: [hashRate.points[0], { timeMs: day('2021-02-03') + 1, value: 300e18 }, hashRate.points[1]].filter((p) => p !== undefined) },
    });
    for (const d of early.filter((x) => x.dayStartMs <= day('2021-02-03'))) {
      assert.deepEqual(dayOf(withLater, new Date(d.dayStartMs).toISOString().slice(0, 10)), d);
    }
    assert.notEqual(dayOf(withLater, '2021-02-04').difficulty, dayOf(early, '2021-02-04').difficulty);
  });

  test('difficulty from its own series where it covers, from hash rate elsewhere; formula values', () => {
    const difficulty = series('difficulty', 'dimensionless', [['2021-02-03T00:00:00Z', 21e12]]);
    const h = buildChainHistory({ marketPrice: price, hashRate, difficulty, feesPerBlockBtc: 0.5 });
    const d1 = dayOf(h, '2021-02-01');
    assert.equal(d1.difficultySource, 'hash-rate');
    assert.equal(d1.difficulty, (150e18 * 600) / 2 ** 32);
    const d3 = dayOf(h, '2021-02-03');
    assert.equal(d3.difficultySource, 'difficulty');
    assert.equal(d3.difficulty, 21e12);
    assert.equal(d3.subsidyBtc, 6.25);
    assert.equal(d3.feesPerBlockBtc, 0.5);
    assert.equal(d3.hashpriceUsdPerPhDay, hashpriceUsdPerPhDay({ difficulty: 21e12, subsidyBtc: 6.25, feesPerBlockBtc: 0.5, btcPriceUsd: 30000 }));
    assert.equal(dayOf(h, '2021-02-04').difficultySource, 'hash-rate', 'the difficulty sample covers one day only');
  });

  test('fees from a transaction-fees chart (BTC/day ÷ 144); realised hashprice from miners revenue', () => {
    const fees = series('transaction-fees', 'BTC/day', [['2021-02-02T00:00:00Z', 144]]);
    const revenue = series('miners-revenue', 'USD/day', [['2021-02-02T00:00:00Z', 45e6]]);
    const h = buildChainHistory({ marketPrice: price, hashRate, transactionFees: fees, minersRevenue: revenue, feesPerBlockBtc: 0.25 });
    assert.equal(dayOf(h, '2021-02-01').feesPerBlockBtc, 0.25);
    assert.equal(dayOf(h, '2021-02-02').feesPerBlockBtc, 1);
    // Fees are data or a stated assumption, and each day says which.
    assert.equal(dayOf(h, '2021-02-01').feesSource, 'assumed');
    assert.equal(dayOf(h, '2021-02-02').feesSource, 'chain');
    assert.equal(dayOf(h, '2021-02-01').realisedHashpriceUsdPerPhDay, undefined);
    assert.equal(dayOf(h, '2021-02-02').realisedHashpriceUsdPerPhDay, 45e6 / 150_000);
    assert.equal(dayOf(h, '2021-02-03').realisedHashpriceUsdPerPhDay, undefined, 'revenue covers its own day only');
  });

  test('hashpriceAt: the day in force; before the first day or after the last is an error', () => {
    const h = buildChainHistory({ marketPrice: price, hashRate });
    assert.equal(hashpriceAt(h, day('2021-02-04') + 23 * 3_600_000), dayOf(h, '2021-02-04').hashpriceUsdPerPhDay);
    assert.equal(hashpriceAt(h, day('2021-02-01')), h[0]?.hashpriceUsdPerPhDay);
    assert.equal(chainDayAt(h, day('2021-02-07') - 1).dayStartMs, day('2021-02-06'));
    assert.throws(() => hashpriceAt(h, day('2021-02-01') - 1), /starts 2021-02-01/);
    assert.throws(() => hashpriceAt(h, day('2021-02-07')), /ends 2021-02-07/);
    assert.throws(() => hashpriceAt([], day('2021-02-01')), /empty/);
  });

  test('input errors: wrong metric, no overlap, a day neither difficulty nor hash rate covers', () => {
    assert.throws(() => buildChainHistory({ marketPrice: hashRate, hashRate }), /marketPrice must be a market-price series/);
    const unordered = { ...price, points: [...price.points].reverse() };
    assert.throws(() => buildChainHistory({ marketPrice: unordered, hashRate }), /marketPrice: samples must be in increasing time order/);
    const late = series('hash-rate', 'H/s', [['2022-01-01T00:00:00Z', 1e20]]);
    assert.throws(() => buildChainHistory({ marketPrice: price, hashRate: late }), /do not overlap/);
    const d1 = series('difficulty', 'dimensionless', [['2021-02-01T00:00:00Z', 1e13]]);
    const h5 = series('hash-rate', 'H/s', [['2021-02-05T00:00:00Z', 1e20]]);
    assert.throws(() => buildChainHistory({ marketPrice: price, difficulty: d1, hashRate: h5 }), /no difficulty or hash-rate sample covers 2021-02-02/);
  });
});

describe('chain history from the recorded charts', { skip }, () => {
  const files = ['bitcoin-all-time-market-price.csv', 'bitcoin-all-time-hash-rate.csv', 'bitcoin-1year-miner-difficulty.csv', 'bitcoin-1year-miners-revenue.csv'];
  const paths = files.map((f) => join(CHARTS, f));
  const chart = (f: string) => parseBlockchainChart(readFileSync(join(CHARTS, f), 'utf8'), { source: f });

  test('covers 2009-01-10 .. 2022-10-07; difficulty chart from 2021-10-08, hash rate before', async () => {
    const h = await loadChainHistory(paths);
    assert.equal(h[0]?.dayStartMs, day('2009-01-10'));
    assert.equal(h.at(-1)?.dayStartMs, day('2022-10-07'));
    assert.equal(h.length, (day('2022-10-07') - day('2009-01-10')) / DAY + 1);
    assert.equal(dayOf(h, '2021-10-07').difficultySource, 'hash-rate');
    assert.equal(dayOf(h, '2021-10-08').difficultySource, 'difficulty');
    assert.equal(dayOf(h, '2021-10-08').difficulty, 19893045048575);
    assert.equal(dayOf(h, '2022-10-07').difficulty, 31360548173145);
    assert.equal(dayOf(h, '2012-11-28').subsidyBtc, 50);
    assert.equal(dayOf(h, '2012-11-29').subsidyBtc, 25);
    assert.equal(dayOf(h, '2020-05-12').subsidyBtc, 6.25);
    for (const d of h) assert.ok(Number.isFinite(d.hashpriceUsdPerPhDay) && d.hashpriceUsdPerPhDay >= 0);
  });

  test('February 2021 hashprice (subsidy only) is $200–350 per PH/s per day; 2021-02-15 exactly', async () => {
    const h = await loadChainHistory(paths);
    const feb = h.filter((d) => d.dayStartMs >= day('2021-02-01') && d.dayStartMs < day('2021-03-01'));
    assert.equal(feb.length, 28);
    for (const d of feb) assert.ok(d.hashpriceUsdPerPhDay > 200 && d.hashpriceUsdPerPhDay < 350, `${new Date(d.dayStartMs).toISOString()}: ${d.hashpriceUsdPerPhDay}`);
    // 2021-02-15 takes the samples stamped 2021-02-13 23:00 (price) and 2021-02-14 23:00 (hash rate).
    const d = dayOf(h, '2021-02-15');
    assert.equal(d.btcPriceUsd, 47185.19);
    const difficulty = (156021048.95022506 * 1e12 * 600) / 2 ** 32;
    assert.equal(d.difficulty, difficulty);
    assert.equal(d.hashpriceUsdPerPhDay, hashpriceUsdPerPhDay({ difficulty, subsidyBtc: 6.25, feesPerBlockBtc: 0, btcPriceUsd: 47185.19 }));
    assert.ok(Math.abs(d.hashpriceUsdPerPhDay - 272.2) < 0.1, String(d.hashpriceUsdPerPhDay));
  });

  test('every day uses the last sample at or before its start, checked independently', async () => {
    const h = await loadChainHistory(paths);
    const price = chart(files[0] as string);
    for (const d of h) {
      const used = price.points.filter((p) => p.timeMs <= d.dayStartMs).at(-1);
      assert.equal(d.btcPriceUsd, used?.value, new Date(d.dayStartMs).toISOString());
    }
  });

  test('realised hashprice (miners revenue) sits near the formula where the revenue chart covers', async () => {
    const h = await loadChainHistory(paths);
    const withRevenue = h.filter((d) => d.realisedHashpriceUsdPerPhDay !== undefined);
    assert.equal(withRevenue[0]?.dayStartMs, day('2021-10-08'));
    assert.equal(withRevenue.length, 365);
    const ratios = withRevenue.map((d) => (d.realisedHashpriceUsdPerPhDay as number) / d.hashpriceUsdPerPhDay);
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    assert.ok(mean > 0.9 && mean < 1.2, `mean realised/formula ${mean}`);
  });

  test('loader: one file per metric, and a market-price chart is required', async () => {
    await assert.rejects(loadChainHistory([paths[1] as string]), /no market-price chart/);
    await assert.rejects(loadChainHistory([paths[0] as string, paths[0] as string]), /both market-price charts/);
    await assert.rejects(loadChainHistory([join(CHARTS, 'missing.csv')]), (err: Error & { code?: string }) => err.code === 'E_MARKET_FILE' && /reading chart file/.test(err.message));
  });
});
