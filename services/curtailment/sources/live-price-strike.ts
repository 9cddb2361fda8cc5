import type { PriceStrikeSettings } from '../../domain/site-schema.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { LivePriceFeed } from '../../market/live-feed.ts';
import type { CurtailmentPort } from '../signal.ts';
import { checkPriceStrikeConfig, PriceStrikeSource, type PriceStrikeStep } from './price-strike.ts';

/**
 * The price-strike rule following the live price feed: every interval the feed delivers goes
 * to the strike source in order. The feed only delivers prices it has: a stale feed gives the
 * rule nothing, so it neither starts nor ends an event on silence (the source counts the
 * skipped intervals as a gap when prices come back, which restarts both streaks).
 */

export interface LivePriceStrike {
  source: PriceStrikeSource;
  strikeUsdPerMwh: number;
  /** Resolves when every price delivered so far has been stepped. */
  idle(): Promise<void>;
  /** Each step's result, in order (for the API and tests). */
  onStep(fn: (step: PriceStrikeStep & { startMs: number; priceUsdPerMwh: number }) => void): void;
  stop(): void;
}

export function followLivePrices(feed: LivePriceFeed, s: PriceStrikeSettings, port: CurtailmentPort, log: Logger): LivePriceStrike {
  const config = checkPriceStrikeConfig({
    strikeUsdPerMwh: s.strikeUsdPerMwh,
    curtailAfter: s.curtailAfterIntervals,
    resumeAfter: s.resumeAfterIntervals,
    ...(s.resumeAtOrBelowUsdPerMwh !== undefined ? { resumeAtOrBelowUsdPerMwh: s.resumeAtOrBelowUsdPerMwh } : {}),
    ...(s.hardStrikeUsdPerMwh !== undefined ? { hardStrikeUsdPerMwh: s.hardStrikeUsdPerMwh } : {}),
    ...(s.targetMw !== undefined ? { targetMw: s.targetMw } : {}),
    ...(s.shedMw !== undefined ? { shedMw: s.shedMw } : {}),
    maxDurationMs: Math.round(s.maxDurationMinutes * 60_000),
    allowAi: s.allowAi,
  });
  const source = new PriceStrikeSource(config, port, { log });
  const listeners: Array<Parameters<LivePriceStrike['onStep']>[0]> = [];
  let last: Promise<void> = Promise.resolve();
  const off = feed.subscribe((iv) => {
    last = source.onPrice(iv).then(
      (step) => {
        for (const fn of listeners) fn({ ...step, startMs: iv.startMs, priceUsdPerMwh: iv.priceUsdPerMwh });
      },
      (err: unknown) => log.error({ err: errorMessage(err), startMs: iv.startMs }, 'price-strike step failed'),
    );
  });
  return {
    source,
    strikeUsdPerMwh: config.strikeUsdPerMwh,
    idle: async () => {
      for (let seen; seen !== last; ) {
        seen = last;
        await seen;
      }
    },
    onStep: (fn) => void listeners.push(fn),
    stop: off,
  };
}
