import { EventEmitter } from 'node:events';
import type { PriceInterval } from './price-series.ts';

/**
 * A live power-price feed: the realised interval prices of one settlement point, in order, as
 * they become known. Whatever delivers them (a file that grows, the ERCOT public API) hands
 * them to `publish`; readers (the price-strike rule, the scheduler, the API) subscribe or ask
 * for the last one. A feed that has delivered nothing new for `staleAfterMs` is stale: the
 * state changes once each way ('stale' / 'fresh' events), so an alert is raised and cleared
 * once. A stale feed only stops delivering: nothing here invents a price, and no reader may
 * treat silence as a price.
 */

export interface LivePriceStatus {
  /** Where the prices come from, e.g. "file /var/prices.csv" or "ERCOT API np6-905-cd HB_NORTH". */
  source: string;
  settlementPoint: string;
  /** The newest interval delivered, or null before the first. */
  last: PriceInterval | null;
  /** When the newest interval was delivered, UTC ms (null before the first). */
  receivedAtMs: number | null;
  /** Since the last delivery (or since the feed started, before the first), ms. */
  ageMs: number;
  staleAfterMs: number;
  stale: boolean;
  /** The last fetch or read error, until a fetch or read succeeds again. */
  error: string | null;
}

export interface LivePriceFeed {
  readonly source: string;
  readonly settlementPoint: string;
  status(): LivePriceStatus;
  /** Calls `fn` with each new interval, in order; returns the unsubscribe. */
  subscribe(fn: (interval: PriceInterval) => void): () => void;
  /** Calls `fn` when the feed goes stale (true) or delivers again (false). */
  onStale(fn: (stale: boolean, status: LivePriceStatus) => void): () => void;
  /** The intervals delivered in the last 48 hours (by interval start), oldest first. */
  recent(): PriceInterval[];
  /** Re-evaluates staleness now (the feed's own timer does this after every poll). */
  checkStale(): boolean;
  start(): void;
  stop(): Promise<void>;
}

export interface FeedBaseOptions {
  source: string;
  settlementPoint: string;
  staleAfterMs: number;
  now?: () => number;
}

const KEEP_MS = 48 * 3_600_000;

/** The state every feed shares: last interval, age, stale flag, subscribers. */
export class FeedState {
  readonly source: string;
  readonly settlementPoint: string;
  readonly staleAfterMs: number;
  readonly now: () => number;
  private readonly events = new EventEmitter();
  private last: PriceInterval | null = null;
  private readonly kept: PriceInterval[] = [];
  private receivedAtMs: number | null = null;
  private startedAtMs: number;
  private stale = false;
  private error: string | null = null;

  constructor(o: FeedBaseOptions) {
    if (!(Number.isFinite(o.staleAfterMs) && o.staleAfterMs > 0)) throw new RangeError(`live price feed ${o.source}: staleAfterMs must be > 0, got ${o.staleAfterMs}`);
    this.source = o.source;
    this.settlementPoint = o.settlementPoint;
    this.staleAfterMs = o.staleAfterMs;
    this.now = o.now ?? Date.now;
    this.startedAtMs = this.now();
  }

  /** Restarts the age clock (a feed that starts is not stale for having been stopped). */
  started(): void {
    this.startedAtMs = this.now();
  }

  /**
   * Delivers the intervals newer than the last one, in start order; older or repeated ones are
   * dropped (a report fetched twice). An interval that ended more than staleAfterMs ago is
   * history: kept (last price, recent()) but not delivered to subscribers and not counted as
   * fresh, so a first fetch of yesterday's report, or prices that arrive hours late, never
   * start a curtailment for a time that is over. Returns how many were new.
   */
  publish(intervals: readonly PriceInterval[]): number {
    const fresh = [...intervals].filter((iv) => this.last === null || iv.startMs > this.last.startMs).sort((a, b) => a.startMs - b.startMs);
    if (fresh.length === 0) return 0;
    const historyBeforeMs = this.now() - this.staleAfterMs;
    for (const iv of fresh) {
      this.last = iv;
      this.kept.push(iv);
      if (iv.startMs + iv.minutes * 60_000 < historyBeforeMs) continue;
      this.receivedAtMs = this.now();
      this.events.emit('price', iv);
    }
    const keepFromMs = (this.last as PriceInterval).startMs - KEEP_MS;
    while ((this.kept[0]?.startMs ?? Infinity) < keepFromMs) this.kept.shift();
    this.checkStale();
    return fresh.length;
  }

  /** Records the outcome of a read or fetch; an error stays until one succeeds. */
  setError(message: string | null): void {
    this.error = message;
  }

  /** Re-evaluates the stale flag; emits once on each change. */
  checkStale(): boolean {
    const status = this.status();
    if (status.stale !== this.stale) {
      this.stale = status.stale;
      this.events.emit('stale', status.stale, status);
    }
    return status.stale;
  }

  status(): LivePriceStatus {
    const now = this.now();
    const ageMs = Math.max(0, now - (this.receivedAtMs ?? this.startedAtMs));
    return {
      source: this.source,
      settlementPoint: this.settlementPoint,
      last: this.last,
      receivedAtMs: this.receivedAtMs,
      ageMs,
      staleAfterMs: this.staleAfterMs,
      stale: ageMs > this.staleAfterMs,
      error: this.error,
    };
  }

  recent(): PriceInterval[] {
    return [...this.kept];
  }

  subscribe(fn: (interval: PriceInterval) => void): () => void {
    this.events.on('price', fn);
    return () => void this.events.off('price', fn);
  }

  onStale(fn: (stale: boolean, status: LivePriceStatus) => void): () => void {
    this.events.on('stale', fn);
    return () => void this.events.off('stale', fn);
  }
}
