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
 * One long-lived worker, reused: loading HiGHS's Wasm costs a few hundred milliseconds, more
 * than a small solve, and a backtest solves hundreds of times. Solves queue one at a time.
 * The worker holds the process open only while it is solving.
 */
let worker: Worker | null = null;
let nextId = 1;
let tail: Promise<unknown> = Promise.resolve();

function ensureWorker(): Worker {
  if (worker) return worker;
  // Not the parent's flags: `--input-type` or an eval would break a plain module worker.
  const w = new Worker(WORKER_URL, { execArgv: [] });
  w.unref();
  w.on('error', () => {
    if (worker === w) worker = null;
  });
  w.on('exit', () => {
    if (worker === w) worker = null;
  });
  worker = w;
  return w;
}

/** Solves a CPLEX-LP-format model on the solver worker thread. */
export function solveLp(lp: string, opts: SolveOptions): Promise<SolveResult> {
  const run = tail.then(() => solveOnWorker(lp, opts));
  // The queue only orders solves; each caller gets its own result or error through `run`.
  tail = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

function solveOnWorker(lp: string, opts: SolveOptions): Promise<SolveResult> {
  const graceMs = opts.graceMs ?? 5_000;
  const w = ensureWorker();
  const id = nextId++;
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
      if (worker === w) worker = null;
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
