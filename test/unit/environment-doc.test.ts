import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { documentedVariables, envReads } from '../support/env-reads.ts';

/** infra/ENVIRONMENT.md lists every environment variable the code reads, and only those. */
const DOC = 'infra/ENVIRONMENT.md';

describe('infra/ENVIRONMENT.md', () => {
  const documented = documentedVariables(readFileSync(DOC, 'utf8'));
  const reads = envReads();

  it('documents every variable the code reads', () => {
    const missing = new Map<string, string[]>();
    for (const r of reads) if (!documented.has(r.name)) missing.set(r.name, [...(missing.get(r.name) ?? []), `${r.file}:${r.line}`]);
    const lines = [...missing].map(([name, where]) => `  ${name} (read at ${where.join(', ')})`);
    assert.equal(
      lines.length,
      0,
      `${lines.length} environment variable(s) not documented in ${DOC}:\n${lines.join('\n')}\n` +
        `Fix: add a row "| \`NAME\` | default | effect |" to the table of its section in ${DOC} (what it does, and what happens when it is unset).`,
    );
  });

  it('has no row for a variable nothing reads any more', () => {
    const read = new Set(reads.map((r) => r.name));
    const stale = [...documented].filter(([name, section]) => !read.has(name) && !/compose/i.test(section)).map(([name]) => name);
    assert.deepEqual(stale, [], `rows in ${DOC} for variables no code reads: remove them (or, for a variable only docker compose reads, move it to the "Compose file only" section)`);
  });

  it('the scanner finds each kind of read', () => {
    const names = new Set(reads.map((r) => r.name));
    // process.env.X, env.X, a literal indexed through a variable, requireServiceEnv('X'), ${X:-} in a script.
    for (const n of ['SWITCHYARD_DATA_DIR', 'REDIS_URL', 'SWITCHYARD_TWIN_MINER_PORT', 'SWITCHYARD_TEST_REDIS_URL', 'SWITCHYARD_REDIS_PORT']) assert.ok(names.has(n), `scanner missed ${n}`);
    assert.ok(!names.has('E_STORE_OPEN'), 'error codes are not variables');
  });
});
