import type { Company } from '../../services/finance/load-company.ts';
import { compileRun } from './compile.ts';
import { loadDailyReturns } from './history.ts';
import { runPaths } from './run.ts';
import type { Scenario } from './scenario-schema.ts';
import { summarise, type SimulationResult } from './summarise.ts';

/** One simulation end to end: compile the company and scenario, run the paths, summarise. */

export interface SimulateOptions {
  paths: number;
  seed: number;
  workers?: number;
  /** Simulate on the calling thread too (CLI; never in a server). */
  mainThread?: boolean;
  nowMs?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** The most paths a run may ask for on this machine (memory: ~1 KB per path-month of results). */
export const MAX_PATHS = 100_000;

export async function simulate(company: Company, scenario: Scenario, opts: SimulateOptions): Promise<SimulationResult> {
  const bootstrapReturns = scenario.btc.model === 'bootstrap' ? await loadDailyReturns(scenario.btc.historyFiles ?? []) : undefined;
  const run = compileRun(company, scenario, { nowMs: opts.nowMs, bootstrapReturns });
  const all = await runPaths(run.model, { paths: opts.paths, seed: opts.seed, workers: opts.workers, mainThread: opts.mainThread, onProgress: opts.onProgress, signal: opts.signal });
  return summarise(run, all, { scenario: scenario.name, seed: opts.seed });
}
