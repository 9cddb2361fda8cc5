import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { CurtailSignal, CurtailmentPort } from '../../services/curtailment/signal.ts';
import { checkFourCpConfig, FourCpScheduler, MAX_TIMER_MS } from '../../services/curtailment/sources/four-cp.ts';
import { FakePort } from '../support/fake-port.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const window = (startMs: number, minutes = 15) => ({ start: iso(startMs), end: iso(startMs + minutes * 60_000) });
const silent = pino({ level: 'silent' });

/** Lets the request promises a timer started settle (setImmediate is not mocked). */
function settle() {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

test('past windows are skipped, an open one is requested at once, future ones when they open', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: NOW });
  const port = new FakePort({ reportStatus: false });
  const config = checkFourCpConfig({
    capMw: 12,
    windows: [window(NOW - 2 * HOUR), window(NOW - 5 * 60_000), window(NOW + HOUR), window(NOW + 40 * DAY, 30)],
  });
  const scheduler = new FourCpScheduler(config, port, { log: silent });
  scheduler.start();
  await settle();
  assert.equal(port.requests.length, 1);
  assert.deepEqual(port.requests[0], {
    program: '4cp',
    target: { targetMw: 12 },
    startMs: NOW - 5 * 60_000,
    endMs: NOW + 10 * 60_000,
    allowAi: false,
    externalId: `4cp:${NOW - 5 * 60_000}`,
    requestedBy: '4cp',
    reason: `predicted 4CP peak ${iso(NOW - 5 * 60_000)} to ${iso(NOW + 10 * 60_000)}`,
  });
  assert.deepEqual(scheduler.windowStates().map((w) => w.state), ['skipped', 'requested', 'waiting', 'waiting']);

  t.mock.timers.tick(HOUR - 1);
  await settle();
  assert.equal(port.requests.length, 1, 'not a millisecond early');
  t.mock.timers.tick(1);
  await settle();
  assert.equal(port.requests.length, 2);
  assert.equal(port.requests[1]?.startMs, NOW + HOUR);

  // 40 days is past setTimeout's limit: the wait is chained, and fires on time.
  assert.ok(40 * DAY > MAX_TIMER_MS);
  t.mock.timers.tick(40 * DAY - HOUR - 1);
  await settle();
  assert.equal(port.requests.length, 2);
  t.mock.timers.tick(1);
  await settle();
  assert.equal(port.requests.length, 3);
  assert.deepEqual([port.requests[2]?.startMs, port.requests[2]?.endMs], [NOW + 40 * DAY, NOW + 40 * DAY + 30 * 60_000]);
  assert.deepEqual(scheduler.windowStates().map((w) => w.eventId), [undefined, 'ev-1', 'ev-2', 'ev-3']);
  scheduler.stop();
});

test('stop() cancels pending windows', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: NOW });
  const port = new FakePort({ reportStatus: false });
  const scheduler = new FourCpScheduler(checkFourCpConfig({ capMw: 0, windows: [window(NOW + HOUR)] }), port, { log: silent });
  scheduler.start();
  scheduler.stop();
  t.mock.timers.tick(2 * HOUR);
  await settle();
  assert.equal(port.requests.length, 0);
});

test('a refused request is retried while the window is open, then given up', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: NOW });
  const port = new FakePort({ reportStatus: false });
  port.failures = 2;
  const lines: Array<{ msg: string }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });
  const scheduler = new FourCpScheduler(checkFourCpConfig({ capMw: 3, priority: 65, retryMs: 60_000, windows: [window(NOW + HOUR)] }), port, { log });
  scheduler.start();
  t.mock.timers.tick(HOUR);
  await settle();
  assert.equal(port.requests.length, 1);
  t.mock.timers.tick(60_000);
  await settle();
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(port.requests.length, 3);
  assert.equal(port.requests[2]?.priority, 65);
  assert.deepEqual(new Set(port.requests.map((r) => r.externalId)).size, 1, 'retries ask for the same event');
  assert.equal(scheduler.windowStates()[0]?.state, 'requested');
  assert.equal(lines.filter((l) => l.msg === '4CP window: the curtailment engine refused the request').length, 2);

  // A window whose retries run past its end is given up.
  const port2 = new FakePort({ reportStatus: false });
  port2.failures = 100;
  const opensMs = Date.now() + HOUR; // the mocked clock has moved on
  const s2 = new FourCpScheduler(checkFourCpConfig({ capMw: 3, retryMs: 5 * 60_000, windows: [window(opensMs)] }), port2, { log: silent });
  s2.start();
  t.mock.timers.tick(HOUR);
  await settle();
  for (let i = 0; i < 5; i++) {
    t.mock.timers.tick(5 * 60_000);
    await settle();
  }
  assert.equal(port2.requests.length, 3);
  assert.equal(s2.windowStates()[0]?.state, 'failed');
  scheduler.stop();
  s2.stop();
});

test('windows are checked at start-up: ISO times with a zone, end after start, no unknown keys', () => {
  assert.throws(() => checkFourCpConfig({ capMw: 1, windows: [{ start: iso(NOW), end: iso(NOW) }] }), /\/windows\/0\/end end .* is not after start/);
  assert.throws(() => checkFourCpConfig({ capMw: 1, windows: [{ start: '2025-06-01 12:00', end: iso(NOW) }] }), /\/windows\/0\/start/);
  assert.throws(() => checkFourCpConfig({ capMw: 1, windows: [], extra: true }), /unknown key "extra"/);
  assert.throws(() => checkFourCpConfig({ capMw: -1, windows: [] }), /\/capMw/);
  assert.equal(checkFourCpConfig({ capMw: 1, windows: [] }).retryMs, 5000);
});
