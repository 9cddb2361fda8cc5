import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addIsoDuration, endOf, formatDurationMs, isIndefinite, parseIsoDuration } from '../../services/curtailment/sources/openadr/duration.ts';

const T0 = Date.UTC(2025, 0, 31, 12, 0, 0);

test('the durations OpenADR events use parse to their components', () => {
  assert.deepEqual(parseIsoDuration('PT30M'), { negative: false, years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 30, seconds: 0 });
  assert.equal(endOf(T0, 'PT30M') - T0, 1_800_000);
  assert.equal(endOf(T0, 'PT1H') - T0, 3_600_000);
  assert.equal(endOf(T0, 'PT0H') - T0, 0);
  assert.equal(endOf(T0, 'PT0S') - T0, 0);
  assert.equal(endOf(T0, 'PT1H30M15S') - T0, 5_415_000);
  assert.equal(endOf(T0, 'PT0.5S') - T0, 500);
  assert.equal(endOf(T0, 'P1D') - T0, 86_400_000);
  assert.equal(endOf(T0, 'P2W') - T0, 14 * 86_400_000);
  assert.equal(endOf(T0, 'P1DT2H') - T0, 93_600_000);
  assert.equal(endOf(T0, '-PT5M') - T0, -300_000);
});

test('years and months are calendar units on the UTC calendar', () => {
  assert.equal(new Date(endOf(T0, 'P1Y')).toISOString(), '2026-01-31T12:00:00.000Z');
  // Jan 31 + one month overflows into March, as JavaScript's calendar does.
  assert.equal(new Date(endOf(T0, 'P1M')).toISOString(), '2025-03-03T12:00:00.000Z');
  assert.equal(new Date(endOf(Date.UTC(2024, 1, 29), 'P1Y')).toISOString(), '2025-03-01T00:00:00.000Z');
});

test('P9999Y is "no end" (User Guide 7.3)', () => {
  assert.equal(isIndefinite(parseIsoDuration('P9999Y')), true);
  assert.equal(endOf(T0, 'P9999Y'), Number.POSITIVE_INFINITY);
  assert.equal(isIndefinite(parseIsoDuration('P9998Y')), false);
});

test('anything outside the specification\'s duration pattern is refused, naming the text', () => {
  for (const bad of ['', 'P', 'PT', '30M', 'PT30', 'P1H', 'PT1D', 'P1DT', 'P1.5D', 'PT-5M', 'P1W2D', 'pt30m', ' PT30M']) {
    assert.throws(() => parseIsoDuration(bad), (err: Error) => err.name === 'DurationError' && err.message.includes(JSON.stringify(bad)), bad);
  }
  assert.throws(() => addIsoDuration(Number.NaN, parseIsoDuration('PT1M')), RangeError);
});

test('milliseconds format back to ISO 8601', () => {
  assert.equal(formatDurationMs(0), 'PT0S');
  assert.equal(formatDurationMs(1_800_000), 'PT30M');
  assert.equal(formatDurationMs(3_600_000), 'PT1H');
  assert.equal(formatDurationMs(5_415_000), 'PT1H30M15S');
  assert.equal(formatDurationMs(90_000_000), 'PT25H');
  assert.equal(formatDurationMs(1500), 'PT1.5S');
  assert.equal(formatDurationMs(61_250), 'PT1M1.25S');
  for (const ms of [0, 1, 999, 60_000, 5_415_000, 86_400_000]) assert.equal(endOf(0, formatDurationMs(ms)), ms);
  assert.throws(() => formatDurationMs(-1), RangeError);
  assert.throws(() => formatDurationMs(Number.POSITIVE_INFINITY), RangeError);
});
