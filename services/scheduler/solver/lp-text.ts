/**
 * Writes a model in CPLEX LP format, the text HiGHS reads. Names are the caller's; each
 * constraint's name is how an infeasibility (IIS) or a binding row is traced back to what
 * it means, so callers name rows after the rule they encode (e.g. `imp_t12`).
 */

export type Term = readonly [coefficient: number, variable: string];

const TERMS_PER_LINE = 8;

export class LpText {
  private readonly objective: Term[] = [];
  private constant = 0;
  private readonly rows: string[] = [];
  private readonly bounds: string[] = [];
  private readonly integers: string[] = [];
  private readonly binaries: string[] = [];

  constructor(private readonly sense: 'max' | 'min') {}

  addObjective(coefficient: number, variable: string): void {
    if (coefficient !== 0) this.objective.push([coefficient, variable]);
  }

  addObjectiveConstant(value: number): void {
    this.constant += value;
  }

  get objectiveConstant(): number {
    return this.constant;
  }

  /** name: Σ terms (<= | >= | =) rhs. Terms with a zero coefficient are dropped. */
  addRow(name: string, terms: readonly Term[], op: '<=' | '>=' | '=', rhs: number): void {
    const kept = terms.filter(([c]) => c !== 0);
    if (kept.length === 0) {
      if (!holds(0, op, rhs)) throw new RangeError(`LP row ${name}: 0 ${op} ${rhs} can never hold`);
      return;
    }
    this.rows.push(` ${name}: ${expression(kept)} ${op} ${num(rhs)}`);
  }

  bound(variable: string, lower: number, upper: number): void {
    const lo = lower === -Infinity ? '-inf' : num(lower);
    const hi = upper === Infinity ? '+inf' : num(upper);
    this.bounds.push(` ${lo} <= ${variable} <= ${hi}`);
  }

  integer(variable: string): void {
    this.integers.push(variable);
  }

  binary(variable: string): void {
    this.binaries.push(variable);
  }

  /** The model; `relaxed` drops integrality (used to find an IIS, which HiGHS computes on LPs). */
  toString(relaxed = false): string {
    const out = [this.sense === 'max' ? 'Maximize' : 'Minimize', ` obj: ${this.objective.length ? expression(this.objective) : '0 dummy'}`];
    out.push('Subject To', ...this.rows, 'Bounds', ...this.bounds);
    if (!this.objective.length) out.push(' dummy = 0');
    if (!relaxed) {
      if (this.integers.length) out.push('Generals', ...chunk(this.integers));
      if (this.binaries.length) out.push('Binaries', ...chunk(this.binaries));
    } else {
      for (const b of this.binaries) out.push(` 0 <= ${b} <= 1`);
    }
    out.push('End', '');
    return out.join('\n');
  }
}

function holds(lhs: number, op: '<=' | '>=' | '=', rhs: number): boolean {
  const eps = 1e-9;
  if (op === '<=') return lhs <= rhs + eps;
  if (op === '>=') return lhs >= rhs - eps;
  return Math.abs(lhs - rhs) <= eps;
}

function expression(terms: readonly Term[]): string {
  const parts: string[] = [];
  terms.forEach(([c, v], i) => {
    const sign = c < 0 ? '-' : '+';
    const mag = Math.abs(c);
    const body = mag === 1 ? v : `${num(mag)} ${v}`;
    parts.push(i === 0 ? (c < 0 ? `- ${body}` : body) : `${sign} ${body}`);
    if ((i + 1) % TERMS_PER_LINE === 0) parts.push('\n  ');
  });
  return parts.join(' ').replace(/ \n {2} /g, '\n   ');
}

/** Numbers in full precision, never in a form the LP reader misreads (no "1e+21" surprises for sane inputs). */
function num(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`LP coefficient must be finite, got ${x}`);
  return String(x);
}

function chunk(names: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < names.length; i += 20) lines.push(' ' + names.slice(i, i + 20).join(' '));
  return lines;
}
