import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { wallClock } from './central-time.ts';
import type { ErcotApiClient } from './ercot-api.ts';
import { ERCOT_API_REPORTS, parseErcotApiReport, type ErcotApiReportKind } from './ercot-api-report.ts';
import { FeedState, type LivePriceFeed, type LivePriceStatus } from './live-feed.ts';
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

export class ErcotApiFeed implements LivePriceFeed {
  private readonly state: FeedState;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private failing = false;

  constructor(private readonly o: ErcotApiFeedOptions) {
    const report = ERCOT_API_REPORTS[o.report];
    this.state = new FeedState({ source: `ERCOT API ${report.path} ${o.settlementPoint}`, settlementPoint: o.settlementPoint, staleAfterMs: o.staleAfterMs, ...(o.now ? { now: o.now } : {}) });
  }

  get source(): string {
    return this.state.source;
  }
  get settlementPoint(): string {
    return this.state.settlementPoint;
  }
  status(): LivePriceStatus {
    return this.state.status();
  }
  subscribe(fn: (interval: PriceInterval) => void): () => void {
    return this.state.subscribe(fn);
  }
  onStale(fn: (stale: boolean, status: LivePriceStatus) => void): () => void {
    return this.state.onStale(fn);
  }
  recent(): PriceInterval[] {
    return this.state.recent();
  }
  checkStale(): boolean {
    return this.state.checkStale();
  }

  start(): void {
    this.state.started();
    const tick = () => {
      void this.poll().finally(() => {
        this.state.checkStale();
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.o.pollMs ?? 60_000);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One fetch; resolves to the number of new intervals (0 on a failed fetch, which is logged). */
  poll(): Promise<number> {
    this.running ??= this.fetchNew().finally(() => (this.running = undefined));
    return this.running;
  }

  private async fetchNew(): Promise<number> {
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
