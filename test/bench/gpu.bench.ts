// GPU telemetry rate: 2,000 GPUs (250 twin hosts × 8), read the agent's way — the real agent
// (GPU tier, gpuHostsDriver → dcgm-exporter page on loopback, parse, normalise; shipper) posting
// to the real API (ingest validation, live state, GPU points) which writes the SQLite history —
// against the peer: writing the same points straight to a fresh history. Prints GPU readings
// per second for both and the ratio. Nothing asserts on time.
import '../support/quiet-logs.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../../agents/agent.ts';
import { TokenStore } from '../../services/api/auth/tokens.ts';
import { buildApp } from '../../services/api/app.ts';
import { parseSite } from '../../services/domain/load-site.ts';
import { logger } from '../../services/lib/log.ts';
import { openStore } from '../../services/store/sqlite.ts';
import type { TelemetryPoint } from '../../services/telemetry/history.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';
import { startGpuTwin } from '../../simulations/site-twin/gpu-server.ts';

const HOSTS = 250;
const GPUS_PER_HOST = 8;
const WINDOW_MS = 15_000;

function siteYaml(): string {
  const hosts = Array.from({ length: HOSTS }, (_, i) => `  - { id: gh-${i}, blockId: A${i % 10}, host: gh-${i}, dcgmUrl: "http://gh-${i}:9400/metrics" }`).join('\n');
  const blocks = Array.from({ length: 10 }, (_, b) => `  - { id: A${b}, name: Pod ${b}, feed: T1, capacityMw: 1, cooling: liquid, state: ai, capability: [ai], contractId: colo-bench, gpus: [{ model: H100-SXM, count: 200 }] }`).join('\n');
  const contract = '  - { id: colo-bench, kind: colocation, counterparty: Bench, rateUsdPerKwMonth: 150, criticalItMw: 5, startDate: 2026-01-01, termMonths: 60, takeOrPayPct: 100, slaUptimePct: 99.9 }';
  return `site: { id: bench-gpu, name: Bench, timezone: UTC, market: { iso: ERCOT, settlementPoint: LZ_WEST }, importLimitMw: 20 }\nblocks:\n${blocks}\ngpuHosts:\n${hosts}\ncontracts:\n${contract}\n`;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-gpu-'));
  const site = parseSite(siteYaml(), 'bench-gpu.yaml');
  const twin = await startGpuTwin(site.gpuHosts.map((h, i) => ({ host: h.host, gpus: GPUS_PER_HOST, workload: i % 2 === 0 ? 'training' : 'inference' })), { dir: join(dir, 'bin') });
  const log = logger('bench-gpu');
  log.level = 'error';
  const store = openStore({ dataDir: dir });
  const history = new SqliteHistory({ path: join(dir, 'agent.db') });
  const written: TelemetryPoint[][] = [];
  const write = history.write.bind(history);
  history.write = async (points) => {
    written.push(points);
    await write(points);
  };
  const live = new LiveState(site);
  const tokens = new TokenStore(store.db);
  const token = (await tokens.create({ name: 'agent-bench', role: 'agent' })).secret;
  const app = await buildApp({ site, db: store.db, history, kinds: { store: 'sqlite', queue: 'memory' }, version: 'bench', live, tokens, log });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const gpuHosts = site.gpuHosts.map((h) => ({ id: h.id, blockId: h.blockId, host: h.host, nvidiaSmiPath: 'nvidia-smi', dcgmUrl: twin.dcgmUrl(h.host) }));
  const direct = new SqliteHistory({ path: join(dir, 'direct.db') });
  try {
    const agent = await startAgent(
      { agentId: 'agent-bench', siteId: site.site.id, controlPlaneUrl: url, token, miners: [], meters: [], dcgmHosts: gpuHosts, minerIntervalMs: 60_000, meterIntervalMs: 60_000, shipIntervalMs: 250, dcgmIntervalMs: 100, dcgmTimeoutMs: 5_000, commandChannel: false },
      log,
    );
    // Warm up: one full round reaches the history.
    const gpuPoints = () => written.reduce((n, ps) => n + ps.filter((p) => p.measurement === 'gpu').length, 0);
    for (const t0 = Date.now(); gpuPoints() < HOSTS * GPUS_PER_HOST && Date.now() - t0 < 60_000; ) await new Promise((r) => setTimeout(r, 100));
    const startIndex = written.length;
    const startGpus = gpuPoints();
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const agentMs = performance.now() - t1;
    const readings = gpuPoints() - startGpus;
    await agent.stop();
    const window = written.slice(startIndex);
    const t2 = performance.now();
    for (const points of window) await direct.write(points);
    const directMs = performance.now() - t2;
    const agentRate = readings / (agentMs / 1000);
    const directRate = readings / (directMs / 1000);
    console.log(`${HOSTS} hosts × ${GPUS_PER_HOST} GPUs via dcgm-exporter on loopback, dcgm tier as fast as it goes (100 ms interval), ${(WINDOW_MS / 1000).toFixed(0)} s window`);
    console.log(`through the agent (poll → ship → API ingest → live state → history): ${readings} GPU readings in ${agentMs.toFixed(0)} ms = ${agentRate.toFixed(0)} GPU readings/s (${window.reduce((n, p) => n + p.length, 0)} points)`);
    console.log(`straight to the history (same points):                              ${directMs.toFixed(0)} ms = ${directRate.toFixed(0)} GPU readings/s`);
    console.log(`ratio direct / agent rate: ${(directRate / agentRate).toFixed(1)}×`);
  } finally {
    await app.close();
    await history.close();
    await direct.close();
    store.close();
    await twin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
