import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The README's layout table: every folder it names exists, and every folder of the tree's first two levels is named. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const start = readme.indexOf('## Layout');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const rows = [...section.matchAll(/^\| `([^`]+\/)` \|/gm)].map((m) => m[1] as string);

const dirs = (path: string) =>
  readdirSync(join(ROOT, path))
    .filter((f) => !f.startsWith('.') && f !== 'node_modules' && f !== 'data' && f !== 'test-output' && statSync(join(ROOT, path, f)).isDirectory())
    .map((f) => `${path}${f}/`);

test('README layout: every folder in the table exists', () => {
  assert.ok(rows.length > 10, `only ${rows.length} rows`);
  for (const r of rows) assert.ok(existsSync(join(ROOT, r)), `the README names ${r}, which is not in the tree`);
});

test('README layout: each top-level folder, and each folder of services/ and agents/, has its row', () => {
  const tree = [...dirs(''), ...dirs('services/'), ...dirs('agents/')].filter((d) => d !== 'shared/');
  for (const d of tree) assert.ok(rows.includes(d), `${d} is in the tree but not in the README's layout table`);
});

test("README layout: the other roots' folders are named in their row", () => {
  for (const root of ['simulations/', 'dashboards/', 'infra/', 'test/']) {
    const row = section.split('\n').find((l) => l.startsWith(`| \`${root}\``));
    assert.ok(row, `${root} row`);
    for (const d of dirs(root)) {
      const name = d.slice(root.length);
      assert.ok(row.includes(`\`${name}\``) || row.includes(`${name.slice(0, -1)}/`), `${d} is not named in the ${root} row`);
    }
  }
});
