/**
 * Discounting, IRR and payback for monthly cash flows. Pure. Flow m (0-based) is discounted
 * by (1 + r)^m with r the monthly rate, so month 0 is undiscounted (the decision month).
 */

/** NPV of monthly flows at a monthly rate r (> −1). */
export function npvMonthly(flows: readonly number[], r: number): number {
  let v = 0;
  let factor = 1;
  const step = 1 / (1 + r);
  for (const f of flows) {
    v += f * factor;
    factor *= step;
  }
  return v;
}

export interface IrrResult {
  /** Annualised IRR, percent per year ((1 + monthly)^12 − 1); null when there is no single one. */
  irrPctPerYear: number | null;
  /** Why irrPctPerYear is null. */
  reason?: string;
}

// Annual rates searched: −99 %/yr … +10,000 %/yr, on a grid even in log(1 + R) so low rates,
// where real projects sit, get as many points as the extremes.
const MIN_GROWTH = 0.01;
const MAX_GROWTH = 101;
const GRID = 600;

/**
 * IRR by bracketing then bisection. A grid over the rate range finds every sign change of
 * NPV(rate); exactly one gives the IRR, none or several give null with the reason (flows that
 * change sign more than once — capex, lease, then a lease that ends before mining would — can
 * have several IRRs, and picking one silently would mislead).
 */
export function irrMonthly(flows: readonly number[]): IrrResult {
  const hasPos = flows.some((f) => f > 0);
  const hasNeg = flows.some((f) => f < 0);
  if (!hasPos || !hasNeg) return { irrPctPerYear: null, reason: 'the cash flows never change sign, so there is no IRR' };

  const monthlyAt = (logGrowth: number) => Math.exp(logGrowth / 12) - 1;
  const lo = Math.log(MIN_GROWTH);
  const hi = Math.log(MAX_GROWTH);
  const roots: number[] = [];
  let prevU = lo;
  let prevV = npvMonthly(flows, monthlyAt(lo));
  for (let i = 1; i <= GRID; i++) {
    const u = lo + ((hi - lo) * i) / GRID;
    const v = npvMonthly(flows, monthlyAt(u));
    if (prevV === 0) roots.push(prevU);
    else if (Math.sign(v) !== Math.sign(prevV) && v !== 0) roots.push(bisect(flows, monthlyAt, prevU, u, prevV));
    prevU = u;
    prevV = v;
  }
  if (prevV === 0) roots.push(prevU);

  const pct = roots.map((u) => (Math.exp(u) - 1) * 100);
  if (pct.length === 0) return { irrPctPerYear: null, reason: 'NPV does not reach zero for any rate from −99 % to 10,000 % a year' };
  if (pct.length > 1) {
    return { irrPctPerYear: null, reason: `NPV is zero at several rates (${pct.map((p) => `${p.toFixed(1)} %`).join(', ')}): the IRR is not unique` };
  }
  return { irrPctPerYear: pct[0]! };
}

function bisect(flows: readonly number[], monthlyAt: (u: number) => number, a: number, b: number, va: number): number {
  for (let i = 0; i < 200 && b - a > 1e-13; i++) {
    const mid = (a + b) / 2;
    const vm = npvMonthly(flows, monthlyAt(mid));
    if (vm === 0) return mid;
    if (Math.sign(vm) === Math.sign(va)) {
      a = mid;
      va = vm;
    } else b = mid;
  }
  return (a + b) / 2;
}

/**
 * Payback: the month (0-based) from which the cumulative undiscounted flow stays ≥ 0 to the
 * end; null when it ends negative. 0 when it never goes negative.
 */
export function paybackMonth(flows: readonly number[]): number | null {
  let cumulative = 0;
  let since: number | null = null;
  flows.forEach((f, m) => {
    cumulative += f;
    if (cumulative < 0) since = null;
    else if (since === null) since = m;
  });
  return since;
}
