import { fluxString } from '@influxdata/influxdb-client';
import type { Aggregate, SeriesQuery } from './history.ts';

/**
 * The Flux for one SeriesQuery on InfluxDB 2: windows aligned to the epoch like the SQLite
 * history's buckets, empty windows left out, series combined per groupBy value. `last` sorts
 * first because after group() rows from several series are not in time order.
 */
export function fluxQuery(bucket: string, q: SeriesQuery, aggregate: Aggregate): string {
  // Whole buckets, as the other backends: from the one holding fromMs to the one holding toMs - 1.
  const startMs = Math.floor(q.fromMs / q.stepMs) * q.stepMs;
  const stopMs = Math.ceil(q.toMs / q.stepMs) * q.stepMs;
  const filters = [
    `r._measurement == ${fluxString(q.measurement)}`,
    `r._field == ${fluxString(q.field)}`,
    ...Object.entries(q.where ?? {}).map(([k, v]) => `r[${fluxString(k)}] == ${fluxString(v)}`),
  ];
  const groupColumns = q.groupBy ? `[${fluxString(q.groupBy)}]` : '[]';
  const keep = ['"_time"', '"_value"', ...(q.groupBy ? [String(fluxString(q.groupBy))] : [])].join(', ');
  return [
    `from(bucket: ${fluxString(bucket)})`,
    `  |> range(start: ${new Date(startMs).toISOString()}, stop: ${new Date(stopMs).toISOString()})`,
    `  |> filter(fn: (r) => ${filters.join(' and ')})`,
    `  |> group(columns: ${groupColumns})`,
    ...(aggregate === 'last' ? ['  |> sort(columns: ["_time"])'] : []),
    `  |> aggregateWindow(every: ${q.stepMs}ms, fn: ${aggregate}, createEmpty: false, timeSrc: "_start")`,
    `  |> keep(columns: [${keep}])`,
  ].join('\n');
}
