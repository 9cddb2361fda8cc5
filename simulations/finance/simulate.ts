import type { Company } from '../../services/finance/load-company.ts';
import { compileRun } from './compile.ts';
import { loadPriceFile } from '../../services/market/load.ts';
import { loadBtcHistory } from './history.ts';
import { shapeFromPrices } from './price-shape.ts';
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

/** The most paths a run may ask for on this machine. */
export const MAX_PATHS = 100_000;
/** Results take ~60 bytes per path-month (seven Float64 series plus covenant flags): 6e6 path-months is ~0.4 GB. */
export const MAX_PATH_MONTHS = 6_000_000;

/** The path limit for a horizon: MAX_PATHS, fewer for horizons past five years. */
export function maxPathsFor(months: number): number {
  return Math.min(MAX_PATHS, Math.floor(MAX_PATH_MONTHS / months));
}

export async function simulate(company: Company, scenario: Scenario, opts: SimulateOptions): Promise<SimulationResult> {
  const history = scenario.btc.historyFiles ? await loadBtcHistory(scenario.btc.historyFiles) : undefined;
  let priceShape: Float64Array | undefined;
  if (scenario.power.shape === 'file') {
    const site = company.sites[0]!.site;
    const series = await loadPriceFile(scenario.power.priceFile!, { settlementPoint: scenario.power.settlementPoint ?? site.site.market.settlementPoint });
    priceShape = shapeFromPrices(series, site.site.timezone).shape;
  }
  const run = compileRun(company, scenario, {
    nowMs: opts.nowMs,
    ...(priceShape ? { priceShape } : {}),
    ...(history && scenario.btc.model === 'bootstrap' ? { bootstrapReturns: history.returns } : {}),
    ...(history && scenario.btc.startFromHistory ? { startPriceUsd: history.lastPriceUsd } : {}),
  });
  const all = await runPaths(run.model, { paths: opts.paths, seed: opts.seed, workers: opts.workers, mainThread: opts.mainThread, onProgress: opts.onProgress, signal: opts.signal });
  return summarise(run, all, { scenario: scenario.name, seed: opts.seed });
}
