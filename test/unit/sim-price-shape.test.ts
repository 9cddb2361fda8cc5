// Hour shape by month from a price file's history, by hand; and the Uri posting through the CLI.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PriceSeries } from '../../services/market/price-series.ts';
import { shapeFromPrices } from '../../simulations/finance/price-shape.ts';

test('one March day at $10 before noon and $30 after: March is 0.5 / 1.5 (mean $20); months without data take the shape of all data', () => {
  const day = Date.UTC(2026, 2, 10);
  const series: PriceSeries = {
    market: 'custom',
    kind: 'custom',
    settlementPoint: 'X',
    intervalMinutes: 60,
    intervals: Array.from({ length: 24 }, (_, h) => ({ startMs: day + h * 3_600_000, minutes: 60, priceUsdPerMwh: h < 12 ? 10 : 30 })),
  };
  const { shape, ownMonths } = shapeFromPrices(series, 'UTC');
  assert.deepEqual(ownMonths, [3]);
  assert.equal(shape[2 * 24 + 0], 0.5);
  assert.equal(shape[2 * 24 + 23], 1.5);
  assert.equal(shape[6 * 24 + 11], 0.5); // July: no data, the all-data shape
  assert.throws(() => shapeFromPrices({ ...series, intervals: series.intervals.slice(0, 23) }, 'UTC'), /does not cover all 24 hours/);
});
