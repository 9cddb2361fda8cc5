import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AlertBook } from '../../services/alerts/alert-book.ts';
import { watchPriceFeed, type PriceFeedWatch } from '../../services/alerts/price-feed.ts';
import { startSources, type RunningSources } from '../../services/curtailment/sources/start-sources.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { logger } from '../../services/lib/log.ts';
import type { FileFeed } from '../../services/market/file-feed.ts';
import { buildLiveFeed } from '../../services/market/start-feed.ts';
import { engineHarness, HARNESS_SITE, type Harness } from '../support/engine-harness.ts';

/**
 * A stale price feed raises the price-feed-stale alert and does not curtail: the file feed
 * (a real file the test appends to) stops growing after one price above the strike, the clock
 * runs on past staleAfter, and the engine gets no request. When prices come back after the gap,
 * the gap breaks the streak: one price above the strike after it is not "N consecutive"; the
 * second is, and only then does the rule curtail (so this test can see a curtailment happen).
 */

const MIN = 60_000;
const T0 = Date.parse('2021-02-15T06:00:00Z');

describe('a stale price feed alerts and does not curtail', { timeout: 60_000 }, () => {
  let dir: string;
  let h: Harness;
  let sources: RunningSources;
  let feed: FileFeed;
  let watch: PriceFeedWatch;
  let book: AlertBook;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const setClock = (ms: number) => (offsetMs = ms - Date.now());

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-stale-'));
    writeFileSync(join(dir, 'prices.csv'), 'timestamp,price_usd_per_mwh\n');
    const site: SiteFile = {
      ...HARNESS_SITE,
      livePrices: { source: 'file', file: 'prices.csv', intervalMinutes: 15, staleAfterMinutes: 30, requestTimeoutSeconds: 10 },
      curtailment: {
        restoreRampMwPerMin: 6000,
        restoreStaggerSeconds: 0.05,
        minOffMinutes: 0,
        priceStrike: { strikeUsdPerMwh: 1000, curtailAfterIntervals: 2, resumeAfterIntervals: 2, shedMw: 0.15, maxDurationMinutes: 600, allowAi: false },
      },
    };
    setClock(T0);
    h = await engineHarness({ now: clock }, site);
    h.tick();
    const log = logger('stale-test');
    log.level = 'silent';
    feed = buildLiveFeed({ site, sitePath: join(dir, 'site.yaml'), env: {}, log, now: clock }) as FileFeed;
    sources = startSources(site, h.engine, h.live, {}, log, feed);
    book = new AlertBook(log, { clearAfterMs: 5 * MIN });
    watch = watchPriceFeed(feed, book, { now: clock, everyMs: 60_000 });
  });
  after(async () => {
    watch?.stop();
    await sources?.stop();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = async (line: string) => {
    appendFileSync(join(dir, 'prices.csv'), `${line}\n`);
    await feed.poll();
    await sources.priceStrike!.idle();
  };

  it('raises the alert once the feed is stale, and no event starts', async () => {
    // 06:00–06:15Z at 9000 $/MWh (Uri's cap) is known at 06:15Z: above the strike, one of two.
    setClock(T0 + 15 * MIN);
    await append('2021-02-15T06:00:00Z,9000');
    watch.evaluate();
    assert.equal(book.list().active.length, 0, 'fresh: no alert');
    assert.equal(sources.priceStrike!.source.curtailed, false);

    // Nothing for 30 min: at the limit, not stale; a millisecond later, stale.
    setClock(T0 + 45 * MIN);
    await feed.poll();
    watch.evaluate();
    assert.equal(book.list().active.length, 0);
    setClock(T0 + 45 * MIN + 1000);
    await feed.poll();
    watch.evaluate();
    const active = book.list().active;
    assert.equal(active.length, 1);
    assert.equal(active[0]!.kind, 'price-feed-stale');
    assert.match(active[0]!.message, /price feed file .*prices\.csv is stale: nothing new for 30 min \(limit 30 min\); last price 9000 \$\/MWh for the interval from 2021-02-15T06:00:00.000Z/);
    assert.equal(feed.status().stale, true);

    // Hours of silence after a high price: still no curtailment.
    setClock(T0 + 4 * 60 * MIN);
    await feed.poll();
    watch.evaluate();
    assert.equal(h.engine.list(10).length, 0, 'no event: silence is not a price');
    assert.equal(sources.priceStrike!.source.curtailed, false);
  });

  it('after the gap one high price is not a streak; the second is, and the alert clears', async () => {
    // 10:00–10:15Z known at 10:15Z: the intervals 06:15–10:00 are missing, the streak restarts.
    setClock(T0 + 4 * 60 * MIN + 15 * MIN);
    await append('2021-02-15T10:00:00Z,9000');
    assert.equal(feed.status().stale, false);
    assert.equal(h.engine.list(10).length, 0, 'one above after a gap is not two consecutive');
    setClock(T0 + 4 * 60 * MIN + 30 * MIN);
    await append('2021-02-15T10:15:00Z,9000');
    const events = h.engine.list(10);
    assert.equal(events.length, 1, 'two consecutive above the strike: curtail');
    assert.equal(h.engine.get(events[0]!.id)?.program, 'price-strike');
    // The alert clears once the condition has been absent for the book's clear delay.
    setClock(T0 + 4 * 60 * MIN + 36 * MIN);
    watch.evaluate();
    assert.equal(book.list().active.length, 0);
  });
});
