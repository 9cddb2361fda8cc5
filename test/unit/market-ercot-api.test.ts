import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ErcotApiFeed } from '../../services/market/ercot-api-feed.ts';
import { ErcotApiClient, ErcotApiError, ercotApiOptionsFromEnv } from '../../services/market/ercot-api.ts';
import { ERCOT_API_REPORTS, parseErcotApiReport } from '../../services/market/ercot-api-report.ts';
import { parseErcotPrices } from '../../services/market/ercot.ts';
import { MarketFileError } from '../../services/market/file-error.ts';
import { apiPages, apiRowsFromPosting } from '../support/ercot-api-json.ts';
import { requireFixtures } from '../support/fixtures.ts';

/**
 * The ERCOT public API report parser on the recorded NP4-190 and NP6-905 postings put in the
 * API's JSON shape (it must read exactly what the CSV parser reads), and the client against a
 * loopback server that checks the token request, the headers and the paging.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = resolve(repoRoot, '../shared/fixtures');
const ERCOT = join(FIXTURES, 'market', 'ercot');
const skip = requireFixtures(FIXTURES);
const NP4 = 'ercot_np4-190_dam_spp_2025-04-11_raw.csv';
const NP6 = 'ercot_np6-905_rtm_spp_2025-04-10_h19i2_raw.csv';
const read = (f: string) => readFileSync(join(ERCOT, f), 'utf8');

describe('ERCOT API reports read like the CSV postings', { skip }, () => {
  it('NP4-190-CD day-ahead: HB_NORTH, 24 hours, the same prices as the CSV', () => {
    const csv = read(NP4);
    const pages = apiPages('np4-190-cd', apiRowsFromPosting(csv, 'np4-190-cd'), 4000);
    assert.ok(pages.length > 1, 'the day spans several pages');
    const fromApi = parseErcotApiReport(ERCOT_API_REPORTS.dam, pages, { source: 'api', settlementPoint: 'HB_NORTH' });
    const fromCsv = parseErcotPrices(csv, { source: NP4, settlementPoint: 'HB_NORTH' });
    assert.equal(fromApi.intervals.length, 24);
    assert.deepEqual(fromApi.intervals, fromCsv.intervals);
  });

  it('NP6-905-CD real-time: settlementPoint is the posting\'s SettlementPointName, type kept', () => {
    const csv = read(NP6);
    const pages = apiPages('np6-905-cd', apiRowsFromPosting(csv, 'np6-905-cd'), 5000);
    const fromApi = parseErcotApiReport(ERCOT_API_REPORTS.rtm, pages, { source: 'api', settlementPoint: 'HB_NORTH' });
    const fromCsv = parseErcotPrices(csv, { source: NP6, settlementPoint: 'HB_NORTH' });
    assert.equal(fromApi.intervalMinutes, 15);
    assert.equal(fromApi.settlementPointType, 'HU');
    assert.deepEqual(fromApi.intervals, fromCsv.intervals);
  });

  it('a bad value names its position; a wrong envelope names the report', () => {
    const rows = apiRowsFromPosting(read(NP4), 'np4-190-cd', (r) => r.name === 'HB_NORTH');
    rows[3]![3] = 'n/a';
    assert.throws(() => parseErcotApiReport(ERCOT_API_REPORTS.dam, apiPages('np4-190-cd', rows, 100), { source: 'api', settlementPoint: 'HB_NORTH' }), (err: unknown) => {
      assert.ok(err instanceof MarketFileError);
      assert.equal(err.row, 5);
      assert.match(err.message, /api row 5: column SettlementPointPrice is "n\/a", expected a price/);
      return true;
    });
    assert.throws(() => parseErcotApiReport(ERCOT_API_REPORTS.dam, [{ data: [] }], { source: 'api', settlementPoint: 'HB_NORTH' }), /api page 1 response.*fields/);
  });
});

describe('ERCOT API client', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ path: string; auth?: string; key?: string; body?: string }> = [];
  let tokenCalls = 0;
  let rejectNextReport = false;
  let hang = false;
  const rows = (): unknown[] => apiRowsFromPosting(read(NP4), 'np4-190-cd', (r) => r.name === 'HB_NORTH');

  const body = (req: IncomingMessage) => new Promise<string>((ok) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => ok(s));
  });

  before(async () => {
    server = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenCalls++;
        seen.push({ path: url.pathname, body: await body(req) });
        res.setHeader('content-type', 'application/json').end(JSON.stringify({ id_token: `tok-${tokenCalls}`, expires_in: '3600', token_type: 'Bearer' }));
        return;
      }
      seen.push({ path: `${url.pathname}${url.search}`, auth: req.headers.authorization, key: req.headers['ocp-apim-subscription-key'] as string });
      if (hang) return; // never answers
      if (rejectNextReport) {
        rejectNextReport = false;
        res.statusCode = 401;
        res.end('{"statusCode":401,"message":"token expired"}');
        return;
      }
      const page = Number(url.searchParams.get('page'));
      const size = Number(url.searchParams.get('size'));
      const pages = apiPages('np4-190-cd', rows() as never, size);
      res.setHeader('content-type', 'application/json').end(JSON.stringify(pages[page - 1]));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((ok) => server.close(() => ok())));

  const client = (extra: Partial<ConstructorParameters<typeof ErcotApiClient>[0]> = {}) =>
    new ErcotApiClient({ subscriptionKey: 'sub-key', username: 'op@example.com', password: 'p w&d', apiUrl: `${base}/api/public-reports`, tokenUrl: `${base}/token`, pageSize: 10, ...extra });

  it('logs on with the password flow, sends the token and the subscription key, follows the pages', { skip }, async () => {
    seen.length = 0;
    tokenCalls = 0;
    const c = client();
    const pages = await c.fetchReport(ERCOT_API_REPORTS.dam, { deliveryDateFrom: '2025-04-11', deliveryDateTo: '2025-04-11', settlementPoint: 'HB_NORTH' });
    assert.equal(pages.length, 3, '24 rows in pages of 10');
    const token = new URLSearchParams(seen[0]!.body);
    assert.equal(token.get('grant_type'), 'password');
    assert.equal(token.get('username'), 'op@example.com');
    assert.equal(token.get('password'), 'p w&d');
    assert.equal(token.get('response_type'), 'id_token');
    const gets = seen.slice(1);
    assert.deepEqual(gets.map((g) => new URL(g.path, 'http://x').searchParams.get('page')), ['1', '2', '3']);
    assert.ok(gets.every((g) => g.path.startsWith('/api/public-reports/np4-190-cd/dam_stlmnt_pnt_prices?') && g.auth === 'Bearer tok-1' && g.key === 'sub-key'));
    const series = parseErcotApiReport(ERCOT_API_REPORTS.dam, pages, { source: 'api', settlementPoint: 'HB_NORTH' });
    assert.equal(series.intervals.length, 24);
    // The token is reused, and fetched again after a 401.
    rejectNextReport = true;
    await c.fetchReport(ERCOT_API_REPORTS.dam, { settlementPoint: 'HB_NORTH' });
    assert.equal(tokenCalls, 2);
  });

  it('every request has a timeout', async () => {
    hang = true;
    try {
      await assert.rejects(client({ timeoutMs: 150 }).fetchReport(ERCOT_API_REPORTS.rtm, {}), (err: unknown) => {
        assert.ok(err instanceof ErcotApiError);
        assert.match(err.message, /GET np6-905-cd\/spp_node_zone_hub .*no answer within 150 ms/);
        return true;
      });
    } finally {
      hang = false;
    }
  });

  it('the feed delivers only intervals that are over, each once', { skip }, async () => {
    // 2025-04-11 13:30 CDT: hours ending 01:00..13:00 are over.
    let now = Date.parse('2025-04-11T18:30:00Z');
    const feed = new ErcotApiFeed({ client: client(), report: 'dam', settlementPoint: 'HB_NORTH', staleAfterMs: 3_600_000, log: pino({ level: 'silent' }), now: () => now });
    const got: number[] = [];
    feed.subscribe((iv) => got.push(iv.startMs));
    assert.equal(await feed.poll(), 13);
    // Hours ending 01:00..12:00 ended more than staleAfter (1 h) before 13:30: history, kept but not delivered.
    assert.equal(got.length, 1);
    assert.equal(feed.recent().length, 13);
    const q = new URL(seen.at(-1)!.path, 'http://x').searchParams;
    assert.equal(q.get('deliveryDateFrom'), '2025-04-10');
    assert.equal(q.get('deliveryDateTo'), '2025-04-11');
    assert.equal(q.get('settlementPoint'), 'HB_NORTH');
    now += 3_600_000;
    assert.equal(await feed.poll(), 1);
    assert.equal(got.length, 2);
    assert.equal(new Date(got.at(-1)!).toISOString(), '2025-04-11T18:00:00.000Z');
    assert.equal(feed.status().last?.priceUsdPerMwh, parseErcotPrices(read(NP4), { source: NP4, settlementPoint: 'HB_NORTH' }).intervals[13]!.priceUsdPerMwh);
  });

  it('credentials come from SWITCHYARD_ERCOT_*; a missing one is named', () => {
    assert.throws(() => ercotApiOptionsFromEnv({ SWITCHYARD_ERCOT_USERNAME: 'u' }), /needs SWITCHYARD_ERCOT_SUBSCRIPTION_KEY, SWITCHYARD_ERCOT_PASSWORD/);
    const o = ercotApiOptionsFromEnv({ SWITCHYARD_ERCOT_SUBSCRIPTION_KEY: 'k', SWITCHYARD_ERCOT_USERNAME: 'u', SWITCHYARD_ERCOT_PASSWORD: 'p', SWITCHYARD_ERCOT_API_URL: 'http://127.0.0.1:1/x' });
    assert.equal(o.apiUrl, 'http://127.0.0.1:1/x');
    assert.equal(o.tokenUrl, undefined);
  });
});
