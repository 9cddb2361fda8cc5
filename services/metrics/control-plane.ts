import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue } from '../queue/types.ts';
import type { EventRecord, TimelineKind } from '../curtailment/event-record.ts';
import type { LiveState } from '../telemetry/live-state.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';

/**
 * The control plane's Prometheus series, on a registry of its own (two control planes in one
 * test process do not share counters). Names follow Prometheus' conventions: base units
 * (seconds, bytes) as suffixes, `_total` on counters. The HTTP and ingest series are filled by
 * ./http-plugin.ts; queues, the planner and the curtailment engine are watched from the
 * platform wiring through the methods here, so none of those services knows about metrics.
 */

/** Stages of a curtailment event, each measured between two timeline entries of its record. */
export const CURTAILMENT_STAGES: ReadonlyArray<{ stage: string; from: TimelineKind; to: TimelineKind }> = [
  { stage: 'plan', from: 'signal-received', to: 'plan-made' },
  { stage: 'first_command', from: 'signal-received', to: 'first-command' },
  { stage: 'commands', from: 'first-command', to: 'last-command' },
  { stage: 'meter_confirm', from: 'signal-received', to: 'meter-confirmed' },
  { stage: 'restore', from: 'restore-start', to: 'restore-end' },
];

const FINAL = new Set<EventRecord['status']>(['done', 'aborted', 'failed']);
/** Latest events looked at per scrape. */
const CURTAIL_SCAN = 100;

/** What the metrics read from the curtailment engine. */
export interface CurtailmentReader {
  list(limit: number): Array<{ id: string; status: EventRecord['status']; updatedAtMs: number }>;
  get(eventId: string): EventRecord | undefined;
}

export class ControlPlaneMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly ingestBatches: Counter<'outcome'>;
  readonly ingestReadings: Counter;
  readonly readingsRejected: Counter<'reason'>;
  readonly ingestLag: Histogram;
  readonly jobDuration: Histogram<'queue' | 'job' | 'outcome'>;
  readonly planSolve: Histogram<'status'>;
  readonly curtailStage: Histogram<'stage'>;
  private readonly queues: Array<JobQueue<unknown>> = [];
  private readonly seenEvents = new Set<string>();
  private readonly curtailSources: Array<{ engine: CurtailmentReader; log: Logger }> = [];
  private readonly sinceMs: number;

  constructor(opts: { live?: LiveState; now?: () => number } = {}) {
    const r = [this.registry];
    const now = opts.now ?? Date.now;
    this.sinceMs = now();
    const collectCurtailment = () => this.collectCurtailment();
    this.httpDuration = new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'HTTP request latency by route template (unknown routes are "unmatched")',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    });
    this.ingestBatches = new Counter({
      name: 'switchyard_ingest_batches_total',
      help: 'Agent batches received, by outcome (applied, duplicate, rejected)',
      labelNames: ['outcome'],
      registers: r,
    });
    this.ingestReadings = new Counter({
      name: 'switchyard_ingest_readings_total',
      help: 'Readings applied to the live state; rate() of it is the ingest rate',
      registers: r,
    });
    this.readingsRejected = new Counter({
      name: 'switchyard_ingest_readings_rejected_total',
      help: 'Readings not applied, by reason: the API error code of a rejected batch, or older_than_latest for a reading superseded by a newer one',
      labelNames: ['reason'],
      registers: r,
    });
    this.ingestLag = new Histogram({
      name: 'switchyard_ingest_lag_seconds',
      help: 'Age of the newest reading of each applied batch when it reached the control plane',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers: r,
    });
    this.jobDuration = new Histogram({
      name: 'switchyard_queue_job_duration_seconds',
      help: 'Time a queue job ran in this process, by queue, job name and outcome',
      labelNames: ['queue', 'job', 'outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: r,
    });
    this.planSolve = new Histogram({
      name: 'switchyard_plan_solve_seconds',
      help: 'Dispatch plan solver time, by solver status',
      labelNames: ['status'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers: r,
    });
    this.curtailStage = new Histogram({
      name: 'switchyard_curtailment_stage_seconds',
      help: `Curtailment event stage times from the event record (${CURTAILMENT_STAGES.map((s) => `${s.stage}: ${s.from} → ${s.to}`).join('; ')})`,
      labelNames: ['stage'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800],
      registers: r,
      collect: collectCurtailment,
    });
    const curtailSources = this.curtailSources;
    new Gauge({
      name: 'switchyard_curtailment_active',
      help: 'Curtailment events not yet finished (1 each, labelled by event id and status); Grafana draws them as annotations',
      labelNames: ['event', 'status'],
      registers: r,
      collect() {
        this.reset();
        for (const { engine } of curtailSources) for (const e of engine.list(CURTAIL_SCAN)) if (!FINAL.has(e.status)) this.set({ event: e.id, status: e.status }, 1);
      },
    });
    const queues = this.queues;
    new Gauge({
      name: 'switchyard_queue_jobs',
      help: 'Jobs in each queue by state (waiting, delayed, active, completed and failed still retained)',
      labelNames: ['queue', 'state'],
      registers: r,
      async collect() {
        this.reset();
        for (const q of queues) {
          const c = await q.counts();
          for (const [state, n] of Object.entries(c)) this.set({ queue: q.name, state }, n);
        }
      },
    });
    if (opts.live) {
      const live = opts.live;
      new Gauge({
        name: 'switchyard_agent_last_batch_age_seconds',
        help: 'Seconds since the last batch from each agent (agent lag as the control plane sees it)',
        labelNames: ['agent'],
        registers: r,
        collect() {
          this.reset();
          const t = now();
          for (const a of live.agents()) this.set({ agent: a.agentId }, Math.max(0, t - a.lastSeenMs) / 1000);
        },
      });
      new Gauge({
        name: 'switchyard_agent_last_seq',
        help: 'Sequence number of the last batch from each agent',
        labelNames: ['agent'],
        registers: r,
        collect() {
          this.reset();
          for (const a of live.agents()) this.set({ agent: a.agentId }, a.lastSeq);
        },
      });
    }
  }

  /**
   * The same queue, its handler timed: every job's run time lands in
   * switchyard_queue_job_duration_seconds, and the queue's depth in switchyard_queue_jobs.
   */
  instrument<T>(queue: JobQueue<T>): JobQueue<T> {
    this.queues.push(queue as JobQueue<unknown>);
    const hist = this.jobDuration;
    const process: JobQueue<T>['process'] = (handler, opts) =>
      queue.process(async (job) => {
        const end = hist.startTimer({ queue: queue.name, job: jobLabel(job.name, job.data) });
        try {
          const result = await handler(job);
          end({ outcome: 'completed' });
          return result;
        } catch (err) {
          end({ outcome: 'failed' });
          throw err;
        }
      }, opts);
    return new Proxy(queue, {
      get(target, prop, receiver) {
        if (prop === 'process') return process;
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  /** Plan solve times: read from the planner's latest state after each plan job. */
  watchPlanner(queue: JobQueue<unknown>, latest: () => { plan: { solveMs: number; status: string } | null; error: string | null }): () => void {
    return queue.on('completed', () => {
      const s = latest();
      if (s.plan && s.error === null) this.planSolve.observe({ status: s.plan.status }, s.plan.solveMs / 1000);
    });
  }

  /**
   * Curtailment stage times: at each scrape, events that reached a final state since this
   * process started are observed once each (an event ends on an agent's ack as often as in a
   * queue job, so the record is the one place to read it from).
   */
  watchCurtailment(engine: CurtailmentReader, log: Logger): void {
    this.curtailSources.push({ engine, log });
  }

  private collectCurtailment(): void {
    for (const { engine, log } of this.curtailSources) {
      for (const e of engine.list(CURTAIL_SCAN)) {
        if (!FINAL.has(e.status) || e.updatedAtMs < this.sinceMs || this.seenEvents.has(e.id)) continue;
        this.seenEvents.add(e.id);
        try {
          const rec = engine.get(e.id);
          if (rec) this.observeEvent(rec);
        } catch (err) {
          log.error({ err, eventId: e.id }, `curtailment stage metrics for ${e.id} failed: ${errorMessage(err)}`);
        }
      }
    }
  }

  /** Observes the stages of a finished event's record (first entry of each kind). */
  observeEvent(rec: EventRecord): void {
    const first = new Map<TimelineKind, number>();
    for (const t of rec.timeline) if (!first.has(t.kind)) first.set(t.kind, t.atMs);
    for (const s of CURTAILMENT_STAGES) {
      const a = first.get(s.from);
      const b = first.get(s.to);
      if (a !== undefined && b !== undefined && b >= a) this.curtailStage.observe({ stage: s.stage }, (b - a) / 1000);
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A job's label: its name, with the curtailment step (data.kind) when it has one. */
function jobLabel(name: string, data: unknown): string {
  const kind = typeof data === 'object' && data !== null ? (data as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' && kind !== name ? `${name}:${kind}` : name;
}
