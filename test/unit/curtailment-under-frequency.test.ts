import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_UNDER_FREQUENCY,
  stepUnderFrequency,
  underFrequencyState,
  type FrequencyReading,
  type UnderFrequencyParams,
} from '../../services/agent-contract/under-frequency.ts';

function run(readings: Array<[number, number | null | undefined]>, params: Partial<UnderFrequencyParams> = {}) {
  let s = underFrequencyState(params);
  return readings.map(([atMs, hz]) => {
    const r = stepUnderFrequency(s, { atMs, hz } satisfies FrequencyReading);
    s = r.state;
    return `${r.action}${r.unknown ? '?' : ''}${r.state.tripped ? '*' : ''}`;
  });
}

test('defaults: trip on the first reading below 59.7 Hz, release after 60 s at or above 59.9 Hz', () => {
  assert.deepEqual(DEFAULT_UNDER_FREQUENCY, { tripHz: 59.7, tripCount: 1, releaseHz: 59.9, releaseHoldMs: 60_000, plausibleHz: [50, 70] });
  const out = run([
    [0, 60.0],
    [1000, 59.7], // at the threshold is not below it
    [2000, 59.69],
    [3000, 59.8], // recovering but below the release threshold
    [4000, 59.9], // healthy from here
    [34_000, 60.0],
    [63_999, 60.0],
    [64_000, 60.0], // 60 s held
    [65_000, 60.0],
  ]);
  assert.deepEqual(out, ['hold', 'hold', 'trip*', 'hold*', 'hold*', 'hold*', 'hold*', 'release', 'hold']);
});

test('K consecutive low readings are needed to trip; a normal reading resets the count', () => {
  const p = { tripCount: 3 };
  assert.deepEqual(run([[0, 59.6], [1, 59.6], [2, 60], [3, 59.6], [4, 59.6], [5, 59.6]], p), ['hold', 'hold', 'hold', 'hold', 'hold', 'trip*']);
});

test('a dip below the release threshold restarts the hold', () => {
  const out = run([
    [0, 59.5],
    [1000, 59.95],
    [50_000, 59.85],
    [51_000, 59.95],
    [100_000, 59.95],
    [111_000, 59.95],
  ]);
  assert.deepEqual(out, ['trip*', 'hold*', 'hold*', 'hold*', 'hold*', 'release']);
});

test('NaN, missing, implausible and out-of-order readings are unknown: they neither trip nor release', () => {
  assert.deepEqual(run([[0, Number.NaN], [1, undefined], [2, null], [3, 0], [4, 6553.5]]), ['hold?', 'hold?', 'hold?', 'hold?', 'hold?']);
  // An unknown reading breaks a trip count...
  assert.deepEqual(run([[0, 59.6], [1, Number.NaN], [2, 59.6], [3, 59.6]], { tripCount: 2 }), ['hold', 'hold?', 'hold', 'trip*']);
  // ...and a release hold, which restarts at the next good reading.
  assert.deepEqual(
    run([
      [0, 59.0],
      [1000, 60],
      [30_000, undefined],
      [61_000, 60],
      [120_000, 60],
      [121_000, 60],
    ]),
    ['trip*', 'hold*', 'hold?*', 'hold*', 'hold*', 'release'],
  );
  // A reading older than the last one is ignored.
  assert.deepEqual(run([[5000, 60], [4000, 59.0], [6000, 60]]), ['hold', 'hold?', 'hold']);
});

test('parameters are checked', () => {
  assert.throws(() => underFrequencyState({ tripCount: 0 }), RangeError);
  assert.throws(() => underFrequencyState({ releaseHz: 59.5 }), /tripHz ≤ releaseHz/);
  assert.throws(() => underFrequencyState({ releaseHoldMs: -1 }), RangeError);
  // A 50 Hz grid.
  const s = underFrequencyState({ tripHz: 49.7, releaseHz: 49.9, plausibleHz: [40, 60] });
  assert.equal(stepUnderFrequency(s, { atMs: 0, hz: 49.5 }).action, 'trip');
});
