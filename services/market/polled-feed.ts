import { FeedState, type LivePriceFeed, type LivePriceStatus } from './live-feed.ts';
import type { PriceInterval } from './price-series.ts';

/**
 * What every polled live feed shares (the growing file, the ERCOT API): its FeedState, the
 * LivePriceFeed methods that read it, and the poll loop — one fetch at a time, the next
 * armed `pollMs` after the last one ends, staleness checked after each. A subclass says how
 * one fetch gets new intervals (`fetchNew`, resolving to how many it published).
 */
export abstract class PolledFeed implements LivePriceFeed {
  protected readonly state: FeedState;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  protected constructor(state: FeedState, private readonly pollMs: number) {
    this.state = state;
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
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.pollMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One fetch (a second call while one runs joins it); resolves to the number of new intervals. */
  poll(): Promise<number> {
    this.running ??= this.fetchNew().finally(() => (this.running = undefined));
    return this.running;
  }

  protected abstract fetchNew(): Promise<number>;
}
