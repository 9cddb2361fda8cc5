import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { FileFeed } from '../../services/market/file-feed.ts';
import type { MarketFileError } from '../../services/market/file-error.ts';
import type { PriceInterval } from '../../services/market/price-series.ts';

/** The file feed on a real file that the test appends to, as a price writer would. */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(opts: { staleAfterMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-file-feed-'));
  dirs.push(dir);
  const path = join(dir, 'prices.csv');
  writeFileSync(path, '');
  let nowMs = Date.parse('2021-02-15T06:00:00Z');
  const errors: MarketFileError[] = [];
  const seen: PriceInterval[] = [];
  const feed = new FileFeed({ path, settlementPoint: 'HB_NORTH', intervalMinutes: 15, staleAfterMs: opts.staleAfterMs ?? 30 * 60_000, log: pino({ level: 'silent' }), onRowError: (e) => errors.push(e), now: () => nowMs });
  feed.subscribe((iv) => seen.push(iv));
  return { path, feed, errors, seen, advance: (ms: number) => (nowMs += ms), now: () => nowMs };
}

describe('file price feed', () => {
  it('delivers each row appended to a growing file once, in order', async () => {
    const t = setup();
    appendFileSync(t.path, 'timestamp,price_usd_per_mwh\n2021-02-15T00:00:00-06:00,1200.5\n');
    assert.equal(await t.feed.poll(), 1);
    appendFileSync(t.path, '2021-02-15T00:15:00-06:00,9000\n2021-02-15T00:30:00-06:00,8999.99\n');
    assert.equal(await t.feed.poll(), 2);
    assert.equal(await t.feed.poll(), 0);
    assert.deepEqual(
      t.seen.map((iv) => [new Date(iv.startMs).toISOString(), iv.priceUsdPerMwh, iv.minutes]),
      [
        ['2021-02-15T06:00:00.000Z', 1200.5, 15],
        ['2021-02-15T06:15:00.000Z', 9000, 15],
        ['2021-02-15T06:30:00.000Z', 8999.99, 15],
      ],
    );
    const s = t.feed.status();
    assert.equal(s.last?.priceUsdPerMwh, 8999.99);
    assert.equal(s.receivedAtMs, t.now());
    assert.equal(s.stale, false);
  });

  it('a half-written last row waits for its newline and is not lost', async () => {
    const t = setup();
    appendFileSync(t.path, 'timestamp,price_usd_per_mwh\n2021-02-15T00:00:00-06:00,50\n2021-02-15T00:1');
    assert.equal(await t.feed.poll(), 1);
    assert.deepEqual(t.errors, []);
    appendFileSync(t.path, '5:00-06:00,6');
    assert.equal(await t.feed.poll(), 0);
    appendFileSync(t.path, '0.25\r\n');
    assert.equal(await t.feed.poll(), 1);
    assert.deepEqual(t.seen.map((iv) => iv.priceUsdPerMwh), [50, 60.25]);
    assert.deepEqual(t.errors, []);
  });

  it('a bad row is an error naming its line; the rows after it are still read', async () => {
    const t = setup();
    appendFileSync(t.path, 'timestamp,price_usd_per_mwh\n2021-02-15T00:00:00-06:00,50\n2021-02-15T00:15:00,70\n2021-02-15T00:30:00-06:00,abc\n2021-02-15T00:45:00-06:00,80\n2021-02-15T00:30:00-06:00,90\n');
    assert.equal(await t.feed.poll(), 2);
    assert.deepEqual(t.seen.map((iv) => iv.priceUsdPerMwh), [50, 80]);
    assert.deepEqual(t.errors.map((e) => e.row), [3, 4, 6]);
    assert.match(t.errors[0]!.message, /prices\.csv row 3: column timestamp is "2021-02-15T00:15:00", expected ISO-8601 with offset/);
    assert.match(t.errors[1]!.message, /row 4: column price_usd_per_mwh is "abc", expected a number/);
    assert.match(t.errors[2]!.message, /row 6: interval 2021-02-15T06:30:00.000Z is not after the previous row's 2021-02-15T06:45:00.000Z/);
  });

  it('a wrong header is reported at line 1 and no row is taken as a price', async () => {
    const t = setup();
    appendFileSync(t.path, 'time,price\n2021-02-15T00:00:00-06:00,50\n');
    await t.feed.poll();
    assert.equal(t.errors[0]?.row, 1);
    assert.match(t.errors[0]!.message, /header is "time,price", expected timestamp,price_usd_per_mwh/);
    assert.deepEqual(t.seen, []);
  });

  it('goes stale once when nothing new arrives for staleAfterMs, and fresh again on the next row', async () => {
    const t = setup({ staleAfterMs: 20 * 60_000 });
    const changes: boolean[] = [];
    t.feed.onStale((stale) => changes.push(stale));
    appendFileSync(t.path, 'timestamp,price_usd_per_mwh\n2021-02-15T00:00:00-06:00,50\n');
    await t.feed.poll();
    t.advance(20 * 60_000);
    assert.equal(t.feed.status().stale, false, 'at exactly staleAfterMs it is not yet stale');
    t.advance(1);
    assert.equal(t.feed.status().stale, true);
    assert.equal(t.feed.status().ageMs, 20 * 60_000 + 1);
    await t.feed.poll(); // nothing new
    t.feed.checkStale();
    t.feed.checkStale();
    appendFileSync(t.path, '2021-02-15T00:15:00-06:00,55\n');
    await t.feed.poll();
    assert.deepEqual(changes, [true, false]);
    assert.equal(t.feed.status().ageMs, 0);
  });

  it('rows for intervals that ended more than staleAfter ago are history: kept, not delivered, not fresh', async () => {
    const t = setup({ staleAfterMs: 30 * 60_000 });
    // now is 06:00Z; 04:00–04:15Z ended 105 min ago, 05:30–05:45Z ended 15 min ago.
    appendFileSync(t.path, 'timestamp,price_usd_per_mwh\n2021-02-15T04:00:00Z,9000\n2021-02-15T05:30:00Z,100\n');
    assert.equal(await t.feed.poll(), 2);
    assert.deepEqual(t.seen.map((iv) => iv.priceUsdPerMwh), [100]);
    assert.equal(t.feed.recent().length, 2);
    const only = setup({ staleAfterMs: 30 * 60_000 });
    appendFileSync(only.path, 'timestamp,price_usd_per_mwh\n2021-02-15T04:00:00Z,9000\n');
    await only.feed.poll();
    assert.deepEqual(only.seen, []);
    assert.equal(only.feed.status().last?.priceUsdPerMwh, 9000, 'shown as the last price');
    assert.equal(only.feed.status().receivedAtMs, null, 'but not a fresh one');
  });

  it('a missing file is a read error in the status, and the feed reads it once it appears', async () => {
    const t = setup();
    rmSync(t.path);
    assert.equal(await t.feed.poll(), 0);
    assert.match(t.feed.status().error ?? '', /reading price file .*prices\.csv: ENOENT/);
    writeFileSync(t.path, 'timestamp,price_usd_per_mwh\n2021-02-15T00:00:00-06:00,50\n');
    assert.equal(await t.feed.poll(), 1);
    assert.equal(t.feed.status().error, null);
  });
});
