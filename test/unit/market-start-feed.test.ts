import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { startSources } from '../../services/curtailment/sources/start-sources.ts';
import { parseSite } from '../../services/domain/load-site.ts';
import { ErcotApiFeed } from '../../services/market/ercot-api-feed.ts';
import { FileFeed } from '../../services/market/file-feed.ts';
import { buildLiveFeed } from '../../services/market/start-feed.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';

/** The site file's livePrices and curtailment.priceStrike sections: checked at load and at build, nothing fetched. */

const SMALL = readFileSync('test/support/sites/small.yaml', 'utf8');
const log = pino({ level: 'silent' });
const site = (extra: string) => parseSite(`${SMALL.trimEnd()}\n${extra}`, 'site.yaml');
const build = (extra: string, env: NodeJS.ProcessEnv = {}) => buildLiveFeed({ site: site(extra), sitePath: '/sites/site.yaml', env, log });
const ENV = { SWITCHYARD_ERCOT_SUBSCRIPTION_KEY: 'k', SWITCHYARD_ERCOT_USERNAME: 'u', SWITCHYARD_ERCOT_PASSWORD: 'p' };

describe('livePrices in the site file', () => {
  it('a file feed, its path relative to the site file, defaults filled', () => {
    const s = site('livePrices:\n  source: file\n  file: prices.csv\n  intervalMinutes: 5\n');
    assert.equal(s.livePrices?.staleAfterMinutes, 30);
    const feed = build('livePrices:\n  source: file\n  file: prices.csv\n  intervalMinutes: 5\n');
    assert.ok(feed instanceof FileFeed);
    assert.equal(feed.source, 'file /sites/prices.csv');
    assert.equal(feed.settlementPoint, s.site.market.settlementPoint);
  });

  it('an ERCOT API feed needs its report and the SWITCHYARD_ERCOT_* credentials', () => {
    const text = 'livePrices:\n  source: ercot-api\n  report: rtm\n  settlementPoint: HB_NORTH\n';
    assert.ok(build(text, ENV) instanceof ErcotApiFeed);
    assert.throws(() => build(text, {}), /needs SWITCHYARD_ERCOT_SUBSCRIPTION_KEY, SWITCHYARD_ERCOT_USERNAME, SWITCHYARD_ERCOT_PASSWORD/);
    assert.throws(() => build('livePrices:\n  source: ercot-api\n', ENV), /livePrices: source "ercot-api" needs "report"/);
  });

  it('unknown keys, and keys of the other source, are refused', () => {
    assert.throws(() => site('livePrices:\n  source: file\n  file: p.csv\n  intervalMinutes: 5\n  strike: 100\n'), /livePrices.*strike|strike.*livePrices|additional/i);
    assert.throws(() => build('livePrices:\n  source: file\n  file: p.csv\n  intervalMinutes: 5\n  report: rtm\n'), /"report" does not apply to source "file"/);
    assert.throws(() => build('livePrices:\n  source: file\n  file: p.csv\n'), /needs "intervalMinutes"/);
    assert.equal(build(''), null, 'no section: no feed');
  });

  it('curtailment.priceStrike without a live feed is refused at start', () => {
    const s = site('curtailment:\n  priceStrike:\n    strikeUsdPerMwh: 150\n    curtailAfterIntervals: 2\n    resumeAfterIntervals: 3\n    shedMw: 1\n');
    const port = { request: async () => ({ eventId: 'x' }), end: async () => undefined, status: () => undefined };
    assert.throws(() => startSources(s, port, new LiveState(s), {}, log, null), /curtailment.priceStrike needs a live price feed: add a livePrices section/);
  });
});
