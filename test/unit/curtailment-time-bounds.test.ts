import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundWindow, DEFAULT_TIME_BOUNDS, TimeBoundsError, timeBoundsFromEnv } from '../../services/curtailment/time-bounds.ts';

const H = 3_600_000;
const NOW = 1_800_000_000_000;
const b = { horizonMs: 168 * H, maxDurationMs: 24 * H };

test('a window inside the bounds passes as asked (whole ms)', () => {
  assert.deepEqual(boundWindow(NOW + H, NOW + 3 * H, NOW, b), { startMs: NOW + H, endMs: NOW + 3 * H });
  assert.deepEqual(boundWindow(NOW + 0.4, NOW + 60_000.6, NOW, b), { startMs: NOW, endMs: NOW + 60_001 });
});

test('a start past the horizon is refused; a start a second inside it is not', () => {
  assert.throws(() => boundWindow(NOW + 365 * 24 * H, NOW + 366 * 24 * H, NOW, b), (e: unknown) => e instanceof TimeBoundsError && /more than 168 h ahead/.test(e.message));
  assert.equal(boundWindow(NOW + 168 * H, NOW + 169 * H, NOW, b).startMs, NOW + 168 * H);
});

test('an end past the maximum is cut to it, counted from the start or from now when the start is past', () => {
  // Asked 48 h from an hour ahead: 24 h from the start.
  assert.deepEqual(boundWindow(NOW + H, NOW + 49 * H, NOW, b), { startMs: NOW + H, endMs: NOW + 25 * H, cutFromMs: NOW + 49 * H });
  // Started an hour ago, asked to run 30 h more: 24 h from now.
  assert.deepEqual(boundWindow(NOW - H, NOW + 30 * H, NOW, b), { startMs: NOW - H, endMs: NOW + 24 * H, cutFromMs: NOW + 30 * H });
});

test('nonsense windows are refused with the reason', () => {
  assert.throws(() => boundWindow(NOW, NOW, NOW, b), /not after its start/);
  assert.throws(() => boundWindow(NOW - 2 * H, NOW - H, NOW, b), /already past/);
  assert.throws(() => boundWindow(1e308, 1e308 + 1, NOW, b), /more than 168 h ahead|UTC ms/);
  assert.throws(() => boundWindow(Number.NaN, NOW, NOW, b), /UTC ms/);
});

test('environment: hours, defaults, and a clear error for a bad value', () => {
  assert.deepEqual(timeBoundsFromEnv({}), DEFAULT_TIME_BOUNDS);
  assert.deepEqual(timeBoundsFromEnv({ SWITCHYARD_CURTAILMENT_HORIZON_HOURS: '48', SWITCHYARD_CURTAILMENT_MAX_HOURS: '0.5' }), { horizonMs: 48 * H, maxDurationMs: 0.5 * H });
  assert.throws(() => timeBoundsFromEnv({ SWITCHYARD_CURTAILMENT_MAX_HOURS: 'forever' }), /SWITCHYARD_CURTAILMENT_MAX_HOURS must be hours/);
  assert.throws(() => timeBoundsFromEnv({ SWITCHYARD_CURTAILMENT_HORIZON_HOURS: '0' }), TimeBoundsError);
});
