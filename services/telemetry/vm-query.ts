import { ContextError, wrap } from '../lib/errors.ts';
import { fetchText } from './fetch-text.ts';
import type { Aggregate, Series, SeriesQuery } from './history.ts';
import { mergeBuckets, type BucketPart } from './merge-buckets.ts';

/** VictoriaMetrics answers at most 30,000 points per series per query by default. */
const MAX_STEPS_PER_CALL = 10_000;

/** The rollups each aggregate needs per series and bucket, and where each lands in a BucketPart. */
const ROLLUPS: Record<Aggregate, Array<{ fn: string; into: 'v' | 'n' | 'at' }>> = {
  mean: [
    { fn: 'sum_over_time', into: 'v' },
    { fn: 'count_over_time', into: 'n' },
  ],
  sum: [{ fn: 'sum_over_time', into: 'v' }],
  min: [{ fn: 'min_over_time', into: 'v' }],
  max: [{ fn: 'max_over_time', into: 'v' }],
  last: [
    { fn: 'last_over_time', into: 'v' },
    { fn: 'tlast_over_time', into: 'at' },
  ],
};

interface Matrix {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

/** A PromQL selector for a measurement's field: VictoriaMetrics names it measurement_field. */
export function vmSelector(measurement: string, field: string, where: Record<string, string> = {}): string {
  const matchers = [`__name__=${JSON.stringify(`${measurement}_${field}`)}`, ...Object.entries(where).map(([k, v]) => `${k}=${JSON.stringify(v)}`)];
  return `{${matchers.join(', ')}}`;
}

/**
 * A SeriesQuery through VictoriaMetrics' /api/v1/query_range: each series is rolled up per
 * bucket on the server (sum and count for a mean, the last value and its time for last), and
 * the series are combined per groupBy value here, as the SQLite history does. The rollup at
 * t = bucket end covers (t - step - 1 ms, t - 1 ms], i.e. the bucket [start, start + step).
 */
export async function queryVictoriaMetrics(baseUrl: string, q: SeriesQuery, aggregate: Aggregate, timeoutMs: number): Promise<Series[]> {
  const step = q.stepMs;
  const firstBucket = Math.floor(q.fromMs / step) * step;
  const lastBucket = Math.floor((q.toMs - 1) / step) * step;
  const selector = vmSelector(q.measurement, q.field, q.where);
  const parts = new Map<string, BucketPart & { group: string }>();
  for (let from = firstBucket; from <= lastBucket; from += MAX_STEPS_PER_CALL * step) {
    const to = Math.min(lastBucket, from + (MAX_STEPS_PER_CALL - 1) * step);
    for (const { fn, into } of ROLLUPS[aggregate]) {
      const query = `${fn}(${selector}[${step}ms] offset 1ms)`;
      const matrix = await queryRange(baseUrl, query, from + step, to + step, step, timeoutMs);
      for (const series of matrix) {
        // Some rollups keep __name__ (last_over_time) and some drop it: one metric, so leave it out.
        const labels = Object.entries(series.metric)
          .filter(([k]) => k !== '__name__')
          .sort(([a], [b]) => (a < b ? -1 : 1));
        const seriesKey = JSON.stringify(labels);
        const group = q.groupBy ? (series.metric[q.groupBy] ?? '') : '';
        for (const [tSec, text] of series.values) {
          const bucket = Math.round(tSec * 1000) - step;
          const key = `${seriesKey}\u0000${bucket}`;
          let part = parts.get(key);
          if (!part) {
            part = { group, bucket, v: 0 };
            parts.set(key, part);
          }
          const value = Number(text);
          part[into] = into === 'at' ? Math.round(value * 1000) : value;
        }
      }
    }
  }
  return mergeBuckets(parts.values(), aggregate, (group) => {
    const tags = { ...q.where };
    if (q.groupBy && group !== '') tags[q.groupBy] = group;
    return tags;
  });
}

async function queryRange(
  baseUrl: string,
  query: string,
  startMs: number,
  endMs: number,
  stepMs: number,
  timeoutMs: number,
): Promise<NonNullable<Matrix['data']>['result']> {
  const url = `${baseUrl}/api/v1/query_range`;
  const doing = `querying ${url} for ${query}`;
  const body = new URLSearchParams({ query, start: String(startMs / 1000), end: String(endMs / 1000), step: `${stepMs}ms`, nocache: '1' });
  const res = await fetchText(url, { method: 'POST', body }, timeoutMs, doing);
  const text = res.text;
  let parsed: Matrix;
  try {
    parsed = JSON.parse(text) as Matrix;
  } catch (err) {
    throw wrap(`${doing}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`, err, 'E_HISTORY_QUERY');
  }
  if (!res.ok || parsed.status !== 'success' || parsed.data?.resultType !== 'matrix') {
    throw new ContextError('E_HISTORY_QUERY', `${doing}: HTTP ${res.status}: ${parsed.error ?? text.slice(0, 200)}`);
  }
  return parsed.data.result;
}
