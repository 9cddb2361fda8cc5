import type { Reading } from '../agent-contract/batch-schema.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { LiveState } from '../telemetry/live-state.ts';
import { monthsBetween } from '../tenants/contract.ts';
import type { TenantLedger } from '../tenants/ledger.ts';
import { AlertBook } from './alert-book.ts';
import { gpuConditions, tenantConditions, type TenantTrend } from './conditions.ts';

/**
 * Runs the alert evaluations: GPU conditions from the live state every `everyMs` (a host that
 * stops sending is noticed without a new batch), tenant SLA trends from the ledger every
 * `tenantEveryMs`. Never throws into the timer: a failed evaluation is logged once per streak.
 */
export interface AlertWatchOptions {
  everyMs?: number;
  tenantEveryMs?: number;
  staleAfterMs?: number;
  now?: () => number;
}

export class AlertWatch {
  private timer: NodeJS.Timeout | undefined;
  private lastTenantMs = -Infinity;
  private failing = false;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(
    readonly book: AlertBook,
    private readonly live: LiveState,
    private readonly ledger: TenantLedger | null,
    private readonly log: Logger,
    private readonly opts: AlertWatchOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    const tick = () => {
      this.running ??= this.evaluate().finally(() => (this.running = undefined));
      this.timer = setTimeout(tick, this.opts.everyMs ?? 5_000);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
  }

  gpuReadings(): Reading[] {
    const out: Reading[] = [];
    for (const b of this.live.site.blocks) for (const r of this.live.readingsInBlock(b.id)) if (r.kind === 'gpu') out.push(r);
    return out;
  }

  async evaluate(): Promise<void> {
    const now = this.now();
    try {
      this.book.evaluate(['gpu-fault', 'gpu-thermal', 'host-down'], gpuConditions(this.gpuReadings(), now, this.opts.staleAfterMs ?? 90_000), now);
      if (this.ledger !== null && now - this.lastTenantMs >= (this.opts.tenantEveryMs ?? 300_000)) {
        this.lastTenantMs = now;
        this.book.evaluate(['tenant-sla'], tenantConditions(await this.trends(now)), now);
      }
      if (this.failing) this.log.info('alert evaluation working again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.error({ err: errorMessage(err) }, `alert evaluation failed: ${errorMessage(err)}`);
      this.failing = true;
    }
  }

  private async trends(now: number): Promise<TenantTrend[]> {
    const ledger = this.ledger as TenantLedger;
    const month = new Date(now).toISOString().slice(0, 7);
    const out: TenantTrend[] = [];
    for (const c of ledger.contracts()) {
      const termMonth = monthsBetween(c.startMonth, month);
      if (termMonth < 0 || termMonth >= c.termMonths) continue;
      const m = await ledger.measure(c, month, now);
      out.push({ contractId: c.id, tenantId: c.tenant.id, month, availabilityPct: m.availability.availabilityPct, commitmentPct: c.sla.availabilityPct });
    }
    return out;
  }
}
