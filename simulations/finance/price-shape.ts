import { wallClock } from '../../services/market/central-time.ts';
import type { PriceSeries } from '../../services/market/price-series.ts';

/**
 * The hour shape of power prices by calendar month from a price file's history: for each
 * month the file covers in all 24 local hours, the mean price of each hour ÷ the month's mean
 * hour price (so a day's shape averages 1 and the level carries the price). Months the file
 * does not cover take the shape of all its data. Local time is the site's zone.
 */
export interface PriceShape {
  /** 12 × 24 multipliers, month-major. */
  shape: Float64Array;
  /** Calendar months (1..12) shaped from their own data. */
  ownMonths: number[];
}

export function shapeFromPrices(series: PriceSeries, timeZone: string): PriceShape {
  const sum = new Float64Array(13 * 24); // row 12: all months
  const minutes = new Float64Array(13 * 24);
  for (const iv of series.intervals) {
    const local = wallClock(iv.startMs, timeZone);
    const c = local.getUTCMonth();
    const h = local.getUTCHours();
    for (const row of [c, 12]) {
      sum[row * 24 + h] = sum[row * 24 + h]! + iv.priceUsdPerMwh * iv.minutes;
      minutes[row * 24 + h] = minutes[row * 24 + h]! + iv.minutes;
    }
  }
  const rowShape = (row: number): Float64Array | null => {
    const means = new Float64Array(24);
    for (let h = 0; h < 24; h++) {
      if (minutes[row * 24 + h] === 0) return null;
      means[h] = sum[row * 24 + h]! / minutes[row * 24 + h]!;
    }
    const mean = means.reduce((a, b) => a + b, 0) / 24;
    if (!(mean > 0)) return null;
    return means.map((v) => v / mean);
  };
  const all = rowShape(12);
  if (!all) throw new RangeError(`price file ${series.settlementPoint}: it does not cover all 24 hours with a positive mean price; no hour shape`);
  const shape = new Float64Array(12 * 24);
  const ownMonths: number[] = [];
  for (let c = 0; c < 12; c++) {
    const own = rowShape(c);
    if (own) ownMonths.push(c + 1);
    shape.set(own ?? all, c * 24);
  }
  return { shape, ownMonths };
}
