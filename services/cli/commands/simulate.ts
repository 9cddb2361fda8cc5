import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { loadCompanyFile } from '../../finance/load-company.ts';
import { ContextError } from '../../lib/errors.ts';
import { formatSimulation } from '../../../simulations/finance/format.ts';
import { loadScenarioFile } from '../../../simulations/finance/scenario-file.ts';
import { maxPathsFor, simulate } from '../../../simulations/finance/simulate.ts';
import { numberOption } from '../args.ts';

interface SimulateOptions {
  company: string;
  scenario: string;
  paths: number;
  seed: number;
  workers?: number;
  json?: boolean;
}

/**
 * `switchyard simulate`: a seeded Monte Carlo of the company under a scenario. --json prints
 * one JSON object (SimulationResult) on stdout and nothing else; a terminal gets a progress
 * bar on stderr. Bad files name file, line and key and nothing runs.
 */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('what-if Monte Carlo: BTC, difficulty, power and tenant risks on the whole company, with breach and margin-call probabilities')
    .requiredOption('--company <FILE>', 'company YAML (site files, debt book, corporate costs, outlook)')
    .requiredOption('--scenario <FILE>', 'scenario YAML (the risks around the outlook)')
    .option('--paths <N>', 'number of paths', numberOption('--paths', { positive: true, integer: true }), 10_000)
    .option('--seed <S>', 'seed (same seed and scenario: same numbers)', numberOption('--seed', { integer: true }), 1)
    .option('--workers <N>', 'worker threads (default: one per core)', numberOption('--workers', { integer: true }))
    .option('--json', 'print one JSON object on stdout')
    .action(async (opts: SimulateOptions) => {
      const company = loadCompanyFile(opts.company);
      const scenario = loadScenarioFile(opts.scenario);
      const limit = maxPathsFor(scenario.horizonMonths ?? company.file.outlook.horizonMonths);
      if (opts.paths > limit) throw new ContextError('E_ARGS', `--paths ${opts.paths} is more than this machine runs for this horizon (${limit})`);
      const bar = !opts.json && process.stderr.isTTY ? new SingleBar({ format: 'simulating [{bar}] {percentage}% | {value}/{total} paths | {eta}s left', stream: process.stderr }) : null;
      bar?.start(opts.paths, 0);
      try {
        const result = await simulate(company, scenario, { paths: opts.paths, seed: opts.seed, workers: opts.workers, mainThread: true, onProgress: (done) => bar?.update(done) });
        bar?.stop();
        process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : formatSimulation(result));
      } finally {
        bar?.stop();
      }
    });
}
