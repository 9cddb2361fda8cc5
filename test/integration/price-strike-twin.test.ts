import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseErcotPrices } from '../../services/market/ercot.ts';
import { CURTAIL_SITE, curtailPlatform, until, type CurtailPlatform } from '../support/curtail-platform.ts';
import { requireFixtures } from '../support/fixtures.ts';

/**
 * The live price strike on the site twin, end to end: the platform as `npm start` runs it (control
 * plane, twin, agent) with a site file whose livePrices is a file feed and whose
 * curtailment.priceStrike curtails after one interval above 150 $/MWh and resumes after one at
 * or below it. Two of Winter Storm Uri's HB_NORTH prices (day-ahead, 2021-02-13 HE08 2045.19 and
 * 2021-02-12 HE15 106.10) are written as one-minute intervals ending now: the first starts an
 * event that the twin's revenue meter confirms, the second ends it and the twin's miners are woken.
 * (The hour-by-hour replay with the hand calculation is price-feed-uri-replay.test.ts; it needs a
 * clock the test moves, which the platform does not take.)
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = resolve(repoRoot, '../shared/fixtures');
const URI = join(FIXTURES, 'market', 'ercot', 'ercot_dam_hub_lz_spp_2021-02-10_to_2021-02-21_extract.csv');
const skip = requireFixtures(FIXTURES);

describe('price strike from a live file feed on the twin', { skip, timeout: 300_000 }, () => {
  let c: CurtailPlatform;
  let dir: string;
  let pricesPath: string;
  let high: number;
  let low: number;

  before(async () => {
    const uri = parseErcotPrices(readFileSync(URI, 'utf8'), { source: 'uri', settlementPoint: 'HB_NORTH' }).intervals;
    const at = (iso: string) => uri.find((iv) => iv.startMs === Date.parse(iso))!.priceUsdPerMwh;
    high = at('2021-02-13T13:00:00Z'); // HE08 CST on the 13th
    low = at('2021-02-12T20:00:00Z'); // HE15 CST on the 12th
    assert.deepEqual([high, low], [2045.19, 106.1]);
    dir = mkdtempSync(join(tmpdir(), 'switchyard-strike-twin-'));
    pricesPath = join(dir, 'prices.csv');
    writeFileSync(pricesPath, 'timestamp,price_usd_per_mwh\n');
    const sitePath = join(dir, 'site.yaml');
    writeFileSync(
      sitePath,
      `${readFileSync(resolve(repoRoot, CURTAIL_SITE), 'utf8').trimEnd()}\n` +
        'livePrices:\n  source: file\n  file: prices.csv\n  intervalMinutes: 1\n  pollSeconds: 0.25\n  staleAfterMinutes: 10\n' +
        'curtailment:\n  minOffMinutes: 0\n  priceStrike:\n    strikeUsdPerMwh: 150\n    curtailAfterIntervals: 1\n    resumeAfterIntervals: 1\n    shedMw: 2\n    maxDurationMinutes: 30\n',
    );
    c = await curtailPlatform({ sitePath });
  });
  after(async () => {
    await c?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a price above the strike starts a meter-confirmed event; the next at or below it restores', async () => {
    const before = c.p.twin!.siteLoadW();
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    appendFileSync(pricesPath, `${new Date(startMs).toISOString()},${high}\n`);
    const eventId = await until('a price-strike event', () => {
      const list = c.p.curtailment.list(10);
      return list[0]?.id;
    }, 30_000, 100);
    const confirmed = await c.until(eventId, ['meter-confirmed'], 90_000);
    assert.equal(confirmed.program, 'price-strike');
    assert.equal(confirmed.requestedStartMs, startMs + 60_000, 'the event starts at the end of the interval that decided it');
    assert.match(confirmed.reason ?? '', /price above the 150 \$\/MWh strike for 1 intervals \(last 2045\.19 \$\/MWh\)/);
    assert.ok(before - c.p.twin!.siteLoadW() >= 1.9e6, `the twin shed about 2 MW: ${before} → ${c.p.twin!.siteLoadW()} W`);

    appendFileSync(pricesPath, `${new Date(startMs + 60_000).toISOString()},${low}\n`);
    const done = await c.until(eventId, ['done'], 120_000);
    assert.ok(done.timeline.some((e) => e.kind === 'restore-start' && e.atMs >= startMs + 60_000));
    const res = await c.api('GET', '/api/prices/live');
    const body = res.json() as { feed: { last: { priceUsdPerMwh: number }; stale: boolean }; priceStrike: { curtailed: boolean; strikeUsdPerMwh: number } };
    assert.equal(body.feed.last.priceUsdPerMwh, 106.1);
    assert.equal(body.feed.stale, false);
    assert.deepEqual([body.priceStrike.strikeUsdPerMwh, body.priceStrike.curtailed], [150, false]);
    assert.equal(c.p.curtailment.list(10).length, 1, 'one event');
  });
});
