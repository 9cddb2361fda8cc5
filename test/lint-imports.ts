// Import rules: which part of the tree may import which, and no import circles.
// Imports are read with TypeScript's own scanner (typescript/unstable/ast/scanner: TypeScript 7
// ships its parser only in the native binary, but the scanner is JavaScript), so comments,
// strings, template literals and regular expressions that mention `import` are not imports.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { LanguageVariant, SyntaxKind } from 'typescript/unstable/ast';
import { createScanner, tokenIsIdentifierOrKeyword } from 'typescript/unstable/ast/scanner';

/**
 * Parts of the tree, most specific first: a file belongs to the first part whose folder or
 * file holds it.
 */
export const PARTS: ReadonlyArray<{ part: string; path: string }> = [
  { part: 'lib', path: 'services/lib/' },
  { part: 'agent-contract', path: 'services/agent-contract/' },
  { part: 'domain', path: 'services/domain/' },
  { part: 'wiring', path: 'services/platform/' },
  { part: 'wiring', path: 'services/cli/commands/twin.ts' },
  { part: 'wiring', path: 'services/cli/commands/agent.ts' },
  { part: 'wiring', path: 'services/cli/commands/probe.ts' },
  { part: 'cli', path: 'services/cli/' },
  { part: 'services', path: 'services/' },
  { part: 'agents', path: 'agents/' },
  { part: 'finance-sim', path: 'simulations/finance/' },
  { part: 'simulations', path: 'simulations/' },
  { part: 'dashboards', path: 'dashboards/' },
  { part: 'test', path: 'test/' },
  { part: 'infra', path: 'infra/' },
];

/**
 * The allowed directions: a file of the part on the left may import files of the parts on
 * the right (and nothing else of this tree; packages are not checked). `wiring` is the one
 * place in services/ that starts a twin or an agent or runs an agent driver: the platform wiring
 * and the child processes (services/platform/, children in services/platform/children/)
 * and the CLI commands `twin`, `agent` and `probe` (which runs one agent driver against one
 * device). The rest of services/ never imports agents/ or simulations/, and only the CLI
 * (`cli`: the rest of services/cli/) imports the wiring. `finance-sim` (simulations/finance/, the
 * Monte Carlo) runs the finance model of services/ on many paths, so it may import services/;
 * the CLI and the wiring run it, and no other service imports it.
 */
export const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  lib: ['lib'],
  'agent-contract': ['agent-contract', 'lib'],
  domain: ['domain', 'lib'],
  services: ['services', 'domain', 'agent-contract', 'lib'],
  cli: ['cli', 'wiring', 'finance-sim', 'services', 'domain', 'agent-contract', 'lib'],
  wiring: ['wiring', 'cli', 'services', 'domain', 'agent-contract', 'lib', 'agents', 'simulations', 'finance-sim'],
  'finance-sim': ['finance-sim', 'services', 'domain', 'agent-contract', 'lib'],
  agents: ['agents', 'agent-contract', 'domain', 'lib'],
  simulations: ['simulations', 'agents', 'agent-contract', 'domain', 'lib'],
  dashboards: ['dashboards'],
  infra: ['infra', 'services', 'cli', 'wiring', 'domain', 'agent-contract', 'lib', 'agents', 'simulations', 'finance-sim'],
  test: ['test', 'services', 'cli', 'wiring', 'domain', 'agent-contract', 'lib', 'agents', 'simulations', 'finance-sim', 'dashboards', 'infra'],
};

export const ROOTS = ['services', 'agents', 'simulations', 'dashboards', 'infra', 'test'];

export interface ImportSite {
  specifier: string;
  line: number;
}

export interface ImportProblem {
  rule: 'direction' | 'circle';
  files: string[];
  message: string;
}

export function partOf(file: string): string | undefined {
  const posix = file.split(sep).join('/');
  return PARTS.find((p) => (p.path.endsWith('/') ? posix.startsWith(p.path) : posix === p.path))?.part;
}

// After these tokens a `/` divides; anywhere else it starts a regular expression. Words count
// as operands (a variable may be called `type` or `from`) except the keywords after which an
// expression starts.
const ENDS_OPERAND = new Set<SyntaxKind>([
  SyntaxKind.NumericLiteral,
  SyntaxKind.BigIntLiteral,
  SyntaxKind.StringLiteral,
  SyntaxKind.NoSubstitutionTemplateLiteral,
  SyntaxKind.TemplateTail,
  SyntaxKind.RegularExpressionLiteral,
  SyntaxKind.CloseParenToken,
  SyntaxKind.CloseBracketToken,
  SyntaxKind.CloseBraceToken,
  SyntaxKind.PlusPlusToken,
  SyntaxKind.MinusMinusToken,
  SyntaxKind.PrivateIdentifier,
]);
const STARTS_EXPRESSION = new Set<SyntaxKind>([
  SyntaxKind.ReturnKeyword,
  SyntaxKind.TypeOfKeyword,
  SyntaxKind.InstanceOfKeyword,
  SyntaxKind.InKeyword,
  SyntaxKind.OfKeyword,
  SyntaxKind.NewKeyword,
  SyntaxKind.DeleteKeyword,
  SyntaxKind.VoidKeyword,
  SyntaxKind.ThrowKeyword,
  SyntaxKind.CaseKeyword,
  SyntaxKind.DoKeyword,
  SyntaxKind.ElseKeyword,
  SyntaxKind.YieldKeyword,
  SyntaxKind.AwaitKeyword,
]);
const endsOperand = (kind: SyntaxKind | undefined) =>
  kind !== undefined && (ENDS_OPERAND.has(kind) || (tokenIsIdentifierOrKeyword(kind) && !STARTS_EXPRESSION.has(kind)));

// Tokens that may stand between `import`/`export` and `from` in a declaration.
const CLAUSE = new Set<SyntaxKind>([
  SyntaxKind.Identifier,
  SyntaxKind.OpenBraceToken,
  SyntaxKind.CloseBraceToken,
  SyntaxKind.CommaToken,
  SyntaxKind.AsteriskToken,
  SyntaxKind.AsKeyword,
  SyntaxKind.TypeKeyword,
  SyntaxKind.DefaultKeyword,
  SyntaxKind.StringLiteral, // import { "a b" as c }
]);

/** Every module specifier a file names: import/export … from, side-effect import, import(). */
export function importsOf(text: string): ImportSite[] {
  const tokens: Array<{ kind: SyntaxKind; value: string; pos: number }> = [];
  const scanner = createScanner(true, LanguageVariant.Standard, text);
  const braces: Array<'brace' | 'template'> = [];
  let prev: SyntaxKind | undefined;
  for (let kind = scanner.scan(); kind !== SyntaxKind.EndOfFile; kind = scanner.scan()) {
    if ((kind === SyntaxKind.SlashToken || kind === SyntaxKind.SlashEqualsToken) && !endsOperand(prev)) {
      kind = scanner.reScanSlashToken();
    } else if (kind === SyntaxKind.TemplateHead || kind === SyntaxKind.OpenBraceToken) {
      braces.push(kind === SyntaxKind.OpenBraceToken ? 'brace' : 'template');
    } else if (kind === SyntaxKind.CloseBraceToken) {
      if (braces.pop() === 'template') {
        kind = scanner.reScanTemplateToken(false);
        if (kind === SyntaxKind.TemplateMiddle) braces.push('template');
      }
    }
    tokens.push({ kind, value: scanner.getTokenValue(), pos: scanner.getTokenStart() });
    prev = kind;
  }
  const lineOf = (pos: number) => text.slice(0, pos).split('\n').length;
  const found: ImportSite[] = [];
  const at = (i: number) => tokens[i]?.kind;
  for (let i = 0; i < tokens.length; i++) {
    const kind = at(i);
    if (kind !== SyntaxKind.ImportKeyword && kind !== SyntaxKind.ExportKeyword) continue;
    if (i > 0 && at(i - 1) === SyntaxKind.DotToken) continue; // x.import
    if (kind === SyntaxKind.ImportKeyword && at(i + 1) === SyntaxKind.OpenParenToken && at(i + 2) === SyntaxKind.StringLiteral) {
      found.push({ specifier: tokens[i + 2]!.value, line: lineOf(tokens[i + 2]!.pos) });
      continue;
    }
    if (kind === SyntaxKind.ImportKeyword && at(i + 1) === SyntaxKind.StringLiteral) {
      found.push({ specifier: tokens[i + 1]!.value, line: lineOf(tokens[i + 1]!.pos) });
      continue;
    }
    for (let j = i + 1; j < tokens.length; j++) {
      const k = at(j)!;
      if (k === SyntaxKind.FromKeyword && at(j + 1) === SyntaxKind.StringLiteral) {
        found.push({ specifier: tokens[j + 1]!.value, line: lineOf(tokens[j + 1]!.pos) });
        break;
      }
      if (k === SyntaxKind.FromKeyword) continue; // import { from } from '…'
      if (!CLAUSE.has(k)) break; // export const …, export function …, export { a };
    }
  }
  return found;
}

function* sourceFiles(root: string, dir: string): Generator<string> {
  for (const name of readdirSync(join(root, dir))) {
    if (name === 'node_modules' || name === 'vendor' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) yield* sourceFiles(root, path);
    else if (/\.(ts|js|mjs)$/.test(name) && !name.endsWith('.min.js') && !name.endsWith('.d.ts')) yield path;
  }
}

/** The import graph of the tree under `root`: file → the files of this tree it imports. */
export function importGraph(root: string): Map<string, Array<{ to: string; line: number }>> {
  const files = ROOTS.flatMap((r) => {
    try {
      statSync(join(root, r));
    } catch {
      return []; // a root folder that does not exist (yet) has no imports
    }
    return [...sourceFiles(root, r)];
  }).map((f) => f.split(sep).join('/'));
  const known = new Set(files);
  const graph = new Map<string, Array<{ to: string; line: number }>>();
  for (const file of files) {
    const edges: Array<{ to: string; line: number }> = [];
    for (const site of importsOf(readFileSync(join(root, file), 'utf8'))) {
      if (!site.specifier.startsWith('.')) continue; // a package or a URL
      const to = relative(root, resolve(root, dirname(file), site.specifier)).split(sep).join('/');
      const target = known.has(to) ? to : known.has(to.replace(/\.js$/, '.ts')) ? to.replace(/\.js$/, '.ts') : undefined;
      if (target !== undefined) edges.push({ to: target, line: site.line });
    }
    graph.set(file, edges);
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself). */
function circles(graph: Map<string, Array<{ to: string }>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  // Iterative Tarjan: the tree is deep enough that recursion is a risk nobody needs.
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++]!.to;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = edges.some((e) => e.to === frame.node);
        if (component.length > 1 || selfLoop) out.push(component.sort());
      }
    }
  }
  return out;
}

/** One concrete path round a circle, from its first file back to it: a → b → a. */
function cycleThrough(graph: Map<string, Array<{ to: string }>>, component: string[]): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const { to } of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let n: string | undefined = node; n !== undefined && n !== start; n = from.get(n)) path.splice(1, 0, n);
        return [...path, start];
      }
      if (!from.has(to)) {
        from.set(to, node);
        queue.push(to);
      }
    }
  }
  return [...component, start];
}

export function checkImports(root: string): ImportProblem[] {
  const graph = importGraph(root);
  const problems: ImportProblem[] = [];
  for (const [file, edges] of graph) {
    const part = partOf(file);
    if (part === undefined) continue;
    const allowed = MAY_IMPORT[part] ?? [];
    for (const { to, line } of edges) {
      const target = partOf(to);
      if (target === undefined || allowed.includes(target)) continue;
      problems.push({
        rule: 'direction',
        files: [file, to],
        message: `${file}:${line}: ${part} may not import ${target} (${to}); ${part} may import only ${allowed.join(', ')}`,
      });
    }
  }
  for (const component of circles(graph)) {
    const path = cycleThrough(graph, component);
    problems.push({ rule: 'circle', files: component, message: `import circle: ${path.join(' → ')}` });
  }
  return problems;
}
