// 10,000 paths × 5 years, daily, of the demo company under the base scenario (simulations/
// finance/scenarios/base.yaml), against the peer: the same model in numpy
// (test/bench/simulate_numpy.py, Debian's python3-numpy), vectorised across paths, run in the
// same bench on the same compiled model. Prints both walls, the ratio (goal ≥ 1.0: numpy's
// time ÷ ours), peak memory of each, and whether the two agree on a few results.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCompanyFile } from '../../services/finance/load-company.ts';
import { compileRun } from '../../simulations/finance/compile.ts';
import { runPaths } from '../../simulations/finance/run.ts';
import { loadScenarioFile } from '../../simulations/finance/scenario-file.ts';
import { summarise } from '../../simulations/finance/summarise.ts';

const PATHS = 10_000;
const SEED = 1;

export async function run(): Promise<void> {
  const company = loadCompanyFile('infra/sites/demo-company.yaml');
  const scenario = loadScenarioFile('simulations/finance/scenarios/base.yaml');
  const compiled = compileRun(company, scenario, { nowMs: Date.UTC(2026, 11, 5) });
  const { model } = compiled;
  const workers = Math.max(1, availableParallelism() - 1); // + the main thread: threads = cores
  console.log(`model: ${model.months} months (${model.days} days), ${model.blocks.length} mining blocks, ${model.tenants.length} tenants, ${model.covenants.length} covenants, ${model.btcLoans.length} BTC loans, ${model.decisions.length} decisions; ${PATHS} paths, ${workers} workers`);

  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const all = await runPaths(model, { paths: PATHS, seed: SEED, workers, mainThread: true });
  const oursS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const oursCpuS = (cpu.user + cpu.system) / 1e6;
  const t1 = performance.now();
  const result = summarise(compiled, all, { scenario: scenario.name, seed: SEED });
  const summaryS = (performance.now() - t1) / 1000;
  const oursPeakMb = process.resourceUsage().maxRSS / 1024;

  const dir = mkdtempSync(join(tmpdir(), 'bench-simulate-'));
  try {
    const file = join(dir, 'model.json');
    writeFileSync(file, JSON.stringify(model, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)));
    const script = fileURLToPath(new URL('./simulate_numpy.py', import.meta.url));
    const t2 = performance.now();
    const py = spawnSync('/usr/bin/python3', [script, file, String(PATHS), String(SEED)], { encoding: 'utf8', timeout: 600_000 });
    const pyTotalS = (performance.now() - t2) / 1000;
    if (py.error || py.status !== 0) {
      console.log(`numpy peer failed (${py.error?.message ?? `exit ${py.status}`}): ${py.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      console.log(`ours: ${oursS.toFixed(2)} s for the paths (+${summaryS.toFixed(2)} s summary), peak RSS ${oursPeakMb.toFixed(0)} MB; no ratio without the peer`);
      return;
    }
    const peer = JSON.parse(py.stdout.trim().split('\n').pop()!) as { wallS: number; cpuS: number; peakRssMb: number; cashEndMean: number; cashEndSe: number; anyBreach: number[]; marginCall: number[] };
    const M = model.months;
    let mean = 0;
    for (let i = 0; i < PATHS; i++) mean += all.cashUsd[i * M + M - 1]!;
    mean /= PATHS;
    let v = 0;
    for (let i = 0; i < PATHS; i++) v += (all.cashUsd[i * M + M - 1]! - mean) ** 2;
    const se = Math.sqrt(v / (PATHS - 1) / PATHS);
    const z = (mean - peer.cashEndMean) / Math.hypot(se, peer.cashEndSe);
    console.log(`ours (TypeScript, typed arrays, ${workers} worker threads + the main thread): ${oursS.toFixed(2)} s for the paths, ${oursCpuS.toFixed(2)} s CPU in all threads (+${summaryS.toFixed(2)} s percentiles and probabilities), peak RSS ${oursPeakMb.toFixed(0)} MB (whole bench process)`);
    console.log(`numpy: ${peer.wallS.toFixed(2)} s for the paths, ${peer.cpuS.toFixed(2)} s CPU (${pyTotalS.toFixed(2)} s with interpreter start and reading the model), peak RSS ${peer.peakRssMb.toFixed(0)} MB`);
    console.log(`ratio: numpy ÷ ours = ${(peer.wallS / oursS).toFixed(2)} wall (goal ≥ 1.0); CPU per path numpy ÷ ours = ${(peer.cpuS / oursCpuS).toFixed(2)} (wall on a shared machine swings with its load; CPU seconds less)`);
    console.log(`agreement: cash at ${compiled.months[M - 1]} mean ${(mean / 1e6).toFixed(2)}M ± ${(se / 1e6).toFixed(2)} vs numpy ${(peer.cashEndMean / 1e6).toFixed(2)}M ± ${(peer.cashEndSe / 1e6).toFixed(2)} (z = ${z.toFixed(2)}); any-breach ${result.covenants.map((c) => c.anyBreachProbability.toFixed(3)).join('/')} vs ${peer.anyBreach.map((p) => p.toFixed(3)).join('/')}; margin call ${result.btcLoans.map((l) => l.marginCallProbability.toFixed(3)).join('/')} vs ${peer.marginCall.map((p) => p.toFixed(3)).join('/')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
