import { Worker } from 'node:worker_threads';
import { ContextError } from '../../lib/errors.ts';

/**
 * HiGHS in a worker thread, so a long MILP never blocks the API's event loop. The solver
 * stops itself at `timeLimitS` (HiGHS's own clock) and returns its best plan with the gap it
 * proved; the worker is killed outright if it overruns that by `graceMs` (a hang in Wasm).
 */

export type SolveStatus =
  | 'optimal'
  | 'infeasible'
  | 'infeasible-or-unbounded'
  | 'unbounded'
  | 'time-limit'
  | 'iteration-limit'
  | 'interrupted'
  | string;

export interface SolveOptions {
  timeLimitS: number;
  /** Relative MIP gap at which HiGHS stops and calls the incumbent optimal (0.001 = 0.1%). */
  mipRelGap?: number;
  /** On infeasibility, compute an irreducible infeasible subset of rows (LP models only). */
  wantIis?: boolean;
  graceMs?: number;
  /** The worker to queue on (default: the shared one). */
  worker?: SolverWorker;
}

export interface SolveResult {
  status: SolveStatus;
  /** Objective of the returned solution; null when there is none. */
  objective: number | null;
  /** Relative gap between the solution and the proven bound (MIPs); null for LPs. */
  mipGap: number | null;
  dualBound: number | null;
  wallMs: number;
  /** Column values by LP-file name; empty when there is no solution. */
  values: ReadonlyMap<string, number>;
  /** Row names of an irreducible infeasible subset (when asked for and infeasible). */
  iisRows: string[];
}

interface WorkerReply {
  id: number;
  ok: boolean;
  error?: string;
  result?: {
    status: string;
    objective: number | null;
    mipGap: number | null;
    dualBound: number | null;
    wallMs: number;
    names: string[];
    values: number[];
    iisRows: string[];
  };
}

const WORKER_URL = new URL('./highs-worker.mjs', import.meta.url);

/**
 * A long-lived solver worker, reused: loading HiGHS's Wasm costs a few hundred milliseconds,
 * more than a small solve, and a backtest solves hundreds of times. Solves queue one at a
 * time on it. The worker holds the process open only while it is solving. What-if previews
 * run on their own thread with their own solver (scheduler/preview/), so they never queue
 * ahead of the plan.
 */
export class SolverWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /**
   * `nice`: the solver thread lowers its own priority to this (Linux, that thread only).
   * Previews pass BACKGROUND_NICE; the scheduled plan's solver keeps the process's priority,
   * so the plan job is not starved by other work on a busy machine.
   */
  constructor(private readonly nice: number | null = null) {}

  /** Solves waiting or running on this worker. */
  get depth(): number {
    return this.queued;
  }

  solve(lp: string, opts: SolveOptions): Promise<SolveResult> {
    this.queued++;
    const run = this.tail.then(() => this.solveOnWorker(lp, opts)).finally(() => this.queued--);
    // The queue only orders solves; each caller gets its own result or error through `run`.
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // Not the parent's flags: `--input-type` or an eval would break a plain module worker.
    // A background solver lowers its own thread's priority (workerData.nice).
    const w = new Worker(WORKER_URL, { execArgv: [], workerData: { nice: this.nice } });
    w.unref();
    w.on('error', () => {
      if (this.worker === w) this.worker = null;
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
    });
    this.worker = w;
    return w;
  }

  private solveOnWorker(lp: string, opts: SolveOptions): Promise<SolveResult> {
    const graceMs = opts.graceMs ?? 5_000;
    const w = this.ensureWorker();
    const id = this.nextId++;
    w.ref();
    return new Promise<SolveResult>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.unref();
      };
      const timer = setTimeout(() => {
        done();
        if (this.worker === w) this.worker = null;
        void w.terminate();
        reject(new ContextError('E_SOLVER_HUNG', `HiGHS did not return within ${opts.timeLimitS} s + ${graceMs} ms grace; worker killed`));
      }, opts.timeLimitS * 1000 + graceMs);
      const onError = (err: Error) => {
        done();
        reject(new ContextError('E_SOLVER', `HiGHS worker failed: ${err.message}`, { cause: err }));
      };
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        done();
        if (!reply.ok || !reply.result) {
          reject(new ContextError('E_SOLVER', `HiGHS could not solve the model: ${reply.error ?? 'no result'}`));
          return;
        }
        const r = reply.result;
        const values = new Map<string, number>();
        r.names.forEach((name, i) => values.set(name, r.values[i]!));
        resolve({ status: r.status, objective: r.objective, mipGap: r.mipGap, dualBound: r.dualBound, wallMs: r.wallMs, values, iisRows: r.iisRows });
      };
      w.on('message', onMessage);
      w.once('error', onError);
      w.postMessage({ id, lp, timeLimitS: opts.timeLimitS, mipRelGap: opts.mipRelGap ?? 1e-4, wantIis: opts.wantIis ?? false });
    });
  }
}

/** The scheduled plan's, backtests' and every other solve's worker. */
export const defaultSolver = new SolverWorker();

/** Solves a CPLEX-LP-format model on a solver worker thread (`opts.worker`, default the shared one). */
export function solveLp(lp: string, opts: SolveOptions): Promise<SolveResult> {
  return (opts.worker ?? defaultSolver).solve(lp, opts);
}
