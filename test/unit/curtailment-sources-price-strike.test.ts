import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { EventStatus } from '../../services/curtailment/event-record.ts';
import type { CurtailSignal, CurtailmentPort } from '../../services/curtailment/signal.ts';
import { checkPriceStrikeConfig, PriceStrikeSource } from '../../services/curtailment/sources/price-strike.ts';
import { FakePort } from '../support/fake-port.ts';

const silent = pino({ level: 'silent' });
const T0 = Date.UTC(2025, 7, 20, 20, 0, 0);
const FIVE = 5 * 60_000;
const config = checkPriceStrikeConfig({ strikeUsdPerMwh: 100, curtailAfter: 3, resumeAfter: 2, hardStrikeUsdPerMwh: 1000, shedMw: 40, maxDurationMs: 4 * 3_600_000 });

async function feed(source: PriceStrikeSource, prices: number[], fromIndex = 0) {
  const out: string[] = [];
  for (const [i, price] of prices.entries()) {
    const step = await source.onPrice({ startMs: T0 + (fromIndex + i) * FIVE, minutes: 5, priceUsdPerMwh: price });
    out.push(step.action);
  }
  return out;
}

test('curtail after N intervals above the strike; resume after M at or below; one request and one end', async () => {
  const port = new FakePort();
  const source = new PriceStrikeSource(config, port, { log: silent });
  assert.deepEqual(await feed(source, [90, 120, 130, 150, 200, 80, 100]), ['hold', 'hold', 'hold', 'curtail', 'hold', 'hold', 'resume']);
  const startMs = T0 + 4 * FIVE; // the end of the third high interval (index 3)
  assert.deepEqual(port.calls, [
    [
      'request',
      {
        program: 'price-strike',
        target: { shedMw: 40 },
        startMs,
        endMs: startMs + 4 * 3_600_000,
        allowAi: false,
        externalId: `price-strike:${startMs}`,
        requestedBy: 'price-strike',
        reason: 'price above the 100 $/MWh strike for 3 intervals (last 150 $/MWh)',
      },
    ],
    ['end', 'ev-1', 'price at or below the 100 $/MWh strike for 2 intervals (last 100 $/MWh)'],
  ]);
  assert.equal(source.curtailed, false);
  assert.equal(source.eventId, undefined);
});

test('a price above the hard strike curtails at once; a target and a priority pass through', async () => {
  const port = new FakePort();
  const source = new PriceStrikeSource(checkPriceStrikeConfig({ ...config, shedMw: undefined, targetMw: 5, priority: 55, allowAi: true }), port, { log: silent });
  assert.deepEqual(await feed(source, [50, 1500]), ['hold', 'curtail']);
  const signal = port.calls[0]?.[1] as CurtailSignal;
  assert.deepEqual([signal.target, signal.priority, signal.allowAi, signal.reason], [{ targetMw: 5 }, 55, true, 'price 1500 $/MWh above the hard strike 1000 $/MWh']);
});

test('a skipped interval breaks the streak (logged); a repeated or older interval is ignored', async () => {
  const port = new FakePort();
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
  const source = new PriceStrikeSource(config, port, { log });
  await feed(source, [150, 150]);
  // Interval 2 never arrived: 3 and 4 do not complete a run with 0 and 1.
  assert.deepEqual(await feed(source, [150, 150], 3), ['hold', 'hold']);
  assert.equal(port.calls.length, 0);
  assert.deepEqual(warnings, ['price feed skipped intervals; streaks restart']);
  // A replay of interval 4 does not count twice.
  assert.equal((await source.onPrice({ startMs: T0 + 4 * FIVE, minutes: 5, priceUsdPerMwh: 150 })).action, 'hold');
  assert.deepEqual(await feed(source, [150], 5), ['curtail']);
  // NaN is a missing price too.
  const other = new PriceStrikeSource(config, new FakePort(), { log: silent });
  assert.deepEqual(await feed(other, [150, 150, Number.NaN, 150, 150, 150]), ['hold', 'hold', 'hold', 'hold', 'hold', 'curtail']);
});

test('an engine failure rolls the rule back, so the next interval asks (or ends) again', async () => {
  const port = new FakePort();
  const source = new PriceStrikeSource(config, port, { log: silent });
  await feed(source, [150, 150]);
  port.failNext = 'request';
  await assert.rejects(source.onPrice({ startMs: T0 + 2 * FIVE, minutes: 5, priceUsdPerMwh: 150 }), /price strike: requesting curtailment from .*: engine busy/);
  assert.equal(source.curtailed, false);
  assert.deepEqual(await feed(source, [150], 3), ['curtail']);
  assert.equal(source.eventId, 'ev-1');
  await feed(source, [50], 4);
  port.failNext = 'end';
  await assert.rejects(source.onPrice({ startMs: T0 + 5 * FIVE, minutes: 5, priceUsdPerMwh: 50 }), /price strike: ending engine event ev-1: engine busy/);
  assert.equal(source.curtailed, true);
  assert.deepEqual(await feed(source, [50], 6), ['resume']);
  assert.deepEqual(
    port.calls.map((c) => c[0]),
    ['request', 'request', 'end', 'end'],
  );
});

test('concurrent prices are stepped one at a time: one request, not two', async () => {
  const port = new FakePort();
  const source = new PriceStrikeSource({ ...config, curtailAfter: 1 }, port, { log: silent });
  const steps = await Promise.all([0, 1, 2].map((i) => source.onPrice({ startMs: T0 + i * FIVE, minutes: 5, priceUsdPerMwh: 500 })));
  assert.deepEqual(steps.map((s) => s.action), ['curtail', 'hold', 'hold']);
  assert.equal(port.calls.length, 1);
});

test('when the engine event is over while prices stay high, the rule re-arms and needs a fresh run', async () => {
  const port = new FakePort();
  const source = new PriceStrikeSource(config, port, { log: silent });
  await feed(source, [150, 150, 150]);
  port.statuses.set('ev-1', 'done');
  assert.deepEqual(await feed(source, [150, 150, 150], 3), ['hold', 'hold', 'curtail']);
  assert.equal(source.eventId, 'ev-2');
});

test('the configuration is checked once: exactly one of targetMw and shedMw, a hard strike above the strike, no unknown keys', () => {
  const base = { strikeUsdPerMwh: 100, curtailAfter: 3, resumeAfter: 2, maxDurationMs: 3_600_000 };
  assert.throws(() => checkPriceStrikeConfig(base), /give exactly one of "targetMw" or "shedMw"/);
  assert.throws(() => checkPriceStrikeConfig({ ...base, targetMw: 1, shedMw: 1 }), /give exactly one/);
  assert.throws(() => checkPriceStrikeConfig({ ...base, shedMw: 1, hardStrikeUsdPerMwh: 50 }), /hardStrikeUsdPerMwh must be finite and above the strike/);
  assert.throws(() => checkPriceStrikeConfig({ ...base, shedMw: 1, strike: 5 }), /unknown key "strike"/);
  assert.throws(() => checkPriceStrikeConfig({ ...base, shedMw: 1, curtailAfter: 0 }), /curtailAfter/);
  assert.equal(checkPriceStrikeConfig({ ...base, shedMw: 1 }).allowAi, false);
  assert.throws(() => new PriceStrikeSource({ ...base, allowAi: false }, new FakePort(), { log: silent }), /give exactly one/);
});
