import { readFileSync } from 'node:fs';
import type { Static, TSchema } from '@sinclair/typebox';
import type { ErrorObject } from 'ajv';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ContextError } from '../lib/errors.ts';
import { describeIssues, validator, type SchemaIssue } from './schema.ts';
import { SiteFile } from './site-schema.ts';
import { crossCheckSite, type Finding, type Path } from './site-checks.ts';
import { defaultCatalogs, type Catalogs } from './site.ts';

/**
 * Reads a site YAML file into a validated SiteFile. Every problem names the file, the line and
 * column, and the key path (`infra/sites/bad.yaml:14:7: blocks[2].capacityMw: must be > 0`),
 * and all problems are reported at once. Pure apart from reading the file: nothing is written,
 * nothing is connected to.
 */

export interface SiteProblem {
  file: string;
  /** 1-based; 0 when the problem is the file itself (cannot be read). */
  line: number;
  /** 1-based. */
  col: number;
  /** e.g. blocks[2].capacityMw; "(root)" for the document itself. */
  keyPath: string;
  message: string;
  severity: 'error' | 'warning';
}

export function formatProblem(p: SiteProblem): string {
  const at = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file; // line 0: the file itself (unreadable)
  return `${at}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.keyPath}: ${p.message}`;
}

export class SiteFileError extends ContextError {
  readonly file: string;
  readonly problems: SiteProblem[];
  /** `what` names the kind of file in the message (a company file reuses this machinery). */
  constructor(file: string, problems: SiteProblem[], options?: { cause?: unknown }, what = 'site file') {
    const n = problems.length;
    super('E_SITE_FILE', `${what} ${file} has ${n} problem${n === 1 ? '' : 's'}:\n${problems.map(formatProblem).join('\n')}`, options);
    this.name = 'SiteFileError';
    this.file = file;
    this.problems = problems;
  }
}

export interface ParsedSite {
  site: SiteFile;
  /** Legal but worth a look (e.g. block capacities oversubscribe the import limit). */
  warnings: SiteProblem[];
}

/** Reads and validates a site file; throws SiteFileError. */
export function loadSiteFile(path: string, catalogs?: Catalogs): SiteFile {
  return parseSiteWithWarnings(readSiteText(path), path, catalogs).site;
}

/** Validates site YAML text; `fileName` is used in messages only. Throws SiteFileError. */
export function parseSite(text: string, fileName: string, catalogs?: Catalogs): SiteFile {
  return parseSiteWithWarnings(text, fileName, catalogs).site;
}

export function parseSiteWithWarnings(text: string, fileName: string, catalogs: Catalogs = defaultCatalogs()): ParsedSite {
  const { value, warnings } = parseYamlFile(text, fileName, SiteFile, (v) => crossCheckSite(v, catalogs));
  return { site: value, warnings };
}

/**
 * The site loader's machinery for any YAML file with a TypeBox schema (the company file uses
 * it): YAML syntax, schema (unknown keys rejected, defaults filled) and cross-checks, every
 * problem named by file, line, column and key path. Throws SiteFileError (`what` names the file kind).
 */
export function parseYamlFile<S extends TSchema>(
  text: string,
  fileName: string,
  schema: S,
  crossCheck: (value: Static<S>) => Finding[] = () => [],
  what = 'site file',
): { value: Static<S>; warnings: SiteProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const where = new Locator(doc, lineCounter, fileName);

  if (doc.errors.length > 0) {
    // An unclosed bracket is only noticed at the end of the text; the last line with content
    // is where the reader has to look.
    const contentEnd = Math.max(0, text.trimEnd().length - 1);
    throw new SiteFileError(
      fileName,
      doc.errors.map((e) => {
        const offset = Math.min(e.pos[0], contentEnd);
        return { ...where.offset(offset), keyPath: keyPath(where.pathAt(offset)), message: `${e.message} [${e.code}]`, severity: 'error' as const };
      }),
      undefined,
      what,
    );
  }

  const value: unknown = doc.toJS();
  const validate = validator(schema);
  // The validator fills defaults in place (overheadFactor, port, ...), which is what callers want.
  if (!validate(value)) {
    const issues = schemaIssues(validate.errors ?? [], value);
    throw new SiteFileError(fileName, sortProblems(issues.map((i) => where.issue(i))), undefined, what);
  }

  const findings = crossCheck(value).map((f) => where.finding(f));
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) throw new SiteFileError(fileName, sortProblems(findings), undefined, what);
  return { value, warnings: sortProblems(findings) };
}

/** Reads a file's text; an unreadable file is a SiteFileError naming it. */
export function readYamlText(path: string, what = 'site file'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new SiteFileError(path, [{ file: path, line: 0, col: 0, keyPath: '(file)', message: `cannot read: ${reason}`, severity: 'error' }], { cause: err }, what);
  }
}

function readSiteText(path: string): string {
  return readYamlText(path);
}

function sortProblems(ps: SiteProblem[]): SiteProblem[] {
  return [...ps].sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * Ajv reports a failed union (anyOf) as one error per branch plus a summary, which reads as
 * noise ("must be equal to constant" × 5). Collapse them: a union of literals becomes
 * "must be one of ...", and a union of objects told apart by `kind` (contracts) keeps only the
 * errors of the branch whose kind the value names.
 */
export function schemaIssues(errors: readonly ErrorObject[], data: unknown): SchemaIssue[] {
  let kept = [...errors];
  const extra: SchemaIssue[] = [];
  const unions = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const u of unions) {
    if (!kept.includes(u)) continue; // inside a branch already dropped
    const prefix = `${u.schemaPath}/`;
    // Every item of an array shares the same schemaPath; the instancePath tells them apart.
    const inner = kept.filter(
      (e) => e.schemaPath.startsWith(prefix) && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`)),
    );
    kept = kept.filter((e) => e !== u && !inner.includes(e));
    const branches = schemaAt(u.schemaPath) as { const?: unknown; properties?: { kind?: { const?: unknown } } }[] | undefined;
    if (!Array.isArray(branches)) {
      kept.push(u, ...inner);
      continue;
    }
    if (branches.every((b) => 'const' in b)) {
      extra.push({ path: u.instancePath, message: `must be one of ${branches.map((b) => JSON.stringify(b.const)).join(', ')}` });
      continue;
    }
    const kinds = branches.map((b) => b.properties?.kind?.const);
    if (kinds.every((k) => k !== undefined)) {
      const kind = (valueAt(data, u.instancePath) as { kind?: unknown } | undefined)?.kind;
      const idx = kinds.findIndex((k) => k === kind);
      if (kind === undefined) extra.push({ path: `${u.instancePath}/kind`, message: 'missing required key "kind"' });
      else if (idx < 0) extra.push({ path: `${u.instancePath}/kind`, message: `must be one of ${kinds.map((k) => JSON.stringify(k)).join(', ')}` });
      else kept.push(...inner.filter((e) => e.schemaPath.startsWith(`${prefix}${idx}/`)));
      continue;
    }
    kept.push(u, ...inner);
  }
  const all = [...describeIssues(kept), ...extra];
  const seen = new Set<string>();
  return all.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function schemaAt(schemaPath: string): unknown {
  let node: unknown = SiteFile;
  for (const seg of schemaPath.replace(/^#\/?/, '').split('/').filter((s) => s !== '')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[unescapePointer(seg)];
  }
  return node;
}

function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const seg of splitPointer(pointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node;
}

function splitPointer(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map(unescapePointer);
}

function unescapePointer(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Turns JSON paths into file:line:col by walking the YAML node tree. */
class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly file: string,
  ) {}

  offset(offset: number): { file: string; line: number; col: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, col };
  }

  issue(i: SchemaIssue): SiteProblem {
    const path = splitPointer(i.path).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    // An unknown key is best shown at the key itself; its value may span many lines.
    const at = i.message.startsWith('unknown key') ? 'key' : undefined;
    return { ...this.at(path, at), keyPath: keyPath(path), message: i.message, severity: 'error' };
  }

  finding(f: Finding): SiteProblem {
    return { ...this.at(f.path, f.at), keyPath: keyPath(f.path), message: f.message, severity: f.severity };
  }

  /**
   * Position of the node at `path`, or of the deepest existing ancestor when the path goes
   * past what the file holds (a missing key is reported where its parent starts).
   */
  private at(path: Path, target?: 'key'): { file: string; line: number; col: number } {
    let node: unknown = this.doc.contents;
    let pos = 0;
    for (let i = 0; i < path.length; i++) {
      node = this.deref(node);
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
        if (!pair) break;
        const keyStart = rangeStart(pair.key);
        if (last && target === 'key' && keyStart !== undefined) return this.offset(keyStart);
        // A key with an empty value (`capacityMw:`) has no value node: point at the key.
        node = pair.value ?? pair.key;
        if (pair.value === null || rangeStart(pair.value) === undefined || isEmptyScalar(pair.value)) {
          if (keyStart !== undefined) pos = keyStart;
          break;
        }
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        node = node.items[seg];
      } else {
        break;
      }
      const start = rangeStart(node);
      if (start !== undefined) pos = start;
    }
    if (path.length === 0) pos = rangeStart(this.doc.contents) ?? 0;
    return this.offset(pos);
  }

  /** Key path of the innermost node that contains `offset` (for YAML syntax errors). */
  pathAt(offset: number): Path {
    const path: (string | number)[] = [];
    const within = (n: unknown) => {
      const r = n && typeof n === 'object' && 'range' in n ? (n as Node).range : undefined;
      return r !== undefined && r !== null && r[0] <= offset && offset <= r[2];
    };
    let node: unknown = this.doc.contents;
    for (;;) {
      if (isMap(node)) {
        // findLast: with a duplicate key the second pair is the one the error is about.
        const pair = node.items.findLast((p) => within(p.key) || within(p.value));
        if (!pair) break;
        path.push(keyText(pair.key));
        node = pair.value;
      } else if (isSeq(node)) {
        const k = node.items.findIndex(within);
        if (k < 0) break;
        path.push(k);
        node = node.items[k];
      } else break;
    }
    return path;
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }
}

function rangeStart(node: unknown): number | undefined {
  return node && typeof node === 'object' && 'range' in node ? (node as Node).range?.[0] : undefined;
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && node.range !== undefined && node.range !== null && node.range[0] === node.range[1];
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** ['blocks', 2, 'capacityMw'] → blocks[2].capacityMw */
export function keyPath(path: Path): string {
  if (path.length === 0) return '(root)';
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      if (/^[A-Za-z_$][\w$-]*$/.test(seg)) return i === 0 ? seg : `.${seg}`;
      return `[${JSON.stringify(seg)}]`;
    })
    .join('');
}
