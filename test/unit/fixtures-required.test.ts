import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const helper = fileURLToPath(new URL('../support/fixtures.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs one test file in a child `node --test` of its own (not reporting to this run). */
function runTestFile(file: string) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], { encoding: 'utf8', cwd: repoRoot, env });
}

test('a suite whose recordings are absent fails the run, naming the path', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-fixtures-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'shared/fixtures/market');
  const file = join(dir, 'reads-fixtures.test.ts');
  writeFileSync(
    file,
    `import { describe, test } from 'node:test';\nimport { requireFixtures } from ${JSON.stringify(helper)};\n` +
      `describe('reads the recordings', { skip: requireFixtures(${JSON.stringify(missing)}) }, () => { test('x', () => {}); });\n`,
  );
  const run = runTestFile(file);
  assert.equal(run.status, 1, run.stdout + run.stderr);
  assert.match(run.stdout, new RegExp(`not ok \\d+ - recordings at ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} are present`));
  assert.match(run.stdout, /is absent: the shared fixtures must be checked out next to the repository/);
  assert.match(run.stdout, /# fail 1/);
});

test('present recordings register nothing and run the suite', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-fixtures-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'reads-fixtures.test.ts');
  writeFileSync(
    file,
    `import { describe, test } from 'node:test';\nimport { requireFixtures } from ${JSON.stringify(helper)};\n` +
      `describe('reads the recordings', { skip: requireFixtures(${JSON.stringify(dir)}) }, () => { test('x', () => {}); });\n`,
  );
  const run = runTestFile(file);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /# pass 1\n/);
  assert.match(run.stdout, /# skipped 0\n/);
});
