import type { Reading } from '../services/agent-contract/batch-schema.ts';
import { errorMessage } from '../services/lib/errors.ts';
import type { Logger } from '../services/lib/log.ts';
import type { DriverTier } from './poller.ts';

/**
 * The revenue meter on its own fast schedule while a curtailment event is active (issue 15
 * item 4): the engine confirms a shed on the revenue meter, so its reading must not wait for
 * the meter tier's next cycle or the shipper's next tick. While active, the revenue meters are
 * read every `intervalMs` (default 1 s) apart from every other tier, and each reading is handed
 * to `onReading` (the sink, then an immediate ship).
 */
export interface EventMeterLoopOptions {
  /** The Modbus meter tier (its driver and targets). */
  tier: DriverTier<any, any>;
  meterIds: ReadonlySet<string>;
  intervalMs: number;
  onReading: (r: Reading) => void;
  log: Logger;
}

export class EventMeterLoop {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private readonly targets: Array<{ id: string }>;

  constructor(private readonly o: EventMeterLoopOptions) {
    this.targets = (o.tier.targets as Array<{ id: string }>).filter((t) => o.meterIds.has(t.id));
  }

  get active(): boolean {
    return this.timer !== null;
  }

  setActive(active: boolean): void {
    if (active === this.active || this.targets.length === 0) return;
    if (active) {
      this.o.log.info({ meters: this.targets.map((t) => t.id), intervalMs: this.o.intervalMs }, 'curtailment event active: revenue meter on its fast schedule');
      this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
      void this.tick();
    } else {
      clearInterval(this.timer as NodeJS.Timeout);
      this.timer = null;
      this.o.log.info('no event active: revenue meter back on the meter tier only');
    }
  }

  stop(): void {
    this.setActive(false);
  }

  private async tick(): Promise<void> {
    // A slow meter never stacks reads: the next tick waits for this one.
    if (this.busy) return;
    this.busy = true;
    try {
      await Promise.all(
        this.targets.map(async (t) => {
          const timeoutMs = Math.min(this.o.tier.timeoutMs, this.o.intervalMs);
          try {
            const out = (await this.o.tier.driver.read(t, { timeoutMs, signal: AbortSignal.timeout(timeoutMs) })) as Reading | Reading[];
            for (const r of Array.isArray(out) ? out : [out]) this.o.onReading(r);
          } catch (err) {
            // The meter tier reports the meter's state; a missed fast read only waits for the next.
            this.o.log.debug({ meter: t.id, err: errorMessage(err) }, 'fast revenue-meter read failed');
          }
        }),
      );
    } finally {
      this.busy = false;
    }
  }
}
