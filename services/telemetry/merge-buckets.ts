import type { Aggregate, Series } from './history.ts';

/** One series' share of one bucket: `v` is its sum (mean, with `n` points), min, max, sum or last value (at `at`). */
export interface BucketPart {
  bucket: number;
  v: number;
  n?: number;
  at?: number;
}

interface Acc {
  v: number;
  n: number;
  at: number;
}

/**
 * Combines per-series bucket parts into one series per group, for the query's aggregate.
 * Groups come out sorted by name and points by bucket; a bucket nobody reported is absent.
 */
export function mergeBuckets(
  parts: Iterable<BucketPart & { group: string }>,
  aggregate: Aggregate,
  tagsOf: (group: string) => Record<string, string>,
): Series[] {
  const groups = new Map<string, Map<number, Acc>>();
  for (const p of parts) {
    let buckets = groups.get(p.group);
    if (!buckets) {
      buckets = new Map();
      groups.set(p.group, buckets);
    }
    const acc = buckets.get(p.bucket);
    if (!acc) {
      buckets.set(p.bucket, { v: p.v, n: p.n ?? 1, at: p.at ?? 0 });
      continue;
    }
    switch (aggregate) {
      case 'mean':
      case 'sum':
        acc.v += p.v;
        acc.n += p.n ?? 1;
        break;
      case 'min':
        acc.v = Math.min(acc.v, p.v);
        break;
      case 'max':
        acc.v = Math.max(acc.v, p.v);
        break;
      case 'last':
        if ((p.at ?? 0) > acc.at) {
          acc.v = p.v;
          acc.at = p.at ?? 0;
        }
        break;
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, buckets]) => ({
      tags: tagsOf(group),
      points: [...buckets.entries()]
        .sort(([a], [b]) => a - b)
        .map(([bucket, acc]): [number, number] => [bucket, aggregate === 'mean' ? acc.v / acc.n : acc.v]),
    }));
}
