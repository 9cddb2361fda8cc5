import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseBlockchainChart, type ChartSeries } from '../../services/market/blockchain-com.ts';
import { MarketFileError } from '../../services/market/file-error.ts';
import { requireFixtures } from '../support/fixtures.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = resolve(repoRoot, '../shared/fixtures');
const CHARTS = join(FIXTURES, 'market', 'blockchain_com_charts_alltime');
const skip = requireFixtures(FIXTURES);
const chart = (file: string): ChartSeries => parseBlockchainChart(readFileSync(join(CHARTS, file), 'utf8'), { source: file });
const at = (s: ChartSeries, isoTime: string) => s.points.find((p) => p.timeMs === Date.parse(isoTime))?.value;

function throwsAt(fn: () => unknown, row: number, ...parts: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof MarketFileError, `expected MarketFileError, got ${String(caught)}`);
  assert.equal(caught.row, row, caught.message);
  assert.match(caught.message, new RegExp(`\\brow ${row}\\b`), caught.message);
  for (const p of parts) assert.ok(caught.message.includes(p), `"${p}" not in: ${caught.message}`);
}

describe('blockchain.com chart exports on the recorded files', { skip }, () => {
  test('every file parses, strictly increasing, metric from the header', () => {
    const files = readdirSync(CHARTS).sort();
    assert.equal(files.length, 4);
    const metrics = files.map((f) => {
      const s = chart(f);
      for (let i = 1; i < s.points.length; i++) assert.ok((s.points[i]?.timeMs as number) > (s.points[i - 1]?.timeMs as number));
      return [s.metric, s.unit, s.points.length];
    });
    assert.deepEqual(metrics, [
      ['difficulty', 'dimensionless', 365],
      ['miners-revenue', 'USD/day', 365],
      ['hash-rate', 'H/s', 1673],
      ['market-price', 'USD/BTC', 1676],
    ]);
  });

  test('values as recorded; hash rate converted from TH/s to H/s', () => {
    const difficulty = chart('bitcoin-1year-miner-difficulty.csv');
    assert.deepEqual(difficulty.points[0], { timeMs: Date.parse('2021-10-08T00:00:00Z'), value: 19893045048575 });
    assert.equal(difficulty.points.at(-1)?.value, 31360548173145);

    const hash = chart('bitcoin-all-time-hash-rate.csv');
    assert.equal(hash.points[0]?.timeMs, Date.parse('2009-01-09T23:00:00Z'));
    assert.equal(hash.points[0]?.value, 1.0652200634920637e-7 * 1e12);
    assert.equal(at(hash, '2021-02-14T23:00:00Z'), 156021048.95022506 * 1e12);
    assert.equal(hash.points.at(-1)?.value, 248825712.31721595 * 1e12); // ≈ 249 EH/s, 2022-10-05

    const price = chart('bitcoin-all-time-market-price.csv');
    assert.equal(price.points[0]?.value, 0);
    assert.equal(at(price, '2021-02-01T23:00:00Z'), 33522.9);
    assert.equal(price.points.at(-1)?.value, 19956.49);

    const revenue = chart('bitcoin-1year-miners-revenue.csv');
    assert.equal(revenue.points[0]?.value, 41966394.782137804);
  });
});

describe('blockchain.com chart forms', () => {
  const src = { source: 'chart' };

  test('CSV with quoted epoch milliseconds, epoch seconds, and ISO date-times', () => {
    const ms = parseBlockchainChart('\uFEFFTimestamp,market-price\r\n"1612137600000",33522.9\r\n"1612224000000",35000\r\n', src);
    assert.deepEqual(ms.points, [
      { timeMs: 1612137600000, value: 33522.9 },
      { timeMs: 1612224000000, value: 35000 },
    ]);
    const s = parseBlockchainChart('timestamp,difficulty\n1612137600,21434395961348\n', src);
    assert.equal(s.points[0]?.timeMs, 1612137600000);
    const t = parseBlockchainChart('timestamp,hash-rate\n2021-02-01T00:00:00Z,150000000\n', src);
    assert.equal(t.points[0]?.value, 1.5e20);
  });

  test('JSON: the API form {"name", "values":[{x: s, y}]} and the chart-page form {"<metric>":[{x: ms, y}]}', () => {
    const api = parseBlockchainChart(JSON.stringify({ status: 'ok', name: 'Total Hash Rate (TH/s)', unit: 'Hash Rate TH/s', values: [{ x: 1612137600, y: 150000000 }] }), src);
    assert.deepEqual(api, { metric: 'hash-rate', unit: 'H/s', points: [{ timeMs: 1612137600000, value: 1.5e20 }] });
    const page = parseBlockchainChart('\uFEFF{"market-price":[{"x":1612137600000,"y":33522.9},{"x":1612224000000,"y":35000}]}', src);
    assert.equal(page.metric, 'market-price');
    assert.equal(page.points[1]?.timeMs, 1612224000000);
    const unnamed = parseBlockchainChart('{"values":[{"x":1612137600,"y":5}]}', { ...src, metric: 'difficulty' });
    assert.equal(unnamed.metric, 'difficulty');
  });

  test('errors name the row: duplicate timestamp, unparsable value, time going backwards, bad time', () => {
    throwsAt(() => parseBlockchainChart('Timestamp,difficulty\n2021-01-01 00:00:00,1\n2021-01-01 00:00:00,2\n', src), 3, 'duplicate timestamp', 'row 3 repeats row 2');
    throwsAt(() => parseBlockchainChart('Timestamp,difficulty\n2021-01-01 00:00:00,1\n2021-01-02 00:00:00,n/a\n', src), 3, '"n/a"');
    throwsAt(() => parseBlockchainChart('Timestamp,market-price\n2021-01-02 00:00:00,1\n2021-01-01 00:00:00,2\n', src), 3, 'before row 2');
    throwsAt(() => parseBlockchainChart('Timestamp,market-price\n2021-02-30 00:00:00,1\n', src), 2, '"2021-02-30 00:00:00"');
    throwsAt(() => parseBlockchainChart('Timestamp,market-price\n2021-01-01 00:00:00,-1\n', src), 2, 'must be ≥ 0');
    throwsAt(() => parseBlockchainChart('Timestamp,difficulty\n2021-01-01 00:00:00,0\n', src), 2, 'must be > 0');
    throwsAt(() => parseBlockchainChart('{"values":[{"x":1,"y":1},{"x":2,"y":"x"}]}', { ...src, metric: 'difficulty' }), 2, 'values[1]');
  });

  test('errors at row 1: unknown metric, wrong header, metric other than expected, bad JSON', () => {
    throwsAt(() => parseBlockchainChart('Timestamp,mempool-size\n', src), 1, 'unknown chart metric "mempool-size"');
    throwsAt(() => parseBlockchainChart('date,difficulty\n', src), 1, 'Timestamp,<metric>');
    throwsAt(() => parseBlockchainChart('Timestamp,difficulty\n2021-01-01 00:00:00,1\n', { ...src, metric: 'hash-rate' }), 1, 'expected a hash-rate chart');
    throwsAt(() => parseBlockchainChart('{"values":', src), 1, 'not valid JSON');
    throwsAt(() => parseBlockchainChart('{"values":[]}', src), 1, 'pass the metric');
  });
});
