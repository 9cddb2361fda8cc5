import { watch, type FSWatcher } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { loadSiteFile } from '../domain/load-site.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { JobQueue } from '../queue/index.ts';
import type { DispatchInput } from './dispatch/input.ts';
import type { DispatchPlan } from './dispatch/plan.ts';
import type { Explanation } from './dispatch/explain.ts';
import { withLivePrices } from './live-prices.ts';
import { loadMarketSources, type MarketSources } from './market-sources.ts';
import type { PriceInterval } from '../market/price-series.ts';
import { explainAt, solveSiteInput, type PlanReport } from './plan-report.ts';
import { dispatchSettings, siteDispatchInput } from './site-input.ts';
import { previewSolver, type SolverWorker } from './solver/solve.ts';

/**
 * Keeps the site's dispatch plan current: a repeatable job on the queue recomputes it every
 * dispatch.replanEveryMinutes, and a change to the price file or the site file queues one at
 * once. Each result (plan or error) is stored; the latest is what /api/plan serves.
 */

export type PlanTrigger = 'schedule' | 'prices-changed' | 'site-changed';
export interface PlanJob {
  trigger: PlanTrigger;
}

export interface PlanState {
  computedAtMs: number | null;
  trigger: PlanTrigger | null;
  /** Why the latest attempt produced no plan (the previous plan, if any, is still served). */
  error: string | null;
  plan: PlanReport | null;
}

export interface PreviewOverrides {
  hashpriceUsdPerPhDay?: number;
  /** Replaces the price for the intervals it covers. */
  prices?: { startMs: number; priceUsdPerMwh: number }[];
  /** Multiplies every price (e.g. 1.5 for a hot week). */
  priceScale?: number;
  importLimitMw?: number;
  horizonHours?: number;
  startMs?: number;
}

export interface PlanServiceOptions {
  site: SiteFile;
  sitePath: string;
  db: Database;
  queue: JobQueue<PlanJob>;
  log: Logger;
  /** Site meter load now, MW, where ramp limits start (live telemetry); null when unknown. */
  currentLoadMw?: () => number | null;
  timeLimitS?: number;
  /** Keep this many stored plans. */
  keepPlans?: number;
  watchFiles?: boolean;
  now?: () => number;
  /** The live price feed's recent realised prices, laid over the price file's (live-prices.ts). */
  livePrices?: { recent(): PriceInterval[] };
}

const SCHEDULE_KEY = 'plan-schedule';

export class PlanService {
  private site: SiteFile;
  private market: MarketSources | null = null;
  private state: PlanState = { computedAtMs: null, trigger: null, error: null, plan: null };
  private lastInput: DispatchInput | null = null;
  private lastPlan: DispatchPlan | null = null;
  private readonly watchers: FSWatcher[] = [];
  private readonly now: () => number;

  constructor(private readonly o: PlanServiceOptions) {
    this.site = o.site;
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    try {
      this.market = await loadMarketSources({ site: this.site, sitePath: this.o.sitePath });
    } catch (err) {
      // Planning reports this on every try until the file is fixed (the watcher notices).
      this.state = { ...this.state, error: errorMessage(err) };
      this.o.log.warn({ err: errorMessage(err) }, 'market data for planning unavailable');
    }
    this.o.queue.process(async (job) => this.recompute(job.data.trigger));
    const everyMs = dispatchSettings(this.site).replanEveryMinutes * 60_000;
    await this.o.queue.addRepeatable('replan', { trigger: 'schedule' }, everyMs, SCHEDULE_KEY);
    if (this.o.watchFiles ?? true) this.watchInputs();
  }

  latest(): PlanState {
    return this.state;
  }

  /** Computes and stores a plan now (the queue's job handler). Never throws: errors are the state. */
  async recompute(trigger: PlanTrigger): Promise<PlanState> {
    const started = this.now();
    try {
      const { input, report, plan } = await this.solve({}, trigger);
      this.lastInput = input;
      this.lastPlan = plan;
      this.state = { computedAtMs: started, trigger, error: null, plan: report };
      this.o.log.info({ trigger, status: report.status, marginUsd: Math.round(report.totals.marginUsd), solveMs: Math.round(report.solveMs) }, 'plan computed');
    } catch (err) {
      const error = errorMessage(err);
      if (this.state.error !== error) this.o.log.warn({ trigger, err: error }, 'plan failed');
      this.state = { ...this.state, computedAtMs: started, trigger, error };
    }
    this.store(trigger);
    return this.state;
  }

  /** A what-if plan on the current site and market with some inputs changed; nothing is stored. */
  async preview(overrides: PreviewOverrides): Promise<PlanReport> {
    // Previews queue on their own solver worker: six 168 h what-ifs must not delay the plan.
    return (await this.solve(overrides, null, previewSolver)).report;
  }

  explain(blockId: string, atMs: number): Explanation {
    if (!this.lastInput || !this.lastPlan) throw new RangeError(`no plan yet${this.state.error ? `: ${this.state.error}` : ''}`);
    return explainAt(this.lastInput, this.lastPlan, blockId, atMs);
  }

  async stop(): Promise<void> {
    for (const w of this.watchers.splice(0)) w.close();
    await this.o.queue.removeRepeatable(SCHEDULE_KEY).catch((err: unknown) => this.o.log.warn({ err: errorMessage(err) }, 'removing the plan schedule failed'));
  }

  private async solve(ov: PreviewOverrides, trigger: PlanTrigger | null, worker?: SolverWorker): Promise<{ input: DispatchInput; plan: DispatchPlan; report: PlanReport }> {
    if (!this.market || trigger === 'prices-changed' || trigger === 'site-changed') {
      this.market = await loadMarketSources({ site: this.site, sitePath: this.o.sitePath });
    }
    const settings = dispatchSettings(this.site);
    const step = settings.intervalMinutes * 60_000;
    const prices = withLivePrices(this.market.prices?.intervals ?? [], this.o.livePrices?.recent() ?? []);
    const site: SiteFile = ov.importLimitMw !== undefined ? { ...this.site, site: { ...this.site.site, importLimitMw: ov.importLimitMw } } : this.site;
    const load = this.o.currentLoadMw?.() ?? null;
    const built = siteDispatchInput(site, {
      prices,
      hashprice: ov.hashpriceUsdPerPhDay ?? this.market.hashprice,
      startMs: ov.startMs ?? Math.floor(this.now() / step) * step,
      ...(ov.horizonHours !== undefined ? { horizonHours: ov.horizonHours } : {}),
      ...(load !== null ? { initialLoadMw: load } : {}),
    });
    if (ov.priceScale !== undefined) for (const iv of built.input.intervals) iv.priceUsdPerMwh *= ov.priceScale;
    for (const p of ov.prices ?? []) {
      const iv = built.input.intervals.find((x) => x.startMs <= p.startMs && p.startMs < x.startMs + step);
      if (iv) iv.priceUsdPerMwh = p.priceUsdPerMwh;
    }
    const { plan, report } = await solveSiteInput(built, { timeLimitS: this.o.timeLimitS ?? 60, createdAtMs: this.now(), ...(worker ? { worker } : {}) });
    return { input: built.input, plan, report };
  }

  private store(trigger: PlanTrigger): void {
    const s = this.state;
    this.o.db
      .prepare('INSERT INTO plans (createdAtMs, trigger, status, marginUsd, error, report) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.computedAtMs, trigger, s.error ? 'error' : s.plan!.status, s.error ? null : s.plan!.totals.marginUsd, s.error, s.error ? null : JSON.stringify(s.plan));
    this.o.db.prepare('DELETE FROM plans WHERE id <= (SELECT MAX(id) FROM plans) - ?').run(this.o.keepPlans ?? 500);
  }

  private watchInputs(): void {
    const queue = (trigger: PlanTrigger) => {
      // One job per burst of file events (editors write in several steps).
      this.o.queue.add('replan', { trigger }, { jobId: `replan-${trigger}-${Math.floor(this.now() / 2000)}`, delayMs: 500 }).catch((err: unknown) => this.o.log.error({ err: errorMessage(err) }, 'queueing a replan failed'));
    };
    const pricesPath = this.market?.pricesPath;
    if (pricesPath) this.watchers.push(watch(pricesPath, () => queue('prices-changed')));
    this.watchers.push(
      watch(this.o.sitePath, () => {
        try {
          this.site = loadSiteFile(this.o.sitePath);
          this.market = null;
          queue('site-changed');
        } catch (err) {
          const error = `site file changed but is invalid; planning with the previous one: ${errorMessage(err)}`;
          if (this.state.error !== error) this.o.log.warn(error);
          this.state = { ...this.state, error };
        }
      }),
    );
  }
}
