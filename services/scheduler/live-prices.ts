import type { PriceInterval } from '../market/price-series.ts';

/**
 * The plan's price curve with the live feed's realised prices laid over it: a plan interval
 * that live intervals start in takes their mean (four 15-minute real-time prices make an hour);
 * the others keep the file's price. With no price file the live intervals are the curve. The
 * scheduler and the price-strike rule so read the same prices.
 */
export function withLivePrices(planPrices: readonly PriceInterval[], live: readonly PriceInterval[]): PriceInterval[] {
  if (live.length === 0) return [...planPrices];
  if (planPrices.length === 0) return [...live].sort((a, b) => a.startMs - b.startMs);
  const sums = new Map<number, { sum: number; n: number }>();
  // Plan intervals are sorted and contiguous: find each live start's interval by binary search.
  for (const iv of live) {
    let lo = 0;
    let hi = planPrices.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = planPrices[mid] as PriceInterval;
      if (iv.startMs < p.startMs) hi = mid - 1;
      else if (iv.startMs >= p.startMs + p.minutes * 60_000) lo = mid + 1;
      else {
        at = mid;
        break;
      }
    }
    if (at < 0) continue;
    const s = sums.get(at) ?? { sum: 0, n: 0 };
    s.sum += iv.priceUsdPerMwh;
    s.n++;
    sums.set(at, s);
  }
  return planPrices.map((p, i) => {
    const s = sums.get(i);
    return s ? { ...p, priceUsdPerMwh: Math.round((s.sum / s.n) * 100) / 100 } : { ...p };
  });
}
