// GPU telemetry rate: 2,000 GPUs (250 twin hosts × 8) read the agent's way — GET each host's
// dcgm-exporter page on loopback, parse (parse-prometheus-text-format + line screening),
// normalise, apply the batch to the live state, write the resulting points to the SQLite
// history — against the peer: writing the same points straight to a fresh history.
// Prints GPU readings per second for both and the ratio. Nothing asserts on time.
import '../support/quiet-logs.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentBatch, Reading } from '../../services/agent-contract/batch-schema.ts';
import { dcgmDriver } from '../../agents/drivers/dcgm/driver.ts';
import { parseSite } from '../../services/domain/load-site.ts';
import { logger } from '../../services/lib/log.ts';
import type { TelemetryPoint } from '../../services/telemetry/history.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';
import { startGpuTwin } from '../../simulations/site-twin/gpu-server.ts';

const HOSTS = 250;
const GPUS_PER_HOST = 8;
const ROUNDS = 5;

function siteYaml(): string {
  const hosts = Array.from({ length: HOSTS }, (_, i) => `  - { id: gh-${i}, blockId: A${i % 10}, host: gh-${i} }`).join('\n');
  const blocks = Array.from({ length: 10 }, (_, b) => `  - { id: A${b}, name: Pod ${b}, feed: T1, capacityMw: 1, cooling: liquid, state: ai, capability: [ai], contractId: colo-bench, gpus: [{ model: H100-SXM, count: 200 }] }`).join('\n');
  const contract = '  - { id: colo-bench, kind: colocation, counterparty: Bench, rateUsdPerKwMonth: 150, criticalItMw: 5, startDate: 2026-01-01, termMonths: 60, takeOrPayPct: 100, slaUptimePct: 99.9 }';
  return `site: { id: bench-gpu, name: Bench, timezone: UTC, market: { iso: ERCOT, settlementPoint: LZ_WEST }, importLimitMw: 20 }\nblocks:\n${blocks}\ngpuHosts:\n${hosts}\ncontracts:\n${contract}\n`;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-gpu-'));
  const site = parseSite(siteYaml(), 'bench-gpu.yaml');
  const twin = await startGpuTwin(site.gpuHosts.map((h, i) => ({ host: h.host, gpus: GPUS_PER_HOST, workload: i % 2 === 0 ? 'training' : 'inference' })), { dir: join(dir, 'bin') });
  const log = logger('bench-gpu');
  const driver = dcgmDriver(log);
  const targets = site.gpuHosts.map((h) => ({ id: h.id, blockId: h.blockId, host: h.host, url: twin.dcgmUrl(h.host) }));
  const live = new LiveState(site);
  const agentHistory = new SqliteHistory({ path: join(dir, 'agent.db') });
  const directHistory = new SqliteHistory({ path: join(dir, 'direct.db') });
  const allPoints: TelemetryPoint[][] = [];
  try {
    let readingsCount = 0;
    const signal = new AbortController().signal;
    const t1 = performance.now();
    for (let r = 0; r < ROUNDS; r++) {
      const parts = await Promise.all(targets.map((t) => driver.read(t, { timeoutMs: 10_000, signal })));
      const readings: Reading[] = parts.flat();
      readingsCount += readings.filter((x) => x.status === 'online').length;
      const batch: AgentBatch = { agentId: 'bench', siteId: site.site.id, seq: r, sentAtMs: Date.now(), readings };
      const { points } = live.apply(batch);
      await agentHistory.write(points);
      allPoints.push(points);
    }
    const agentMs = performance.now() - t1;
    const t2 = performance.now();
    for (const points of allPoints) await directHistory.write(points);
    const directMs = performance.now() - t2;
    const pointCount = allPoints.reduce((n, p) => n + p.length, 0);
    const agentRate = readingsCount / (agentMs / 1000);
    const directRate = readingsCount / (directMs / 1000);
    console.log(`${HOSTS} hosts × ${GPUS_PER_HOST} GPUs, ${ROUNDS} rounds: ${readingsCount} GPU readings → ${pointCount} history points`);
    console.log(`through the agent (HTTP dcgm page → parse → normalise → live state → history): ${agentMs.toFixed(0)} ms, ${agentRate.toFixed(0)} GPU readings/s`);
    console.log(`straight to the history (same points):                                     ${directMs.toFixed(0)} ms, ${directRate.toFixed(0)} GPU readings/s`);
    console.log(`ratio agent / direct time: ${(agentMs / directMs).toFixed(2)}× (one 2,000-GPU poll through the agent: ${(agentMs / ROUNDS).toFixed(0)} ms)`);
  } finally {
    await agentHistory.close();
    await directHistory.close();
    await twin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
