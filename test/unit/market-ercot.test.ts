import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { listSettlementPoints, parseErcotPrices } from '../../services/market/ercot.ts';
import { MarketFileError } from '../../services/market/file-error.ts';
import { loadPriceFile } from '../../services/market/load.ts';
import { parsePriceCsv } from '../../services/market/price-csv.ts';
import type { PriceSeries } from '../../services/market/price-series.ts';
import { requireFixtures } from '../support/fixtures.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = resolve(repoRoot, '../shared/fixtures');
const ERCOT = join(FIXTURES, 'market', 'ercot');
const skip = requireFixtures(FIXTURES);
const URI = 'ercot_dam_hub_lz_spp_2021-02-10_to_2021-02-21_extract.csv';
const NP4 = 'ercot_np4-190_dam_spp_2025-04-11_raw.csv';
const NP6 = 'ercot_np6-905_rtm_spp_2025-04-10_h19i2_raw.csv';
const read = (f: string) => readFileSync(join(ERCOT, f), 'utf8');

const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Asserts `fn` throws a MarketFileError at `row` whose message says "row N" and contains every part. */
function throwsAt(fn: () => unknown, row: number, ...parts: string[]): MarketFileError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof MarketFileError, `expected MarketFileError, got ${String(caught)}`);
  assert.equal(caught.code, 'E_MARKET_FILE');
  assert.equal(caught.row, row, caught.message);
  assert.match(caught.message, new RegExp(`\\brow ${row}\\b`), caught.message);
  for (const p of parts) assert.ok(caught.message.includes(p), `"${p}" not in: ${caught.message}`);
  return caught;
}

function assertHourly(s: PriceSeries, count: number): void {
  assert.equal(s.intervals.length, count);
  s.intervals.forEach((iv, i) => {
    assert.equal(iv.minutes, s.intervalMinutes);
    if (i > 0) assert.equal(iv.startMs - (s.intervals[i - 1]?.startMs as number), s.intervalMinutes * 60_000, `step at ${i}`);
  });
}

describe('ERCOT postings on the recorded files', { skip }, () => {
  test('Uri DAM extract: five points × 12 days × 24 hours, starting 2021-02-10 00:00 CST', () => {
    const text = read(URI);
    assert.deepEqual(
      listSettlementPoints(text).map((p) => p.name),
      ['HB_HOUSTON', 'HB_NORTH', 'HB_WEST', 'LZ_HOUSTON', 'LZ_WEST'],
    );
    for (const { name } of listSettlementPoints(text)) {
      const s = parseErcotPrices(text, { source: URI, settlementPoint: name });
      assert.equal(s.market, 'ERCOT');
      assert.equal(s.kind, 'dam');
      assert.equal(s.settlementPointType, undefined);
      assertHourly(s, 288);
      assert.equal(iso(s.intervals[0]?.startMs as number), '2021-02-10T06:00:00.000Z');
      assert.equal(iso(s.intervals[287]?.startMs as number), '2021-02-22T05:00:00.000Z');
    }
  });

  test('Uri: HB_NORTH peaks at 8998.99 on 2021-02-17 HE06; LZ_WEST clears 9000 (SPP is not capped)', () => {
    const text = read(URI);
    const north = parseErcotPrices(text, { source: URI, settlementPoint: 'HB_NORTH' });
    const max = north.intervals.reduce((a, b) => (b.priceUsdPerMwh > a.priceUsdPerMwh ? b : a));
    assert.equal(max.priceUsdPerMwh, 8998.99);
    assert.equal(iso(max.startMs), '2021-02-17T11:00:00.000Z'); // 05:00–06:00 CST
    const first = north.intervals[0];
    assert.equal(first?.priceUsdPerMwh, 27.18);
    const at = (ms: number) => north.intervals.find((i) => i.startMs === ms)?.priceUsdPerMwh;
    assert.equal(at(Date.parse('2021-02-17T06:00:00Z')), 8998.25); // HE01 on the 17th
    assert.equal(at(Date.parse('2021-02-13T13:00:00Z')), 2045.19); // HE08 on the 13th
    assert.equal(north.intervals.filter((i) => i.priceUsdPerMwh >= 8000).length, 53);
    const min = Math.min(...north.intervals.map((i) => i.priceUsdPerMwh));
    assert.equal(min, 1);

    const west = parseErcotPrices(text, { source: URI, settlementPoint: 'lz_west' });
    assert.equal(Math.max(...west.intervals.map((i) => i.priceUsdPerMwh)), 9026.99);
    const hbWest = parseErcotPrices(text, { source: URI, settlementPoint: 'HB_WEST' });
    assert.equal(Math.min(...hbWest.intervals.map((i) => i.priceUsdPerMwh)), -0.27, 'negative prices are kept');
  });

  test('NP4-190 DAM raw: 988 points, 24 padded hourly prices each, 2025-04-11 CDT', () => {
    const text = read(NP4);
    const points = listSettlementPoints(text);
    assert.equal(points.length, 988);
    assert.deepEqual(points.slice(0, 3).map((p) => p.name), ['HB_BUSAVG', 'HB_HOUSTON', 'HB_HUBAVG']);
    const north = parseErcotPrices(text, { source: NP4, settlementPoint: 'HB_NORTH' });
    assertHourly(north, 24);
    assert.equal(iso(north.intervals[0]?.startMs as number), '2025-04-11T05:00:00.000Z');
    assert.equal(north.intervals[0]?.priceUsdPerMwh, 30.04);
    assert.equal(north.intervals[13]?.priceUsdPerMwh, 18.46);
    for (const p of [points[0], points[500], points.at(-1)]) {
      assertHourly(parseErcotPrices(text, { source: NP4, settlementPoint: p?.name }), 24);
    }
    const first = parseErcotPrices(text, { source: NP4, settlementPoint: '7RNCHSLR_ALL' });
    assert.equal(first.intervals[0]?.priceUsdPerMwh, 31.61);
  });

  test('NP6-905 RTM raw: 1000 (name, type) points; sampled points each have exactly one 15-minute interval', () => {
    const text = read(NP6);
    const points = listSettlementPoints(text);
    assert.equal(points.length, 1000);
    assert.equal(new Set(points.map((p) => p.name)).size, 988);
    // Every 20th point and every name that has two types (a full sweep is 1000 parses, ~6 s).
    const twoTypes = new Set(points.filter((p, i) => points.findIndex((q) => q.name === p.name) !== i).map((p) => p.name));
    assert.equal(twoTypes.size, 12);
    const sample = points.filter((p, i) => i % 20 === 0 || twoTypes.has(p.name));
    for (const p of sample) {
      const s = parseErcotPrices(text, { source: NP6, settlementPoint: p.name, settlementPointType: p.type });
      assert.equal(s.intervals.length, 1, `${p.name} ${p.type}`);
      assert.equal(s.intervals[0]?.startMs, Date.parse('2025-04-10T23:15:00Z'), 'HE19 interval 2 = 18:15 CDT');
    }
    const north = parseErcotPrices(text, { source: NP6, settlementPoint: 'HB_NORTH' });
    assert.deepEqual(north, {
      market: 'ERCOT',
      kind: 'rtm',
      settlementPoint: 'HB_NORTH',
      settlementPointType: 'HU',
      intervalMinutes: 15,
      intervals: [{ startMs: Date.parse('2025-04-10T23:15:00Z'), minutes: 15, priceUsdPerMwh: 37.76 }],
    });
    const lzew = parseErcotPrices(text, { source: NP6, settlementPoint: 'LZ_NORTH', settlementPointType: 'lzew' });
    assert.equal(lzew.settlementPointType, 'LZEW');
    assert.equal(lzew.intervals[0]?.priceUsdPerMwh, 37.74);
  });

  test('NP6-905: a name with two types is ambiguous; the error names the types and the row', () => {
    throwsAt(() => parseErcotPrices(read(NP6), { source: NP6, settlementPoint: 'LZ_NORTH' }), 563, 'LZ (first at row 562)', 'LZEW (first at row 563)', 'settlementPointType');
  });

  test('loadPriceFile dispatches every recorded ERCOT file by its header', async () => {
    assert.equal((await loadPriceFile(join(ERCOT, URI), { settlementPoint: 'HB_NORTH' })).intervals.length, 288);
    assert.equal((await loadPriceFile(join(ERCOT, NP4), { settlementPoint: 'HB_NORTH' })).intervals.length, 24);
    assert.equal((await loadPriceFile(join(ERCOT, NP6), { settlementPoint: 'HB_NORTH' })).kind, 'rtm');
  });
});

const NP4_HEADER = 'DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag';
const NP6_HEADER = 'DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag';
const dam = (...rows: string[]) => [NP4_HEADER, ...rows].join('\n') + '\n';
/** 24 hourly rows for one point; `hours` lists hour-ending labels with their flag. */
const damDay = (date: string, hours: Array<[string, 'N' | 'Y']>, point = 'HB_NORTH') => dam(...hours.map(([he, flag], i) => `${date},${he},${point}, ${(20 + i).toFixed(2)},${flag}`));
const he = (h: number) => `${String(h).padStart(2, '0')}:00`;
const opts = { source: 'test.csv', settlementPoint: 'HB_NORTH' };

describe('ERCOT daylight saving days (Central Prevailing Time)', () => {
  test('spring forward (2024-03-10): 23 hours, hour ending 03:00 absent, starts 60 minutes apart', () => {
    const hours: Array<[string, 'N']> = [1, 2, ...Array.from({ length: 21 }, (_, i) => i + 4)].map((h) => [he(h), 'N']);
    const s = parseErcotPrices(damDay('03/10/2024', hours), opts);
    assertHourly(s, 23);
    assert.equal(iso(s.intervals[0]?.startMs as number), '2024-03-10T06:00:00.000Z'); // 00:00 CST
    assert.equal(iso(s.intervals[1]?.startMs as number), '2024-03-10T07:00:00.000Z'); // 01:00 CST
    assert.equal(iso(s.intervals[2]?.startMs as number), '2024-03-10T08:00:00.000Z'); // 03:00 CDT (HE04)
    assert.equal(iso(s.intervals[22]?.startMs as number), '2024-03-11T04:00:00.000Z'); // 23:00 CDT
  });

  test('spring forward: an hour ending 03:00 row names a time that does not exist', () => {
    throwsAt(() => parseErcotPrices(damDay('03/10/2024', [[he(1), 'N'], [he(2), 'N'], [he(3), 'N']]), opts), 4, 'does not exist');
  });

  test('fall back (2024-11-03): 25 hours; the Y flag is the second 01:00–02:00, one hour after the first', () => {
    const hours: Array<[string, 'N' | 'Y']> = [[he(1), 'N'], [he(2), 'N'], [he(2), 'Y'], ...Array.from({ length: 22 }, (_, i): [string, 'N'] => [he(i + 3), 'N'])];
    const s = parseErcotPrices(damDay('11/03/2024', hours), opts);
    assertHourly(s, 25);
    assert.equal(iso(s.intervals[1]?.startMs as number), '2024-11-03T06:00:00.000Z'); // 01:00 CDT (HE02 N)
    assert.equal(iso(s.intervals[2]?.startMs as number), '2024-11-03T07:00:00.000Z'); // 01:00 CST (HE02 Y)
    assert.equal(s.intervals[2]?.priceUsdPerMwh, 22, 'the Y row (third in the file) is the second pass');
    assert.equal(iso(s.intervals[24]?.startMs as number), '2024-11-04T05:00:00.000Z'); // 23:00 CST

    // The Uri extract's column names carry the same flag.
    const extract = ['Delivery Date,Hour Ending,Repeated Hour Flag,Settlement Point,Settlement Point Price', ...hours.map(([h, f], i) => `11/03/2024,${h},${f},HB_NORTH,${i}`)].join('\n');
    assertHourly(parseErcotPrices(extract, opts), 25);
  });

  test('fall back, RTM: DeliveryHour 2 intervals 1..4 twice (N then Y) are eight 15-minute slices', () => {
    const rows = ['N', 'Y'].flatMap((flag) => [1, 2, 3, 4].map((k) => `11/03/2024,2,${k},HB_NORTH,HU,${k},${flag}`));
    const s = parseErcotPrices([NP6_HEADER, ...rows].join('\r\n'), opts);
    assertHourly(s, 8);
    assert.equal(iso(s.intervals[0]?.startMs as number), '2024-11-03T06:00:00.000Z');
    assert.equal(iso(s.intervals[7]?.startMs as number), '2024-11-03T07:45:00.000Z');
  });

  test('a Y flag on an ordinary day is an error naming the row', () => {
    throwsAt(() => parseErcotPrices(damDay('04/11/2025', [[he(1), 'N'], [he(2), 'Y']]), opts), 3, 'repeated hour', 'occurs only once');
  });
});

describe('ERCOT postings: header handling and errors', () => {
  test('BOM, CRLF, padded header names and trailing blank lines are tolerated', () => {
    const text = `\uFEFF DeliveryDate , HourEnding ,SettlementPoint,SettlementPointPrice, DSTFlag \r\n04/11/2025,01:00,HB_NORTH, -3.5,N\r\n04/11/2025,02:00,HB_NORTH, 9001,N\r\n\r\n`;
    const s = parseErcotPrices(text, opts);
    assert.deepEqual(
      s.intervals.map((i) => i.priceUsdPerMwh),
      [-3.5, 9001],
    );
    assert.equal(s.intervals[1]?.startMs, Date.parse('2025-04-11T06:00:00Z'));
  });

  test('a single-point file needs no settlementPoint; a multi-point file does', () => {
    assert.equal(parseErcotPrices(damDay('04/11/2025', [[he(1), 'N']]), { source: 'one.csv' }).settlementPoint, 'HB_NORTH');
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, 1,N', '04/11/2025,01:00,HB_WEST, 1,N'), { source: 't.csv' }), 1, '2 settlement points', 'HB_NORTH', 'HB_WEST');
  });

  test('missing column: row 1, named', () => {
    throwsAt(() => parseErcotPrices('DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice\n04/11/2025,01:00,HB_NORTH, 1\n', opts), 1, 'missing column(s) DSTFlag', 'NP4-190');
    throwsAt(() => parseErcotPrices('DeliveryDate,DeliveryHour,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag\n', opts), 1, 'DeliveryInterval', 'NP6-905');
    throwsAt(() => parseErcotPrices('time,price\n', opts), 1, 'not an ERCOT price posting');
  });

  test('unparsable price, date, hour, interval and flag: row, column and the text', () => {
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, 1,N', '04/11/2025,02:00,HB_NORTH, abc,N'), opts), 3, 'SettlementPointPrice', '"abc"');
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, ,N'), opts), 2, 'SettlementPointPrice', '""');
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, 0x10,N'), opts), 2, '"0x10"');
    throwsAt(() => parseErcotPrices(dam('02/30/2025,01:00,HB_NORTH, 1,N'), opts), 2, 'DeliveryDate', '"02/30/2025"');
    throwsAt(() => parseErcotPrices(dam('04/11/2025,25:00,HB_NORTH, 1,N'), opts), 2, 'HourEnding', '"25:00"');
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:30,HB_NORTH, 1,N'), opts), 2, 'HourEnding', '"01:30"');
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, 1,X'), opts), 2, 'DSTFlag', '"X"');
    throwsAt(() => parseErcotPrices(`${NP6_HEADER}\n04/10/2025,19,5,HB_NORTH,HU,1,N\n`, opts), 2, 'DeliveryInterval', '"5"');
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, 1,N', '04/11/2025,02:00,HB_NORTH, 1'), opts), 3, 'expected 5 columns');
  });

  test('a bad row of another point still fails the file', () => {
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, 1,N', '04/11/2025,01:00,HB_WEST, n/a,N'), opts), 3, '"n/a"');
  });

  test('duplicate interval: both rows named', () => {
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, 1,N', '04/11/2025,01:00,HB_WEST, 1,N', '04/11/2025,01:00,HB_NORTH, 2,N'), opts), 4, 'duplicate interval', 'row 4 repeats row 2', '2025-04-11 00:00 CDT');
  });

  test('gap: the row after it and the missing interval in local time', () => {
    throwsAt(() => parseErcotPrices(damDay('04/11/2025', [[he(1), 'N'], [he(2), 'N'], [he(4), 'N']]), opts), 4, 'gap', 'missing the interval starting 2025-04-11 02:00 CDT', 'row 3');
    throwsAt(() => parseErcotPrices(damDay('01/11/2025', [[he(1), 'N'], [he(5), 'N']]), opts), 3, '2025-01-11 01:00 CST', 'and 2 more up to 2025-01-11 03:00 CST');
  });

  test('unknown settlement point: lists some that are there', () => {
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, 1,N', '04/11/2025,01:00,LZ_WEST, 1,N'), { source: 't.csv', settlementPoint: 'HB_SOUTH' }), 1, '"HB_SOUTH" is not in the file', 'HB_NORTH, LZ_WEST');
  });

  test('ambiguous name with two types: the types and rows; a type the name lacks is an error too', () => {
    const text = [NP6_HEADER, '04/10/2025,19,2,HB_NORTH,HU,1,N', '04/10/2025,19,2,HB_NORTH,RN,2,N'].join('\n');
    throwsAt(() => parseErcotPrices(text, opts), 3, 'ambiguous', 'HU (first at row 2)', 'RN (first at row 3)');
    assert.equal(parseErcotPrices(text, { ...opts, settlementPointType: 'RN' }).intervals[0]?.priceUsdPerMwh, 2);
    throwsAt(() => parseErcotPrices(text, { ...opts, settlementPointType: 'LZ' }), 1, 'no type "LZ"', 'HU (row 2)', 'RN (row 3)');
    throwsAt(() => parseErcotPrices(dam('04/11/2025,01:00,HB_NORTH, 1,N'), { ...opts, settlementPointType: 'HU' }), 1, 'no settlement point type column');
  });
});

describe('custom price CSV (timestamp,price_usd_per_mwh)', () => {
  const csv = (...rows: string[]) => ['timestamp,price_usd_per_mwh', ...rows].join('\n');
  const src = { source: 'curve.csv' };

  test('offsets and Z, interval inferred, sorted, negative prices kept', () => {
    const s = parsePriceCsv(csv('2025-04-10T19:30:00-05:00,-12.5', '2025-04-11T00:00:00Z,30', '2025-04-10T23:30:00.000+00:00,25.25'), src);
    assert.equal(s.market, 'custom');
    assert.equal(s.settlementPoint, 'custom');
    assert.equal(s.intervalMinutes, 30);
    assert.deepEqual(
      s.intervals.map((i) => [iso(i.startMs), i.priceUsdPerMwh]),
      [
        ['2025-04-10T23:30:00.000Z', 25.25],
        ['2025-04-11T00:00:00.000Z', 30],
        ['2025-04-11T00:30:00.000Z', -12.5],
      ],
    );
  });

  test('errors: missing column, naive time, bad price, duplicate, gap, stray step, one row', () => {
    throwsAt(() => parsePriceCsv('timestamp,price\n2025-01-01T00:00Z,1\n', src), 1, 'missing column(s) price_usd_per_mwh', 'unknown column(s) price');
    throwsAt(() => parsePriceCsv(csv('2025-01-01T00:00Z,1', '2025-01-01 01:00,2'), src), 3, '"2025-01-01 01:00"', 'offset');
    throwsAt(() => parsePriceCsv(csv('2025-01-01T00:00Z,1', '2025-01-01T01:00Z,NaN'), src), 3, 'price_usd_per_mwh', '"NaN"');
    throwsAt(() => parsePriceCsv(csv('2025-01-01T00:00Z,1', '2025-01-01T01:00Z,2', '2025-01-01T00:00+00:00,3'), src), 4, 'row 4 repeats row 2');
    throwsAt(() => parsePriceCsv(csv('2025-01-01T00:00Z,1', '2025-01-01T01:00Z,2', '2025-01-01T02:00Z,2', '2025-01-01T04:00Z,2'), src), 5, 'missing the interval starting 2025-01-01T03:00:00.000Z');
    throwsAt(() => parsePriceCsv(csv('2025-01-01T00:00Z,1', '2025-01-01T01:00Z,2', '2025-01-01T01:30Z,2', '2025-01-01T02:30Z,2'), src), 4, '30 minutes after row 3', 'uniform 60-minute');
    throwsAt(() => parsePriceCsv(csv('2025-01-01T00:00Z,1'), src), 2, 'intervalMinutes');
    assert.equal(parsePriceCsv(csv('2025-01-01T00:00Z,1'), { ...src, intervalMinutes: 5 }).intervals[0]?.minutes, 5);
  });
});

test('hour arithmetic sanity: Central is UTC−6 in winter, UTC−5 in summer', () => {
  const w = parseErcotPrices(damDay('01/15/2025', [[he(24), 'N']]), opts).intervals[0]?.startMs as number;
  const s = parseErcotPrices(damDay('07/15/2025', [[he(24), 'N']]), opts).intervals[0]?.startMs as number;
  assert.equal(w, Date.UTC(2025, 0, 15, 23) + 6 * H);
  assert.equal(s, Date.UTC(2025, 6, 15, 23) + 5 * H);
});

test('loadPriceFile: a custom curve, a header it does not know, a file that is not there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-price-'));
  try {
    const curve = join(dir, 'curve.csv');
    writeFileSync(curve, 'timestamp,price_usd_per_mwh\n2025-04-10T18:00:00-05:00,40\n2025-04-10T18:05:00-05:00,41.5\n');
    const s = await loadPriceFile(curve, { settlementPoint: 'site-meter' });
    assert.deepEqual([s.market, s.settlementPoint, s.intervalMinutes, s.intervals.length], ['custom', 'site-meter', 5, 2]);
    const odd = join(dir, 'odd.csv');
    writeFileSync(odd, 'when,usd\n2025-04-10T18:00:00Z,40\n');
    await assert.rejects(loadPriceFile(odd), (err: Error) => err instanceof MarketFileError && /row 1: header "when,usd" is neither an ERCOT posting/.test(err.message));
    const near = join(dir, 'near.csv');
    writeFileSync(near, 'DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice\n');
    await assert.rejects(loadPriceFile(near), /row 1: missing column\(s\) DSTFlag/);
    await assert.rejects(loadPriceFile(join(dir, 'absent.csv')), (err: Error & { code?: string }) => err.code === 'E_MARKET_FILE' && /reading price file/.test(err.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
