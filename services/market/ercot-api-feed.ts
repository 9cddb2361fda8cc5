import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { wallClock } from './central-time.ts';
import type { ErcotApiClient } from './ercot-api.ts';
import { ERCOT_API_REPORTS, parseErcotApiReport, type ErcotApiReportKind } from './ercot-api-report.ts';
import { FeedState } from './live-feed.ts';
import { PolledFeed } from './polled-feed.ts';
import type { PriceInterval } from './price-series.ts';

/**
 * A live feed from the ERCOT public API: every `pollMs` it fetches the report (real-time
 * NP6-905-CD or day-ahead NP4-190-CD) for the settlement point over yesterday and today
 * (ERCOT's delivery dates are Central Prevailing Time) and delivers the intervals that are
 * over, i.e. realised, in order. Fetches that fail are logged once per streak; the feed then
 * goes stale on its own clock rather than repeating an old price.
 */

export interface ErcotApiFeedOptions {
  client: ErcotApiClient;
  report: ErcotApiReportKind;
  settlementPoint: string;
  settlementPointType?: string;
  staleAfterMs: number;
  /** Default 60 s (the real-time report posts every 15 minutes, a few minutes after the interval). */
  pollMs?: number;
  log: Logger;
  now?: () => number;
}

export class ErcotApiFeed extends PolledFeed {
  private failing = false;

  constructor(private readonly o: ErcotApiFeedOptions) {
    const report = ERCOT_API_REPORTS[o.report];
    super(new FeedState({ source: `ERCOT API ${report.path} ${o.settlementPoint}`, settlementPoint: o.settlementPoint, staleAfterMs: o.staleAfterMs, ...(o.now ? { now: o.now } : {}) }), o.pollMs ?? 60_000);
  }

  protected async fetchNew(): Promise<number> {
    const report = ERCOT_API_REPORTS[this.o.report];
    const now = this.state.now();
    const query: Record<string, string> = {
      deliveryDateFrom: centralDate(now - 86_400_000),
      deliveryDateTo: centralDate(now),
      settlementPoint: this.o.settlementPoint,
      ...(this.o.settlementPointType ? { settlementPointType: this.o.settlementPointType } : {}),
    };
    let intervals: PriceInterval[];
    try {
      const pages = await this.o.client.fetchReport(report, query);
      const series = parseErcotApiReport(report, pages, {
        source: `ERCOT API ${report.path}`,
        settlementPoint: this.o.settlementPoint,
        ...(this.o.settlementPointType ? { settlementPointType: this.o.settlementPointType } : {}),
      });
      intervals = series.intervals.filter((iv) => iv.startMs + iv.minutes * 60_000 <= now);
    } catch (err) {
      if (!this.failing) this.o.log.warn({ report: report.path, err: errorMessage(err) }, 'ERCOT price fetch failed; the feed goes stale if it stays so');
      this.failing = true;
      this.state.setError(errorMessage(err));
      return 0;
    }
    if (this.failing) this.o.log.info({ report: report.path }, 'ERCOT price fetch works again');
    this.failing = false;
    this.state.setError(null);
    return this.state.publish(intervals);
  }
}

/** YYYY-MM-DD of the Central wall clock at `utcMs`. */
export function centralDate(utcMs: number): string {
  return wallClock(utcMs).toISOString().slice(0, 10);
}
