import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { EventRecord } from '../../services/curtailment/event-record.ts';
import { startSources, type RunningSources } from '../../services/curtailment/sources/start-sources.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { logger } from '../../services/lib/log.ts';
import type { ErcotApiFeed } from '../../services/market/ercot-api-feed.ts';
import { buildLiveFeed } from '../../services/market/start-feed.ts';
import { engineHarness, HARNESS_SITE, type Harness } from '../support/engine-harness.ts';
import { apiRowsFromPosting } from '../support/ercot-api-json.ts';
import { ercotApiServer, type ErcotApiServer } from '../support/ercot-api-server.ts';
import { requireFixtures } from '../support/fixtures.ts';
import { until } from '../support/until.ts';

/**
 * Winter Storm Uri, replayed through the live price feed into the price-strike rule and the
 * curtailment engine.
 *
 * What data: the fixtures hold ERCOT's DAY-AHEAD hourly settlement point prices for the storm
 * (NP4-180-ER extract, 2021-02-10..21, hubs and load zones); there is no recorded real-time
 * (NP6-905) posting from February 2021. So this replays HB_NORTH day-ahead prices, served on
 * loopback in the shape of the public API's NP4-190-CD report (the same values, row for row),
 * and the feed reads them as the "dam" report. Each hourly price is treated as realised at the
 * end of its hour, as the feed does for any report.
 *
 * The engine is the real one (records store, in-process queue, restore hysteresis) with a fake
 * agent (test/support/engine-harness.ts); its clock runs at real speed from an offset the test
 * moves forward through the storm, in half-hour steps, so the 3.5 h restore hold passes.
 *
 * Settings: strike 150 $/MWh, curtail after N = 2 intervals above it, resume after M = 3 at or
 * below it (resume level = the strike), restore hold 3.5 h for price-strike events.
 *
 * On its first fetch (yesterday and today, Central, at 00:30 CST on the 12th) the feed also gets
 * the 11th; hours that ended more than staleAfter (90 min) before are history (kept, not
 * stepped): only HE24 of the 11th (40.40 $/MWh, ≤ 150) is stepped, and changes nothing.
 *
 * Hand calculation (HB_NORTH, hour ending HE in CST = UTC−6; an hour's price is known at its end):
 *
 *   2021-02-12  HE01–HE06  83.16 81.00 81.26 85.00 84.52 101.06      all ≤ 150
 *               HE07 211.28  HE08 282.04                               above, above → N = 2 reached at the
 *                                                                      end of HE08 = 08:00 CST = 14:00Z: EVENT 1 starts
 *               HE09 249.49 HE10 268.43 HE11 197.21 HE12 152.28        above (152.28 > 150)
 *               HE13 118.80 HE14 112.35 HE15 106.10                    below ×3 → M = 3 at the end of HE15 =
 *                                                                      15:00 CST = 21:00Z: the rule ends event 1;
 *                                                                      the hold keeps it until 21:00Z + 3.5 h = 00:30Z (13th)
 *               HE16 104.25 HE17 120.44                                below
 *               HE18 157.42 HE19 270.00                                above ×2 → the rule curtails at the end of HE19 =
 *                                                                      19:00 CST = 01:00Z (13th). The hold ran out at
 *                                                                      00:30Z, so event 1 is restoring: EVENT 2 starts at 01:00Z
 *               HE20 170.85                                            above
 *               HE21 147.81 HE22 126.86 HE23 97.98                     below ×3 (147.81 ≤ 150) → the rule ends event 2 at
 *                                                                      23:00 CST = 05:00Z (13th); held until 08:30Z
 *               HE24 91.38                                             below
 *   2021-02-13  HE01 444.00 HE02 464.99                                above ×2 → the rule curtails at 02:00 CST = 08:00Z,
 *                                                                      inside the hold (before 08:30Z): EVENT 2 goes on,
 *                                                                      no new event, no restore
 *               HE03–HE24  498.17 … 809.16                             all above: event 2 still curtailed at the
 *                                                                      end of the replay (2021-02-14 00:00 CST = 06:00Z)
 *
 * So: 2 engine events. Event 1 from 14:00Z (12th), restore starting at 00:30Z (13th). Event 2
 * from 01:00Z (13th), still running at 06:00Z (14th). Without the hold there would have been 3
 * (the rule's third curtail, at 08:00Z on the 13th, would have been a new event).
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = resolve(repoRoot, '../shared/fixtures');
const URI = join(FIXTURES, 'market', 'ercot', 'ercot_dam_hub_lz_spp_2021-02-10_to_2021-02-21_extract.csv');
const skip = requireFixtures(FIXTURES);

const H = 3_600_000;
const Z = (iso: string) => Date.parse(iso);
const REPLAY_FROM = Z('2021-02-12T06:00:00Z'); // 2021-02-12 00:00 CST
const REPLAY_TO = Z('2021-02-14T06:00:00Z'); // 2021-02-14 00:00 CST

const CREDS = { subscriptionKey: 'uri-sub-key', username: 'ops@example.com', password: 'uri-password' };

const SITE: SiteFile = {
  ...HARNESS_SITE,
  site: { ...HARNESS_SITE.site, market: { iso: 'ERCOT', settlementPoint: 'HB_NORTH' } },
  livePrices: { source: 'ercot-api', report: 'dam', staleAfterMinutes: 90, requestTimeoutSeconds: 5 },
  curtailment: {
    restoreRampMwPerMin: 6000,
    restoreStaggerSeconds: 0.05,
    minOffMinutes: 0,
    restoreHoldSeconds: { 'price-strike': 3.5 * 3600 },
    priceStrike: { strikeUsdPerMwh: 150, curtailAfterIntervals: 2, resumeAfterIntervals: 3, shedMw: 0.15, maxDurationMinutes: 4 * 1440, allowAi: false },
  },
};

describe('Winter Storm Uri price replay: live feed → price strike → engine', { skip, timeout: 180_000 }, () => {
  let api: ErcotApiServer;
  let h: Harness;
  let sources: RunningSources;
  let feed: ErcotApiFeed;
  let ticker: NodeJS.Timeout;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const setClock = (ms: number) => (offsetMs = ms - Date.now());
  const steps: Array<{ endMs: number; price: number; action: string; eventId: string | undefined }> = [];

  before(async () => {
    const rows = apiRowsFromPosting(readFileSync(URI, 'utf8'), 'np4-190-cd');
    api = await ercotApiServer({ shape: 'np4-190-cd', rows, ...CREDS });
    setClock(REPLAY_FROM);
    h = await engineHarness({ now: clock, bounds: { horizonMs: 7 * 24 * H, maxDurationMs: 7 * 24 * H } }, SITE);
    h.tick();
    ticker = setInterval(() => h.tick(), 40);
    const log = logger('uri-replay');
    log.level = 'silent';
    const env = { SWITCHYARD_ERCOT_SUBSCRIPTION_KEY: CREDS.subscriptionKey, SWITCHYARD_ERCOT_USERNAME: CREDS.username, SWITCHYARD_ERCOT_PASSWORD: CREDS.password, SWITCHYARD_ERCOT_API_URL: api.apiUrl, SWITCHYARD_ERCOT_TOKEN_URL: api.tokenUrl };
    feed = buildLiveFeed({ site: SITE, sitePath: join(repoRoot, 'site.yaml'), env, log, now: clock }) as ErcotApiFeed;
    sources = startSources(SITE, h.engine, h.live, env, log, feed);
    sources.priceStrike!.onStep((s) => steps.push({ endMs: s.startMs + H, price: s.priceUsdPerMwh, action: s.action, eventId: s.eventId }));
  });
  after(async () => {
    clearInterval(ticker);
    await sources?.stop();
    await h?.close();
    await api?.close();
  });

  /** Waits until no event is mid-step: each active one is meter-confirmed or fully restored. */
  const settled = () => {
    let open: Array<{ id: string; status: string }> = [];
    return until('the engine to settle', () => {
      open = h.engine.list(50).filter((e) => !['meter-confirmed', 'done', 'aborted', 'failed'].includes(e.status));
      return open.length === 0;
    }, 20_000, 20).catch((err: Error) => {
      throw new Error(`${err.message} at ${new Date(clock()).toISOString()}: ${open.map((e) => `${e.id} ${e.status} ${JSON.stringify(h.engine.get(e.id)?.timeline.slice(-3))}`).join('; ')}`);
    });
  };

  it('starts and ends the events where the hand calculation says', async () => {
    assert.equal(feed.recent().length, 0, 'nothing delivered before the replay starts');
    for (let t = REPLAY_FROM + H / 2; t <= REPLAY_TO; t += H / 2) {
      setClock(t);
      await feed.poll();
      await sources.priceStrike!.idle();
      // The supervisor (every 50 ms on the engine's clock) releases a hold that is due.
      await until('a supervisor pass', async () => {
        const mark = h.engine.now();
        await new Promise((r) => setTimeout(r, 60));
        return h.engine.now() - mark >= 60;
      }, 5000, 0);
      await settled();
    }
    // The first fetch (yesterday and today, Central) also brings the 11th; the hours that ended
    // more than staleAfter (90 min) before the first poll (06:30Z and a few ms) are history, so
    // only HE24 (ended 06:00Z, 40.40) is stepped.
    assert.equal(steps.length, 49, 'the last hour of the 11th, then the 12th and 13th, each hour once');
    assert.deepEqual([new Date(steps[0]!.endMs).toISOString(), steps[0]!.price, steps[0]!.action], ['2021-02-12T06:00:00.000Z', 40.4, 'hold']);
    assert.equal(steps[1]!.endMs, REPLAY_FROM + H);
    assert.equal(feed.recent().length, 49, 'the intervals starting in the last 48 hours are kept for the scheduler');
    assert.ok(api.requests.report >= 48 && api.requests.rejected === 0, JSON.stringify(api.requests));

    // The hours above the strike, read from the served data, agree with the table above.
    const aboveHours = steps.filter((s) => s.price > 150).map((s) => new Date(s.endMs).toISOString().slice(5, 13));
    assert.deepEqual(aboveHours.slice(0, 9), ['02-12T13', '02-12T14', '02-12T15', '02-12T16', '02-12T17', '02-12T18', '02-13T00', '02-13T01', '02-13T02']);
    assert.equal(aboveHours.length, 9 + 24, 'HE18–HE20 on the 12th and every hour of the 13th are above');

    const actions = steps.filter((s) => s.action !== 'hold').map((s) => [s.action, new Date(s.endMs).toISOString(), s.eventId]);
    const [e1, e2] = [actions[0]![2], actions[2]![2]];
    assert.deepEqual(actions, [
      ['curtail', '2021-02-12T14:00:00.000Z', e1],
      ['resume', '2021-02-12T21:00:00.000Z', undefined],
      ['curtail', '2021-02-13T01:00:00.000Z', e2],
      ['resume', '2021-02-13T05:00:00.000Z', undefined],
      ['curtail', '2021-02-13T08:00:00.000Z', e2],
    ]);
    assert.notEqual(e1, e2);

    const events = h.engine.list(50);
    assert.equal(events.length, 2, `two engine events: ${events.map((e) => e.id).join(', ')}`);
    const one = h.engine.get(e1!) as EventRecord;
    const two = h.engine.get(e2!) as EventRecord;
    assert.equal(one.program, 'price-strike');
    assert.equal(one.requestedStartMs, Z('2021-02-12T14:00:00Z'));
    assert.equal(one.status, 'done');
    const restoreStart = one.timeline.find((e) => e.kind === 'restore-start')!.atMs;
    // Released by the supervisor on its first pass at or after 00:30Z (the clock runs at real speed from there).
    assert.ok(restoreStart >= Z('2021-02-13T00:30:00Z') && restoreStart < Z('2021-02-13T00:30:00Z') + 60_000, `event 1 restore began ${new Date(restoreStart).toISOString()}`);
    assert.equal(two.requestedStartMs, Z('2021-02-13T01:00:00Z'));
    assert.equal(two.status, 'meter-confirmed', 'event 2 is still curtailed at the end of the replay');
    assert.equal(two.timeline.some((e) => e.kind === 'restore-start'), false, 'the 08:00Z curtail inside the hold did not restore and re-shed event 2');
    assert.equal(h.engine.hold.get(e2!), undefined, 'event 2 is no longer held: it was extended');

    const status = feed.status();
    assert.equal(status.last?.priceUsdPerMwh, 809.16, 'HE24 of the 13th');
    assert.equal(status.stale, false);
  });
});
