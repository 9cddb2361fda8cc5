import { CENTRAL_TIME_ZONE, wallClock } from '../../market/central-time.ts';
import type { PriceInterval, PriceSeries } from '../../market/price-series.ts';

/**
 * What a decision at time τ may know about prices. A day-ahead posting for operating day D is
 * published around 13:30 Central on D−1 (ERCOT DAM), so from then on D's hours are known; a
 * real-time price is known only once its interval has ended, and the rest of the horizon is
 * forecast as the last price seen (persistence — the simplest honest forecast).
 */

export type Information = 'day-ahead' | 'real-time';

export function informationFor(series: PriceSeries): Information {
  return series.kind === 'dam' ? 'day-ahead' : 'real-time';
}

const DAM_PUBLISHED_MINUTE_LOCAL = 13 * 60 + 30;

/** The prices a decision at `decisionMs` may use for the horizon from it (truncated or forecast). */
export function knownPrices(prices: readonly PriceInterval[], decisionIndex: number, horizon: number, info: Information, timeZone = CENTRAL_TIME_ZONE): PriceInterval[] {
  const decisionMs = prices[decisionIndex]!.startMs;
  const end = Math.min(prices.length, decisionIndex + horizon);
  if (info === 'day-ahead') {
    const lastDay = publishedThrough(decisionMs, timeZone);
    const out: PriceInterval[] = [];
    for (let i = decisionIndex; i < end && localDate(prices[i]!.startMs, timeZone) <= lastDay; i++) out.push(prices[i]!);
    return out;
  }
  const last = decisionIndex > 0 ? prices[decisionIndex - 1]!.priceUsdPerMwh : prices[0]!.priceUsdPerMwh;
  const out: PriceInterval[] = [];
  for (let i = decisionIndex; i < end; i++) out.push({ ...prices[i]!, priceUsdPerMwh: last });
  return out;
}

/** The last operating day (YYYY-MM-DD, local) whose day-ahead prices are public at `ms`. */
export function publishedThrough(ms: number, timeZone = CENTRAL_TIME_ZONE): string {
  const local = wallClock(ms, timeZone);
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  if (minute < DAM_PUBLISHED_MINUTE_LOCAL) return localDate(ms, timeZone);
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1)).toISOString().slice(0, 10);
}

function localDate(ms: number, timeZone: string): string {
  return wallClock(ms, timeZone).toISOString().slice(0, 10);
}
