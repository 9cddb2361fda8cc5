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

/** Solves a CPLEX-LP-format model in a fresh worker thread. */
export function solveLp(lp: string, opts: SolveOptions): Promise<SolveResult> {
  const graceMs = opts.graceMs ?? 5_000;
  const worker = new Worker(WORKER_URL);
  return new Promise<SolveResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new ContextError('E_SOLVER_HUNG', `HiGHS did not return within ${opts.timeLimitS} s + ${graceMs} ms grace; worker killed`));
    }, opts.timeLimitS * 1000 + graceMs);
    const finish = () => {
      clearTimeout(timer);
      void worker.terminate();
    };
    worker.once('error', (err) => {
      finish();
      reject(new ContextError('E_SOLVER', `HiGHS worker failed: ${err.message}`, { cause: err }));
    });
    worker.once('message', (reply: WorkerReply) => {
      finish();
      if (!reply.ok || !reply.result) {
        reject(new ContextError('E_SOLVER', `HiGHS could not solve the model: ${reply.error ?? 'no result'}`));
        return;
      }
      const r = reply.result;
      const values = new Map<string, number>();
      r.names.forEach((name, i) => values.set(name, r.values[i]!));
      resolve({ status: r.status, objective: r.objective, mipGap: r.mipGap, dualBound: r.dualBound, wallMs: r.wallMs, values, iisRows: r.iisRows });
    });
    worker.postMessage({ id: 1, lp, timeLimitS: opts.timeLimitS, mipRelGap: opts.mipRelGap ?? 1e-4, wantIis: opts.wantIis ?? false });
  });
}
