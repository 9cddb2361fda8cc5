// Project lint beyond the type checker: habits the style guide asks for that tsc cannot see.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkImports } from './lint-imports.ts';

const roots = ['services', 'agents', 'simulations', 'dashboards', 'infra', 'test'];
const rules: Array<{ name: string; pattern: RegExp }> = [
  { name: 'silent catch (empty block)', pattern: /catch\s*(\([^)]*\))?\s*\{\s*\}/ },
  { name: 'promise .catch that swallows', pattern: /\.catch\(\s*\(\s*\)\s*=>\s*(\{\s*\}|undefined|null)\s*\)/ },
  { name: 'focused test (.only)', pattern: /\b(test|it|describe)\.only\(/ },
];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|js)$/.test(name) && !name.endsWith('.min.js')) yield path;
  }
}

let problems = 0;
for (const root of roots) {
  let entries: Generator<string>;
  try {
    statSync(root);
    entries = files(root);
  } catch {
    continue; // a root folder that does not exist yet has nothing to lint
  }
  for (const file of entries) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const rule of rules) {
        if (rule.pattern.test(line)) {
          problems++;
          console.error(`${relative('.', file)}:${i + 1}: ${rule.name}: ${line.trim()}`);
        }
      }
    });
  }
}
for (const problem of checkImports('.')) {
  problems++;
  console.error(problem.message);
}
if (problems > 0) {
  console.error(`lint: ${problems} problem(s)`);
  process.exit(1);
}
console.log('lint: clean');
