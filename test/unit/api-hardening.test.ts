import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { harness, type Harness } from '../support/api-harness.ts';
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../services/api/webhook-signature.ts';
import { LIVE_MAX_FRAME_BYTES } from '../../services/api/routes/live.ts';
import { defaultSolver } from '../../services/scheduler/solver/solve.ts';
import { toCsv } from '../../services/curtailment/event-csv.ts';
import { newEventRecord, logCommands } from '../../services/curtailment/event-record.ts';
import { checkOpenAdrVenConfig } from '../../services/curtailment/sources/openadr/config.ts';

/** Issue 10 finding 7: each smaller hole, each with a test that failed before the fix. */

const SECRET = 'a-webhook-secret-of-at-least-32-characters';

describe('security headers, rate limits, bounded inputs', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ rateLimitPerMin: 40, curtailment: true, webhook: { secret: SECRET, windowS: 300 } });
  });
  after(() => h.close());

  test('every answer carries the security headers', async () => {
    for (const url of ['/api/health', '/']) {
      const res = await h.call({ url });
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/, url);
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN', url);
    }
  });

  test('startMs 1e308 and an unbounded shedMw are 400s, not 500s', async () => {
    const plan = await h.call({ method: 'POST', url: '/api/plan/preview', payload: '{"startMs":1e308}', headers: { 'content-type': 'application/json' }, as: 'operator' });
    assert.equal(plan.statusCode, 400, plan.body);
    const prices = await h.call({ method: 'POST', url: '/api/plan/preview', payload: '{"prices":[{"startMs":1e308,"priceUsdPerMwh":1}]}', headers: { 'content-type': 'application/json' }, as: 'operator' });
    assert.equal(prices.statusCode, 400, prices.body);
    const dispatch = await h.call({ method: 'POST', url: '/api/curtailment/dispatch', payload: '{"program":"p","shedMw":1,"startMs":1e308,"endMs":1e308}', headers: { 'content-type': 'application/json' }, as: 'operator' });
    assert.equal(dispatch.statusCode, 400, dispatch.body);
    const preview = await h.call({ method: 'POST', url: '/api/curtailment/preview', payload: { shedMw: 1e300 }, as: 'operator' });
    assert.equal(preview.statusCode, 400, preview.body);
  });

  test('a signed dispatch is accepted; a bad or stale signature is not; a repeat without eventId is the same event', async () => {
    const now = Date.now();
    const body = JSON.stringify({ program: 'ERS test', shedMw: 0.01, startMs: now + 3_600_000, endMs: now + 7_200_000 });
    const ts = Math.floor(now / 1000);
    const signed = (b: string, t: number, sig = signWebhook(SECRET, t, b)) =>
      h.app.inject({ method: 'POST', url: '/api/curtailment/dispatch', payload: b, headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(t), [SIGNATURE_HEADER]: sig } });
    const first = await signed(body, ts);
    assert.equal(first.statusCode, 202, first.body);
    const again = await signed(body, ts);
    assert.equal(again.statusCode, 202);
    assert.equal(again.json().eventId, first.json().eventId, 'a replay within the window is the same event');
    const byToken = await h.call({ method: 'POST', url: '/api/curtailment/dispatch', payload: body, headers: { 'content-type': 'application/json' }, as: 'operator' });
    assert.equal(byToken.json().eventId, first.json().eventId, 'a retry without eventId is the same event');
    assert.equal((await signed(body.replace('0.01', '0.02'), ts, signWebhook(SECRET, ts, body))).statusCode, 401, 'body changed after signing');
    assert.equal((await signed(body, ts - 3600)).statusCode, 401, 'outside the replay window');
    assert.equal((await signed(body, ts, signWebhook('another-secret-of-at-least-32-chars!!', ts, body))).statusCode, 401);
    assert.equal((await h.app.inject({ method: 'POST', url: '/api/curtailment/dispatch', payload: body, headers: { 'content-type': 'application/json' } })).statusCode, 401, 'neither token nor signature');
    assert.equal((await h.call({ method: 'POST', url: '/api/curtailment/dispatch', payload: body, headers: { 'content-type': 'application/json' }, as: 'viewer' })).statusCode, 403);
    assert.equal(h.app.services.curtailment!.list(10).length, 1);
  });

  test('more requests a minute than the limit from one address get 429 with Retry-After', async () => {
    let limited = null;
    for (let i = 0; i < 60 && !limited; i++) {
      const res = await h.call({ url: '/api/health' });
      if (res.statusCode === 429) limited = res;
      else assert.equal(res.statusCode, 200);
    }
    assert.ok(limited, 'no 429 within 60 requests at 40 a minute');
    assert.equal(limited.json().error.code, 'E_TOO_MANY_REQUESTS');
    assert.ok(limited.headers['retry-after']);
  });
});

describe('/api/live: Origin and frame size', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('a page of another origin may not open it; the same host may', async () => {
    await assert.rejects(h.app.injectWS('/api/live', { headers: { 'sec-websocket-protocol': 'switchyard.v1', origin: 'https://evil.example', host: 'localhost:80' } }));
    const ws = await h.app.injectWS('/api/live', { headers: { 'sec-websocket-protocol': 'switchyard.v1', origin: 'http://localhost:80', host: 'localhost:80' } });
    ws.terminate();
  });

  test('a frame over the cap closes the socket with 1009 before it is buffered', async () => {
    const ws = await h.app.injectWS('/api/live', { headers: { 'sec-websocket-protocol': 'switchyard.v1' } });
    const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    ws.send(Buffer.alloc(LIVE_MAX_FRAME_BYTES * 4));
    assert.equal(await closed, 1009);
  });
});

describe('plan previews have their own worker, one in flight per caller', () => {
  let h: Harness;
  const NOW = Date.UTC(2026, 10, 30, 6, 2);
  before(async () => {
    h = await harness({ planner: { sitePath: 'infra/sites/demo.yaml', now: () => NOW } });
  });
  after(() => h.close());

  test("a second preview from the same caller while the first runs is 429; the plan's worker stays free", async () => {
    const body = { hashpriceUsdPerPhDay: 60, horizonHours: 12 };
    const first = h.call({ method: 'POST', url: '/api/plan/preview', payload: body, as: 'operator' });
    // Let the first reach the preview worker.
    for (let i = 0; i < 200 && h.planner!.previewsInFlight === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(h.planner!.previewsInFlight, 1);
    assert.equal(defaultSolver.depth, 0, 'the scheduled plan would not queue behind a preview');
    const second = await h.call({ method: 'POST', url: '/api/plan/preview', payload: body, as: 'operator' });
    assert.equal(second.statusCode, 429);
    assert.equal(second.json().error.code, 'E_TOO_MANY_REQUESTS');
    const other = h.call({ method: 'POST', url: '/api/plan/preview', payload: body, as: 'finance' });
    assert.equal((await first).statusCode, 200);
    assert.equal((await other).statusCode, 200, 'another caller is not refused');
    assert.equal((await h.call({ method: 'POST', url: '/api/plan/preview', payload: body, as: 'operator' })).statusCode, 200, 'free again once the first is done');
  });
});

test('settlement CSV: text starting like a formula is escaped, numbers are not', () => {
  let record = newEventRecord({ id: 'ev-1', program: 'operator', target: { shedMw: 1 }, allowAi: false, signalAtMs: Date.UTC(2026, 0, 1), reason: '=HYPERLINK("http://evil.example","click")' });
  record = logCommands(record, 'shed', [{ deviceId: '@B1-m1', blockId: '+B1', action: 'sleep', expectedDeltaW: -3000 }], Date.UTC(2026, 0, 1));
  const csv = toCsv(record);
  assert.match(csv, /^reason,"'=HYPERLINK\(""http:\/\/evil\.example"",""click""\)"$/m);
  assert.match(csv, /^'@B1-m1,'\+B1,shed,sleep,,-3000,/m);
  for (const line of csv.split('\n')) for (const c of line.split(',')) assert.doesNotMatch(c, /^[=+@]/, line);
});

test('an OpenADR VTN must be https:// unless it is on loopback', () => {
  const base = { clientId: 'a', clientSecret: 'b', venName: 'v', siteId: 's' };
  assert.throws(() => checkOpenAdrVenConfig({ ...base, vtnUrl: 'http://vtn.example/openadr3' }), /vtnUrl must be https:\/\/ outside loopback/);
  assert.throws(() => checkOpenAdrVenConfig({ ...base, vtnUrl: 'https://vtn.example', tokenUrl: 'http://auth.example/token' }), /tokenUrl must be https/);
  assert.equal(checkOpenAdrVenConfig({ ...base, vtnUrl: 'http://127.0.0.1:8080' }).vtnUrl, 'http://127.0.0.1:8080');
  assert.equal(checkOpenAdrVenConfig({ ...base, vtnUrl: 'http://localhost:8080' }).vtnUrl, 'http://localhost:8080');
  assert.equal(checkOpenAdrVenConfig({ ...base, vtnUrl: 'https://vtn.example' }).vtnUrl, 'https://vtn.example');
});
