// No InfluxDB 2 server can run here (it is not in Debian), so the Flux path is checked as text:
// the same whole-bucket range, filters, grouping and aggregate as the other backends.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fluxQuery } from '../../services/telemetry/flux-query.ts';

it('builds Flux over whole buckets, with escaped filters, grouping and the aggregate', () => {
  const flux = fluxQuery('site "a"', {
    measurement: 'miner',
    field: 'power_w',
    where: { block: 'b"1' },
    groupBy: 'miner',
    fromMs: Date.UTC(2025, 0, 1, 0, 0, 30),
    toMs: Date.UTC(2025, 0, 1, 0, 10, 30),
    stepMs: 60_000,
  }, 'last');
  assert.equal(
    flux,
    [
      'from(bucket: "site \\"a\\"")',
      '  |> range(start: 2025-01-01T00:00:00.000Z, stop: 2025-01-01T00:11:00.000Z)',
      '  |> filter(fn: (r) => r._measurement == "miner" and r._field == "power_w" and r["block"] == "b\\"1")',
      '  |> group(columns: ["miner"])',
      '  |> sort(columns: ["_time"])',
      '  |> aggregateWindow(every: 60000ms, fn: last, createEmpty: false, timeSrc: "_start")',
      '  |> keep(columns: ["_time", "_value", "miner"])',
    ].join('\n'),
  );
});
