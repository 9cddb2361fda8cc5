/**
 * Summary statistics of a Monte Carlo: percentiles, probabilities with their standard errors,
 * value at risk. Pure.
 */

export interface Percentiles {
  p5: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
}

/** Percentile q (0..100) of sorted values, linear between order statistics (numpy's default). */
function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * (q / 100);
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Percentiles of the values, NaN entries left out (a month with no debt service has no DSCR). */
export function percentiles(values: Float64Array): Percentiles {
  const finite = values.filter((v) => Number.isFinite(v)).sort();
  return {
    p5: quantileSorted(finite, 5),
    p25: quantileSorted(finite, 25),
    p50: quantileSorted(finite, 50),
    p75: quantileSorted(finite, 75),
    p95: quantileSorted(finite, 95),
  };
}

export interface Probability {
  p: number;
  /** Standard error of the estimate: √(p(1 − p)/n). */
  se: number;
}

export function probability(hits: number, n: number): Probability {
  const p = n > 0 ? hits / n : NaN;
  return { p, se: n > 0 ? Math.sqrt((p * (1 - p)) / n) : NaN };
}

export interface MeanEstimate {
  mean: number;
  variance: number;
  /** Standard error of the mean: √(variance / n). */
  seMean: number;
  /** Standard error of the sample variance: √((m4 − s⁴) / n). */
  seVariance: number;
}

export function meanAndVariance(values: ArrayLike<number>): MeanEstimate {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  const variance = m2 / (n - 1);
  m4 /= n;
  return { mean, variance, seMean: Math.sqrt(variance / n), seVariance: Math.sqrt(Math.max(0, m4 - variance * variance) / n) };
}

export interface ValueAtRisk {
  /** Confidence level, e.g. 0.95. */
  level: number;
  mean: number;
  /** The (1 − level) quantile of the value. */
  quantile: number;
  /** mean − quantile: how far below its mean the value falls with probability 1 − level. */
  var: number;
  /** mean − E[value | value ≤ quantile]. */
  cvar: number;
}

export function valueAtRisk(values: Float64Array, level = 0.95): ValueAtRisk {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sorted[i]!;
  mean /= n;
  const quantile = quantileSorted(sorted, (1 - level) * 100);
  let tail = 0;
  let k = 0;
  for (let i = 0; i < n && sorted[i]! <= quantile; i++) {
    tail += sorted[i]!;
    k++;
  }
  return { level, mean, quantile, var: mean - quantile, cvar: k > 0 ? mean - tail / k : 0 };
}

/** Standard normal CDF (erfc by Numerical Recipes' erfcc, relative error < 1.2e-7). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

// erfc by the continued-fraction / series pair (Numerical Recipes' erfcc, relative error < 1.2e-7).
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
