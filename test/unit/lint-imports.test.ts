import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkImports, importsOf, partOf } from '../lint-imports.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'switchyard-lint-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('import rules: a planted wrong-way import and a circle fail, each named', (t) => {
  const root = tree({
    'services/lib/strict.ts': 'export const Strict = 1;\n',
    'services/agent-contract/protocol.ts': "import { Strict } from '../lib/strict.ts';\nexport const P = Strict;\n",
    // the violation: the domain reaches into the agent
    'services/domain/site.ts': "import { poll } from '../../agents/poller.ts';\nexport const site = poll;\n",
    'agents/poller.ts': "import { P } from '../services/agent-contract/protocol.ts';\nexport const poll = P;\n",
    // the circle: a → b → c → a, one leg type-only and one a re-export
    'agents/drivers/x/a.ts': "import type { B } from './b.ts';\nexport type A = B;\n",
    'agents/drivers/x/b.ts': "export { c as B } from './c.ts';\n",
    'agents/drivers/x/c.ts': "import './a.ts';\nexport const c = 1;\n",
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));

  const problems = checkImports(root);
  assert.equal(problems.length, 2, problems.map((p) => p.message).join('\n'));
  const direction = problems.find((p) => p.rule === 'direction');
  assert.deepEqual(direction?.files, ['services/domain/site.ts', 'agents/poller.ts']);
  assert.match(direction?.message ?? '', /^services\/domain\/site\.ts:1: domain may not import agents/);
  const circle = problems.find((p) => p.rule === 'circle');
  assert.deepEqual(circle?.files, ['agents/drivers/x/a.ts', 'agents/drivers/x/b.ts', 'agents/drivers/x/c.ts']);
  assert.equal(circle?.message, 'import circle: agents/drivers/x/a.ts → agents/drivers/x/b.ts → agents/drivers/x/c.ts → agents/drivers/x/a.ts');
});

test('import rules: the same tree without the violation and the circle passes', (t) => {
  const root = tree({
    'services/lib/strict.ts': 'export const Strict = 1;\n',
    'services/agent-contract/protocol.ts': "import { Strict } from '../lib/strict.ts';\nexport const P = Strict;\n",
    'services/domain/site.ts': "import { Strict } from '../lib/strict.ts';\nexport const site = Strict;\n",
    'agents/poller.ts': "import { P } from '../services/agent-contract/protocol.ts';\nimport { site } from '../services/domain/site.ts';\nexport const poll = [P, site];\n",
    'services/platform/platform.ts': "import { poll } from '../../agents/poller.ts';\nexport const start = poll;\n",
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(checkImports(root), []);
});

test('import rules: services outside the wiring may not import agents/ or simulations/', (t) => {
  const root = tree({
    'agents/poller.ts': 'export const poll = 1;\n',
    'simulations/site-twin/twin.ts': 'export const twin = 1;\n',
    'services/curtailment/engine.ts': "import { poll } from '../../agents/poller.ts';\nconst twin = await import('../../simulations/site-twin/twin.ts');\nexport const e = [poll, twin];\n",
    'services/platform/children/twin-child.ts': "import { twin } from '../../../simulations/site-twin/twin.ts';\nexport const t = twin;\n",
    'services/platform/platform.ts': "import { poll } from '../../agents/poller.ts';\nexport const startPlatform = poll;\n",
    'services/cli/commands/start.ts': "import { startPlatform } from '../../platform/platform.ts';\nexport const start = startPlatform;\n",
    // Reaching the agent through the wiring is still reaching it.
    'services/api/app.ts': "import { startPlatform } from '../platform/platform.ts';\nexport const app = startPlatform;\n",
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const messages = checkImports(root).map((p) => p.message);
  assert.deepEqual(messages.map((m) => m.split(':').slice(0, 2).join(':')).sort(), ['services/api/app.ts:1', 'services/curtailment/engine.ts:1', 'services/curtailment/engine.ts:2']);
  assert.ok(messages.some((m) => /engine\.ts:2: services may not import simulations/.test(m)));
  assert.ok(messages.some((m) => /app\.ts:1: services may not import wiring/.test(m)));
});

test('importsOf reads import and export declarations, not strings, comments, templates or regular expressions', () => {
  const text = [
    "import { a } from './a.ts';",
    "import type { B } from './b.ts';",
    "import './side-effect.ts';",
    "export * from './star.ts';",
    "export { c as d, type E } from './named.ts';",
    "export const notAnImport = 'import x from \"./string.ts\"';",
    "// import y from './comment.ts';",
    '/* export * from "./block-comment.ts" */',
    "const re = /from '.\\/regex.ts'/;",
    "const tpl = `import z from './template.ts' ${re.source} from './template2.ts'`;",
    "const lazy = await import('./lazy.ts');",
    "export { notAnImport as renamed };",
    "const half = 1 / 2; const other = 3 / 4;",
    "import { from } from './from.ts';",
    "const type = 4; const q = type / 2; const w = '/'; import('./after-division.ts');",
    "function f(x: string) { return /'/.test(x) ? 1 : 2; } export * from './after-regex.ts';",
  ].join('\n');
  assert.deepEqual(importsOf(text), [
    { specifier: './a.ts', line: 1 },
    { specifier: './b.ts', line: 2 },
    { specifier: './side-effect.ts', line: 3 },
    { specifier: './star.ts', line: 4 },
    { specifier: './named.ts', line: 5 },
    { specifier: './lazy.ts', line: 11 },
    { specifier: './from.ts', line: 14 },
    { specifier: './after-division.ts', line: 15 },
    { specifier: './after-regex.ts', line: 16 },
  ]);
});

test('partOf puts the wiring exceptions before the rest of services/', () => {
  assert.equal(partOf('services/platform/platform.ts'), 'wiring');
  assert.equal(partOf('services/platform/children/agent-child.ts'), 'wiring');
  assert.equal(partOf('services/cli/commands/twin.ts'), 'wiring');
  assert.equal(partOf('services/cli/commands/plan.ts'), 'cli');
  assert.equal(partOf('services/curtailment/engine.ts'), 'services');
  assert.equal(partOf('services/agent-contract/protocol.ts'), 'agent-contract');
  assert.equal(partOf('services/lib/strict.ts'), 'lib');
  assert.equal(partOf('services/domain/site.ts'), 'domain');
});
