/**
 * Runs `work` over `items` with at most `limit` in flight. Each item's own deadline lives in
 * `work`; a slow item holds one slot, never the others.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * A counting semaphore whose limit can change while work is in flight: lowering it lets the
 * work in flight finish and holds new work until the count is under the new limit; raising
 * it lets waiting work go at once. Used to poll miners at a reduced rate while commands run.
 */
export class Slots {
  private inUse = 0;
  private maxInUse = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private limitNow: number) {
    if (!(limitNow >= 1)) throw new RangeError(`slots: limit must be at least 1, got ${limitNow}`);
  }

  get limit(): number {
    return this.limitNow;
  }

  /** The most slots held at once since the last call (then reset to those held now). */
  takePeak(): number {
    const peak = this.maxInUse;
    this.maxInUse = this.inUse;
    return peak;
  }

  setLimit(limit: number): void {
    if (!(limit >= 1)) throw new RangeError(`slots: limit must be at least 1, got ${limit}`);
    this.limitNow = limit;
    this.wakeWaiting();
  }

  /** Resolves once a slot is free; call the returned function exactly once to give it back. */
  async acquire(): Promise<() => void> {
    while (this.inUse >= this.limitNow) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inUse++;
    this.maxInUse = Math.max(this.maxInUse, this.inUse);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
      this.wakeWaiting();
    };
  }

  private wakeWaiting(): void {
    let free = this.limitNow - this.inUse;
    while (free-- > 0 && this.waiting.length > 0) this.waiting.shift()?.();
  }
}
