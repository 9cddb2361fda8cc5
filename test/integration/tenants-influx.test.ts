// The tenant SLA path on the production history: the same month of gpu_host points written
// through InfluxDB line protocol to a real VictoriaMetrics (infra/dev/services.sh) and to the
// SQLite history give the same availability and metered energy.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import type { TelemetryPoint } from '../../services/telemetry/history.ts';
import { InfluxHistory } from '../../services/telemetry/influx-history.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';
import type { TenantContract } from '../../services/tenants/contract.ts';
import { loadTenantFile } from '../../services/tenants/ledger.ts';
import { measureMonth } from '../../services/tenants/usage.ts';
import { requireServiceEnv } from '../support/service-env.ts';
import { until } from '../support/until.ts';

const vmUrl = requireServiceEnv('SWITCHYARD_TEST_VM_URL');
const root = fileURLToPath(new URL('../../', import.meta.url));

describe('tenant availability from the InfluxDB line-protocol history', { skip: vmUrl === undefined ? 'SWITCHYARD_TEST_VM_URL unset' : false }, () => {
  // A block id of its own per run, so earlier runs' points in VictoriaMetrics do not count.
  const run = `A1-${randomUUID().slice(0, 8)}`;
  const loaded = loadSiteFile(join(root, 'test/support/sites/ai-hall.yaml'));
  const site = { ...loaded, gpuHosts: loaded.gpuHosts.map((h) => (h.blockId === 'A1' ? { ...h, blockId: run } : h)) };
  const base = loadTenantFile(join(root, 'test/support/tenants/ai-hall-tenants.yaml')).contracts.find((c) => c.id === 'colo-fluid') as TenantContract;
  const tenant = 'colo-fluid';
  const nowMs = Date.now();
  const month = new Date(nowMs).toISOString().slice(0, 7);
  const startMs = Date.UTC(new Date(nowMs).getUTCFullYear(), new Date(nowMs).getUTCMonth(), 1);
  // The last 12 hours of this month so far (VictoriaMetrics keeps a month by default), with
  // gh-a1-01 silent for one hour and gh-a1-02 too hot for 30 minutes.
  const fromMs = Math.max(startMs, Math.floor((nowMs - 12 * 3_600_000) / 300_000) * 300_000);
  const contract: TenantContract = { ...base, blockIds: [run], startMonth: month, termMonths: 12 };
  let influx: InfluxHistory;
  let sqlite: SqliteHistory;

  before(async () => {
    influx = new InfluxHistory({ url: vmUrl as string, org: 'switchyard', bucket: 'test', flavor: 'victoriametrics', batchLines: 2_000 });
    sqlite = new SqliteHistory({ path: ':memory:' });
    const points: TelemetryPoint[] = [];
    for (let t = fromMs; t < nowMs - 300_000; t += 300_000) {
      for (const host of ['gh-a1-01', 'gh-a1-02']) {
        if (host === 'gh-a1-01' && t >= fromMs + 3_600_000 && t < fromMs + 7_200_000) continue;
        const hot = host === 'gh-a1-02' && t >= fromMs + 5 * 3_600_000 && t < fromMs + 5.5 * 3_600_000;
        points.push({ measurement: 'gpu_host', tags: { host, block: run, tenant }, fields: { gpus_online: 8, power_w: 5_000, max_temp_c: hot ? 90 : 70 }, atMs: t + 30_000 });
      }
    }
    await influx.write(points);
    await influx.flush();
    await sqlite.write(points);
  });
  after(async () => {
    await influx?.close();
    await sqlite?.close();
  });

  it('availability and metered kWh agree with the SQLite history', async () => {
    const want = await measureMonth(sqlite, site, contract, month, nowMs);
    assert.ok(want.availability.lost.noReport > 0 && want.availability.lost.tooHot === 6, JSON.stringify(want.availability.lost));
    const got = await until('VictoriaMetrics to serve the points', async () => {
      await fetch(`${vmUrl}/internal/force_flush`, { signal: AbortSignal.timeout(10_000) });
      const m = await measureMonth(influx, site, contract, month, nowMs);
      return m.availability.availableHostIntervals === want.availability.availableHostIntervals ? m : false;
    }, 20_000, 500);
    assert.deepEqual(got.availability, want.availability);
    assert.equal(got.meteredKwh, want.meteredKwh);
  });
});
