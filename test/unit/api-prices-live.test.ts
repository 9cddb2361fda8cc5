import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { FileFeed } from '../../services/market/file-feed.ts';
import { harness, type Harness } from '../support/api-harness.ts';

/** GET /api/prices/live over a real file feed: last price, age, stale; feed null without one. */
describe('GET /api/prices/live', () => {
  let h: Harness;
  let bare: Harness;
  let dir: string;
  let feed: FileFeed;
  let now = Date.parse('2021-02-15T06:20:00Z');
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-api-prices-'));
    writeFileSync(join(dir, 'p.csv'), 'timestamp,price_usd_per_mwh\n2021-02-15T06:00:00Z,9000\n');
    feed = new FileFeed({ path: join(dir, 'p.csv'), settlementPoint: 'HB_NORTH', intervalMinutes: 15, staleAfterMs: 30 * 60_000, log: pino({ level: 'silent' }), now: () => now });
    await feed.poll();
    h = await harness({ deps: () => ({ livePrices: feed }) });
    bare = await harness();
  });
  after(async () => {
    await h.close();
    await bare.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the last price, its interval, age and stale flag', async () => {
    now += 5 * 60_000;
    const res = await h.call({ method: 'GET', url: '/api/prices/live' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json().feed;
    assert.deepEqual(body.last, { startMs: Date.parse('2021-02-15T06:00:00Z'), minutes: 15, priceUsdPerMwh: 9000 });
    assert.equal(body.ageMs, 5 * 60_000);
    assert.equal(body.stale, false);
    assert.equal(body.settlementPoint, 'HB_NORTH');
    assert.equal(res.json().priceStrike, null);
    now += 26 * 60_000;
    const later = (await h.call({ method: 'GET', url: '/api/prices/live' })).json().feed;
    assert.equal(later.stale, true);
    appendFileSync(join(dir, 'p.csv'), '2021-02-15T06:15:00Z,8000\n');
    await feed.poll();
    const fresh = (await h.call({ method: 'GET', url: '/api/prices/live' })).json().feed;
    assert.equal(fresh.stale, false);
    assert.equal(fresh.last.priceUsdPerMwh, 8000);
  });

  it('feed null without a feed; unknown query keys are refused', async () => {
    const res = await bare.call({ method: 'GET', url: '/api/prices/live' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { feed: null, priceStrike: null });
    assert.equal((await h.call({ method: 'GET', url: '/api/prices/live?x=1' })).statusCode, 400);
  });
});
