import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AllocationResult } from '../../services/scheduler/strategic/allocate.ts';

/**
 * Runs `allocate` through commander in a child process, as the CLI will once main.ts
 * registers it (this test does the registering, so it does not depend on that wiring). The
 * runner is a file, not `-e`: HiGHS's worker thread inherits the parent's flags and
 * `--input-type` would stop it.
 */
const RUNNER = `
import { Command } from ${JSON.stringify(import.meta.resolve('commander'))};
import { registerAllocate } from ${JSON.stringify(new URL('../../services/cli/commands/allocate.ts', import.meta.url).href)};
const program = new Command('switchyard').exitOverride();
registerAllocate(program);
try { await program.parseAsync(process.argv); }
catch (err) { process.stderr.write('switchyard: ' + (err instanceof Error ? err.message : String(err)) + '\\n'); process.exitCode = 1; }
`;

const runnerDir = mkdtempSync(join(tmpdir(), 'allocate-cli-'));
const runner = join(runnerDir, 'run.mts');
writeFileSync(runner, RUNNER);
after(() => rmSync(runnerDir, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', runner, 'allocate', ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DEMO = ['--site', 'infra/sites/demo.yaml', '--offers', 'infra/sites/demo-offers.yaml'];

test('--json on the demo: one AllocationResult, optimal, and no worse than either baseline', () => {
  const r = cli(...DEMO, '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as AllocationResult;
  assert.equal(out.solver.status, 'optimal');
  assert.equal(out.months.length, 180);
  assert.deepEqual(out.decisions.map((d) => d.blockId), ['B1', 'B2', 'B3', 'B4', 'B5']);
  assert.deepEqual(out.excludedBlocks.map((b) => b.blockId), ['B6', 'B7', 'B8']);
  assert.equal(out.halvings[0]!.month, '2028-04');
  // The MILP maximises the same objective the evaluator scores, over plans that include both baselines.
  assert.ok(out.plan.objectiveUsd >= out.greedy.objectiveUsd - 1, 'plan ≥ greedy');
  assert.ok(out.plan.objectiveUsd >= out.allMining.objectiveUsd - 1, 'plan ≥ all mining');
  assert.ok(Math.abs(out.solver.objectiveUsd! - out.plan.objectiveUsd) <= 1 + 1e-9 * Math.abs(out.plan.objectiveUsd), 'solver objective = evaluated objective');
  for (const d of out.decisions) {
    assert.ok(d.why.length > 0, `${d.blockId} has a reason`);
    assert.equal(d.options.length, 3, `${d.blockId} appraised against every offer`);
  }
  for (const m of out.months) {
    for (const k of ['miningMarginUsd', 'leaseNoiUsd', 'capexUsd', 'debtServiceUsd'] as const) assert.ok(Number.isFinite(m[k]), `${m.month} ${k}`);
  }
});

test('text output: decisions, plan against baselines, halvings and the year table', () => {
  const r = cli(...DEMO);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Strategic allocation: demo-west-tx, 2026-01 \+ 180 months/);
  assert.match(r.stdout, /plan \(MILP\) +all mining +greedy by NPV/);
  assert.match(r.stdout, /Halving: block 1,050,000 ~2028-04-17/);
  assert.match(r.stdout, /year +hashprice/);
  assert.match(r.stdout, /B7 \(ai\): already AI/);
});

test('a bad offers file exits non-zero naming the file and the key', () => {
  const bad = join(runnerDir, 'bad.yaml');
  writeFileSync(bad, 'startMonth: 2026-01\nhorizonMonths: 12\ndiscountRatePctPerYear: 10\npowerPriceUsdPerMwh: 40\nhashprice: { startUsdPerPhDay: 40 }\noffers: []\ncolour: blue\n');
  const r = cli('--site', 'infra/sites/demo.yaml', '--offers', bad);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /offers file .*bad\.yaml: .*\/colour unknown key "colour"/);
  assert.match(r.stderr, /\/offers must NOT have fewer than 1 items/);
  assert.equal(r.stdout, '');
});
