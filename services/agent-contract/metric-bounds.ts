/**
 * What a reading's metric may hold, by the unit suffix of its name (batch-schema.ts names the
 * units). Far outside any real device, yet small enough that summing every device of the
 * largest site stays finite: a value of 1e308 would make the site's power Infinity. A value
 * outside its bound rejects the reading (the control plane counts it), never the batch.
 */

export interface MetricBound {
  min: number;
  max: number;
}

/** Longest suffix first wins (`_wh` before `_h`, `_mhz` before `_hz`). */
const BY_SUFFIX: ReadonlyArray<[suffix: string, bound: MetricBound]> = [
  ['_var', { min: -1e9, max: 1e9 }],
  ['_va', { min: -1e9, max: 1e9 }],
  ['_wh', { min: -1e15, max: 1e15 }],
  ['_w', { min: -1e9, max: 1e9 }],
  ['_hs', { min: 0, max: 1e17 }],
  ['_c', { min: -100, max: 500 }],
  ['_pct', { min: -1000, max: 1000 }],
  ['_mhz', { min: 0, max: 1e6 }],
  ['_hz', { min: 0, max: 1e10 }],
  ['_rpm', { min: 0, max: 1e6 }],
  ['_v', { min: -1e7, max: 1e7 }],
  ['_a', { min: -1e6, max: 1e6 }],
  ['_s', { min: -1e12, max: 1e12 }],
  ['_bytes', { min: 0, max: 1e18 }],
];

/** Anything without a known unit suffix (power_factor, counts). */
export const DEFAULT_METRIC_BOUND: MetricBound = { min: -1e15, max: 1e15 };

export function metricBound(name: string): MetricBound {
  for (const [suffix, bound] of BY_SUFFIX) if (name.endsWith(suffix)) return bound;
  return DEFAULT_METRIC_BOUND;
}

/** The first metric outside its bound, or null when all are inside. */
export function metricOutOfBounds(metrics: Readonly<Record<string, number>>): { name: string; value: number; bound: MetricBound } | null {
  for (const name in metrics) {
    const value = metrics[name]!;
    const bound = metricBound(name);
    if (!(value >= bound.min && value <= bound.max)) return { name, value, bound };
  }
  return null;
}
