import type { LivePriceFeed, LivePriceStatus } from '../market/live-feed.ts';
import type { AlertBook } from './alert-book.ts';
import type { Condition } from './conditions.ts';

/**
 * The price-feed-stale alert: raised while the live price feed has delivered nothing new for
 * its staleAfterMs, cleared (after the book's clear delay) once it delivers again. Evaluated
 * every `everyMs` rather than only on the feed's stale/fresh events, so the book can clear it.
 * A stale feed is an operator's problem to fix; it never curtails (the strike rule only acts
 * on prices it is given).
 */

export function priceFeedConditions(s: LivePriceStatus): Condition[] {
  if (!s.stale) return [];
  const last = s.last ? `last price ${s.last.priceUsdPerMwh} $/MWh for the interval from ${new Date(s.last.startMs).toISOString()}` : 'no price received yet';
  return [
    {
      key: `price-feed-stale:${s.settlementPoint}`,
      kind: 'price-feed-stale',
      severity: 'warning',
      subject: { feed: s.source, settlementPoint: s.settlementPoint },
      message: `price feed ${s.source} is stale: nothing new for ${Math.round(s.ageMs / 60_000)} min (limit ${Math.round(s.staleAfterMs / 60_000)} min); ${last}${s.error ? `; last error: ${s.error}` : ''}. Price strikes cannot start or end on their own until it recovers`,
    },
  ];
}

export interface PriceFeedWatch {
  evaluate(): void;
  stop(): void;
}

export function watchPriceFeed(feed: LivePriceFeed, book: AlertBook, opts: { everyMs?: number; now?: () => number } = {}): PriceFeedWatch {
  const now = opts.now ?? Date.now;
  const evaluate = () => {
    feed.checkStale();
    book.evaluate(['price-feed-stale'], priceFeedConditions(feed.status()), now());
  };
  const timer = setInterval(evaluate, opts.everyMs ?? 5_000);
  timer.unref();
  const off = feed.onStale(() => evaluate());
  return {
    evaluate,
    stop: () => {
      clearInterval(timer);
      off();
    },
  };
}
