import type Database from 'better-sqlite3';
import { SqliteEventStore, type EventRecords } from '../curtailment/event-store.ts';
import type { EventRecord } from '../curtailment/event-record.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { wallClock } from '../market/central-time.ts';
import type { JobQueue } from '../queue/index.ts';
import type { MarketSources } from '../scheduler/market-sources.ts';
import { priceOver } from '../scheduler/site-input.ts';
import type { TelemetryHistory } from '../telemetry/history.ts';
import { blockSeries, ledgerDay, sliceDay, type DayMarket, type DaySeries, type LedgerDay, type LedgerSources } from './ledger-day.ts';
import { LedgerStore } from './ledger-store.ts';

/**
 * Keeps the realised margin ledger: a repeatable queue job closes yesterday (final) and
 * recomputes today (provisional, with hourly rows) every `everyMinutes`; backfill() recomputes
 * any past days from the history. The market (prices, hashprice, BTC price) comes from the
 * scheduler's market sources: a price file or the site's hour-of-day profile, and chain history
 * or the site's stated hashprice (then BTC earned needs a stated BTC price: btcPriceUsd).
 */

export interface LedgerJob {
  trigger: 'schedule' | 'backfill';
  dayStartMs?: number;
}

export interface LedgerServiceOptions {
  site: SiteFile;
  db: Database.Database;
  /** Curtailment events (services/platform/records.ts); the SQLite db's when absent. */
  events?: EventRecords;
  history: TelemetryHistory;
  market: MarketSources;
  /** BTC price for days the chain history does not cover (a stated assumption), USD. */
  btcPriceUsd?: number;
  queue?: JobQueue<LedgerJob>;
  log: Logger;
  everyMinutes?: number;
  now?: () => number;
}

const DAY = 86_400_000;
const SCHEDULE_KEY = 'ledger-schedule';
/** Days of history a backfill reads per query. */
const BACKFILL_DAYS = 7;

export function ledgerSources(site: SiteFile, history: TelemetryHistory, market: MarketSources, events: EventRecords, btcPriceUsd?: number): LedgerSources {
  const profile = site.dispatch?.priceProfileUsdPerMwh;
  return {
    site,
    history,
    spotAt: (hourMs) => {
      const p = market.prices ? priceOver(market.prices.intervals, hourMs, 3_600_000) : undefined;
      if (p !== undefined) return p;
      return profile ? profile[wallClock(hourMs, site.site.timezone).getUTCHours()] : undefined;
    },
    marketOn: (dayStartMs): DayMarket => {
      const noon = dayStartMs + DAY / 2;
      const chainDay = market.chain?.findLast((d) => d.dayStartMs <= noon);
      const hp = typeof market.hashprice === 'number' ? market.hashprice : market.hashprice(noon);
      return { hashpriceUsdPerPhDay: hp, btcPriceUsd: chainDay && noon - chainDay.dayStartMs < DAY ? chainDay.btcPriceUsd : (btcPriceUsd ?? null) };
    },
    events: async (fromMs, toMs) => {
      const out: EventRecord[] = [];
      for (const e of await events.list(10_000)) {
        if (e.createdAtMs >= toMs || e.updatedAtMs < fromMs) continue;
        const stored = await events.get(e.id);
        if (stored) out.push(stored.record);
      }
      return out;
    },
  };
}

export class LedgerService {
  readonly store: LedgerStore;
  private readonly sources: LedgerSources;
  private readonly now: () => number;
  private lastError: string | null = null;

  constructor(private readonly o: LedgerServiceOptions) {
    this.store = new LedgerStore(o.db);
    this.sources = ledgerSources(o.site, o.history, o.market, o.events ?? new SqliteEventStore(o.db), o.btcPriceUsd);
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (!this.o.queue) return;
    this.o.queue.process(async (job) => (job.data.dayStartMs !== undefined ? this.computeDay(job.data.dayStartMs) : this.closeAndProvisional()));
    await this.o.queue.addRepeatable('ledger', { trigger: 'schedule' }, (this.o.everyMinutes ?? 15) * 60_000, SCHEDULE_KEY);
    // Once now too, so a platform that just started has yesterday closed and today provisional.
    await this.o.queue.add('ledger', { trigger: 'schedule' }, { jobId: `ledger-start-${this.now()}` });
  }

  async stop(): Promise<void> {
    // A shared queue (BullMQ) keeps the schedule for the other instances (see PlanService.stop).
    if (this.o.queue?.kind !== 'memory') return;
    await this.o.queue.removeRepeatable(SCHEDULE_KEY).catch((err: unknown) => this.o.log.warn({ err: errorMessage(err) }, 'removing the ledger schedule failed'));
  }

  /** Yesterday (final) and today (provisional, hourly rows too). */
  async closeAndProvisional(): Promise<LedgerDay[]> {
    const today = Math.floor(this.now() / DAY) * DAY;
    return [await this.computeDay(today - DAY), await this.computeDay(today)];
  }

  /** Recomputes one UTC day and replaces its rows; a closed day drops its hourly rows. */
  async computeDay(dayStartMs: number, fetched?: DaySeries): Promise<LedgerDay> {
    const nowMs = this.now();
    try {
      const day = await ledgerDay(this.sources, dayStartMs, nowMs, fetched);
      const siteId = this.o.site.site.id;
      // A closed day keeps its day rows only; the current day keeps its hours too.
      this.store.replaceDay(siteId, dayStartMs, day.days, day.status === 'final' ? [] : day.hours, day.status, nowMs);
      if (this.lastError !== null) this.o.log.info({ day: new Date(dayStartMs).toISOString().slice(0, 10) }, 'ledger computing again');
      this.lastError = null;
      return day;
    } catch (err) {
      const msg = `ledger for ${new Date(dayStartMs).toISOString().slice(0, 10)}: ${errorMessage(err)}`;
      if (this.lastError !== msg) this.o.log.error({ err: msg }, 'ledger day failed');
      this.lastError = msg;
      throw new Error(msg, { cause: err });
    }
  }

  /**
   * Every UTC day from fromMs (rounded down) to toMs (exclusive), the history read a week at a
   * time (two queries a week, not two a day), each day computed and stored on its own.
   */
  async backfill(fromMs: number, toMs: number, onDay?: (d: LedgerDay) => void): Promise<number> {
    let n = 0;
    const first = Math.floor(fromMs / DAY) * DAY;
    for (let chunk = first; chunk < toMs; chunk += BACKFILL_DAYS * DAY) {
      const chunkEnd = Math.min(chunk + BACKFILL_DAYS * DAY, Math.ceil(toMs / DAY) * DAY);
      const series = await blockSeries(this.o.history, chunk, chunkEnd);
      for (let d = chunk; d < chunkEnd && d < toMs; d += DAY) {
        const day = await this.computeDay(d, sliceDay(series, d));
        onDay?.(day);
        n++;
      }
    }
    return n;
  }
}
