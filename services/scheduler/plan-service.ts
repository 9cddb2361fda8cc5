import { watch, type FSWatcher } from 'node:fs';
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
import { computePlan, planPrices, type PlanComputeRequest, type PreviewOverrides } from './plan-compute.ts';
import { explainAt, type PlanReport } from './plan-report.ts';
import { dispatchSettings } from './site-input.ts';
import { PreviewRunner } from './preview/preview-runner.ts';
import type { PlanRecords } from './plan-records.ts';

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

export type { PreviewOverrides } from './plan-compute.ts';

export interface PlanServiceOptions {
  site: SiteFile;
  sitePath: string;
  /** Where each computed plan is kept (SQLite or PostgreSQL, plan-records.ts). */
  plans: PlanRecords;
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
  private readonly previews = new PreviewRunner();

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

  /** Previews running on the preview worker now. */
  get previewsInFlight(): number {
    return this.previews.inFlight;
  }

  latest(): PlanState {
    return this.state;
  }

  /** Computes and stores a plan now (the queue's job handler). Never throws: errors are the state. */
  async recompute(trigger: PlanTrigger): Promise<PlanState> {
    const started = this.now();
    try {
      const { input, report, plan } = await computePlan(await this.request({}, trigger));
      this.lastInput = input;
      this.lastPlan = plan;
      this.state = { computedAtMs: started, trigger, error: null, plan: report };
      this.o.log.info({ trigger, status: report.status, marginUsd: Math.round(report.totals.marginUsd), solveMs: Math.round(report.solveMs) }, 'plan computed');
    } catch (err) {
      const error = errorMessage(err);
      if (this.state.error !== error) this.o.log.warn({ trigger, err: error }, 'plan failed');
      this.state = { ...this.state, computedAtMs: started, trigger, error };
    }
    try {
      await this.store(trigger);
    } catch (err) {
      this.o.log.error({ trigger, err: errorMessage(err), store: this.o.plans.kind }, `storing the plan failed: ${errorMessage(err)}`);
    }
    return this.state;
  }

  /** A what-if plan on the current site and market with some inputs changed; nothing is stored. */
  async preview(overrides: PreviewOverrides): Promise<PlanReport> {
    // Whole on the preview worker (its own thread and solver, lower priority): six 168 h
    // what-ifs neither delay the plan nor block the loop while their models are built.
    return this.previews.run(await this.request(overrides, null));
  }

  explain(blockId: string, atMs: number): Explanation {
    if (!this.lastInput || !this.lastPlan) throw new RangeError(`no plan yet${this.state.error ? `: ${this.state.error}` : ''}`);
    return explainAt(this.lastInput, this.lastPlan, blockId, atMs);
  }

  async stop(): Promise<void> {
    for (const w of this.watchers.splice(0)) w.close();
    await this.previews.close();
    // A shared queue (BullMQ) keeps the schedule: other instances plan on it, and the next start
    // of this one upserts it. Only this process's own timers (the in-process queue) go.
    if (this.o.queue.kind !== 'memory') return;
    await this.o.queue.removeRepeatable(SCHEDULE_KEY).catch((err: unknown) => this.o.log.warn({ err: errorMessage(err) }, 'removing the plan schedule failed'));
  }

  /** What a plan is computed from now: the site, the prices it can read, hashprice, load. */
  private async request(overrides: PreviewOverrides, trigger: PlanTrigger | null): Promise<PlanComputeRequest> {
    if (!this.market || trigger === 'prices-changed' || trigger === 'site-changed') {
      this.market = await loadMarketSources({ site: this.site, sitePath: this.o.sitePath });
    }
    const m = this.market;
    const nowMs = this.now();
    return {
      site: this.site,
      prices: planPrices(withLivePrices(m.prices?.intervals ?? [], this.o.livePrices?.recent() ?? []), this.site, overrides, nowMs),
      // loadMarketSources reads hashprice per interval from the chain history when it has one.
      hashprice: typeof m.hashprice === 'number' ? m.hashprice : { chain: m.chain! },
      overrides,
      nowMs,
      initialLoadMw: this.o.currentLoadMw?.() ?? null,
      timeLimitS: this.o.timeLimitS ?? 60,
    };
  }

  private async store(trigger: PlanTrigger): Promise<void> {
    const s = this.state;
    await this.o.plans.add(
      { createdAtMs: s.computedAtMs ?? this.now(), trigger, status: s.error ? 'error' : s.plan!.status, marginUsd: s.error ? null : s.plan!.totals.marginUsd, error: s.error, report: s.error ? null : s.plan },
      this.o.keepPlans ?? 500,
    );
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
