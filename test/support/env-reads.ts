import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Environment variables the code reads, found by reading the source: `process.env.X`,
 * `env.X`, `env['X']` (env being any NodeJS.ProcessEnv), `requireServiceEnv('X')`,
 * `envInt(env, 'X')` (a helper with env in its name), the
 * UPPER_SNAKE string literals of a file that indexes the environment with a variable
 * (`process.env[name]`, `env[file.tokenEnv]`), and `${X:-default}` in shell scripts.
 */
export interface EnvRead {
  name: string;
  file: string;
  line: number;
}

const ROOTS = ['services', 'agents', 'simulations', 'dashboards', 'test', 'infra'];
// Error codes and Node's own error names are UPPER_SNAKE literals too; they are not variables.
const NOT_A_VARIABLE = /^(E|ERR|FST|SQLITE)_/;

function* sources(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // a root that does not exist yet has nothing to read
  }
  for (const n of names) {
    if (n === 'node_modules' || n.startsWith('.')) continue;
    const p = join(dir, n);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (/\.(ts|js|mjs|sh)$/.test(n) && !n.endsWith('.min.js')) yield p;
  }
}

export function envReads(roots: readonly string[] = ROOTS): EnvRead[] {
  const out: EnvRead[] = [];
  for (const root of roots) {
    for (const file of sources(root)) {
      // Comment lines (// …, /* …, * …) mention variables without reading them; blanked, so
      // line numbers stay right.
      const text = readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => (/^\s*(\/\/|\/\*|\*)/.test(l) || (file.endsWith('.sh') && /^\s*#/.test(l)) ? '' : l))
        .join('\n');
      const lineOf = (index: number) => text.slice(0, index).split('\n').length;
      const add = (name: string, index: number) => out.push({ name, file, line: lineOf(index) });
      if (file.endsWith('.sh')) {
        for (const m of text.matchAll(/\$\{([A-Z][A-Z0-9_]*):-/g)) add(m[1]!, m.index);
        continue;
      }
      for (const m of text.matchAll(/\b(?:process\.env|env)\??\.([A-Z][A-Z0-9_]*)\b/g)) add(m[1]!, m.index);
      for (const m of text.matchAll(/\b(?:process\.env|env)\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g)) add(m[1]!, m.index);
      // Helpers named for the environment: requireServiceEnv('X'), envInt(env, 'X').
      for (const m of text.matchAll(/\b[a-zA-Z]*[eE]nv[A-Za-z]*\(\s*(?:[\w.]+\s*,\s*)?['"`]([A-Z][A-Z0-9_]*)['"`]/g)) add(m[1]!, m.index);
      if (/\b(?:process\.env|env)\[\s*[a-z]/.test(text)) {
        for (const m of text.matchAll(/['"`]([A-Z][A-Z0-9]*_[A-Z0-9_]+)['"`]/g)) if (!NOT_A_VARIABLE.test(m[1]!)) add(m[1]!, m.index);
      }
    }
  }
  return out;
}

/** The variables documented in a Markdown file: first cells like `| \`NAME\` |`, with their section. */
export function documentedVariables(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const line of markdown.split('\n')) {
    const h = /^#{2,}\s+(.*)$/.exec(line);
    if (h) section = h[1]!;
    const row = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/.exec(line);
    if (row) out.set(row[1]!, section);
  }
  return out;
}
