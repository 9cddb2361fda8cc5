import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withLivePrices } from '../../services/scheduler/live-prices.ts';

const H = 3_600_000;
const hour = (i: number, price: number) => ({ startMs: i * H, minutes: 60, priceUsdPerMwh: price });
const quarter = (i: number, price: number) => ({ startMs: i * H / 4, minutes: 15, priceUsdPerMwh: price });

test('live prices replace the plan price of the interval they start in (mean of the quarters)', () => {
  const plan = [hour(0, 30), hour(1, 40), hour(2, 50)];
  // Hour 1 (quarters 4..7): 9000, 9000, 100, 101 → mean 4550.25; hour 2: one quarter, 12.34.
  const live = [quarter(4, 9000), quarter(5, 9000), quarter(6, 100), quarter(7, 101), quarter(8, 12.34), quarter(40, 1)];
  assert.deepEqual(withLivePrices(plan, live).map((p) => p.priceUsdPerMwh), [30, 4550.25, 12.34]);
  assert.equal(plan[1]!.priceUsdPerMwh, 40, 'the input is not changed');
});

test('no price file: the live intervals are the curve; no live prices: the file as it is', () => {
  assert.deepEqual(withLivePrices([], [quarter(1, 5), quarter(0, 4)]).map((p) => p.priceUsdPerMwh), [4, 5]);
  assert.deepEqual(withLivePrices([hour(0, 30)], []), [hour(0, 30)]);
});
