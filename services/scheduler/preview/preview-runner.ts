import { Worker } from 'node:worker_threads';
import { ContextError } from '../../lib/errors.ts';
import type { PlanComputeRequest } from '../plan-compute.ts';
import type { PlanReport } from '../plan-report.ts';
import { errorFromWire, type PreviewReply, type PreviewRequest } from './preview-wire.ts';

/**
 * Runs what-if plans whole on one long-lived worker thread (preview-thread.ts), which lowers
 * its own priority and solves on its own HiGHS worker: a preview neither blocks the API's loop
 * while its model is built nor queues ahead of the scheduled plan. The worker is started on
 * the first preview (loading the scheduler on a thread costs about a second) and holds the
 * process open only while a preview runs. A worker that does not answer within the solve's
 * limits is killed and the next preview starts a new one.
 */

const WORKER_URL = new URL('./preview-worker.mjs', import.meta.url);
/** Beyond the solver's own limits (two solves when infeasible, each with its grace): start-up and the model. */
const SLACK_MS = 30_000;
const SOLVER_GRACE_MS = 5_000;

interface Pending {
  resolve: (r: PlanReport) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class PreviewRunner {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** Previews running now. */
  get inFlight(): number {
    return this.pending.size;
  }

  run(request: PlanComputeRequest): Promise<PlanReport> {
    const w = this.ensureWorker();
    const id = this.nextId++;
    const limitMs = 2 * (request.timeLimitS * 1000 + SOLVER_GRACE_MS) + SLACK_MS;
    return new Promise<PlanReport>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(w, new ContextError('E_SOLVER_HUNG', `the preview worker did not answer within ${Math.round(limitMs / 1000)} s; worker killed`)), limitMs);
      this.pending.set(id, { resolve, reject, timer });
      w.ref();
      w.postMessage({ id, request } satisfies PreviewRequest);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.fail(w, new ContextError('E_CLOSED', 'the plan service stopped before the preview finished'));
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // Not the parent's flags: `--input-type` or an eval would break a plain module worker.
    const w = new Worker(WORKER_URL, { execArgv: [] });
    w.unref();
    w.on('message', (reply: PreviewReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.settle(w, reply.id);
      if (reply.ok) p.resolve(reply.report);
      else p.reject(errorFromWire(reply.error));
    });
    w.on('error', (err) => this.fail(w, new ContextError('E_PREVIEW_WORKER', `the preview worker failed: ${err.message}`, { cause: err })));
    w.on('exit', (code) => this.fail(w, new ContextError('E_PREVIEW_WORKER', `the preview worker exited (code ${code})`)));
    this.worker = w;
    return w;
  }

  private settle(w: Worker, id: number): void {
    clearTimeout(this.pending.get(id)!.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) w.unref();
  }

  /** Rejects every preview on `w` and drops it; the next preview starts a fresh worker. */
  private fail(w: Worker, err: Error): void {
    if (this.worker !== w) return;
    this.worker = null;
    for (const [id, p] of [...this.pending]) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
    void w.terminate();
  }
}
