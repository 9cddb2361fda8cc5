import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startAgent } from '../../agents/agent.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin } from '../../simulations/site-twin/twin.ts';
import { until } from '../support/until.ts';

/**
 * The demo-sized site (~30k miners) in the twin, and one full agent poll cycle over it,
 * twin and agent in this one process on this machine's 2 cores. Prints the numbers.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const demoPath = resolve(repoRoot, 'infra/sites/demo.yaml');

/** 35,000 S21s in 10 blocks, for when the demo site file is not there. */
function syntheticSite(): SiteFile {
  return {
    site: { id: 'scale', name: 'Scale', timezone: 'America/Chicago', market: { iso: 'ERCOT', settlementPoint: 'HB_WEST' }, importLimitMw: 150, poolFee: 0.02 },
    blocks: Array.from({ length: 10 }, (_, b) => ({
      id: `B${b + 1}`,
      name: `Hall ${b + 1}`,
      feed: 'T1',
      capacityMw: 13,
      cooling: 'air' as const,
      state: 'mining' as const,
      capability: ['mining' as const],
      overheadFactor: 1.05,
      miners: [{ model: 'S21', count: 3_500, firmware: 'braiins' as const, network: { cidr: `127.${30 + b}.0.0/16`, port: 4028 } }],
      gpus: [],
    })),
    meters: [{ id: 'M-REV', role: 'revenue', host: '127.0.0.1', port: 5020, unitId: 1, profile: 'twin-pm5340' }],
    snmpDevices: [],
    gpuHosts: [],
    contracts: [],
    debt: [],
  };
}

test('twin at demo scale: starts, and one agent cycle polls every miner', { timeout: 240_000 }, async (t) => {
  const site = existsSync(demoPath) ? loadSiteFile(demoPath) : syntheticSite();
  const startedAt = performance.now();
  const twin = await startTwin(site, { minerPort: 0, meterPort: 0 });
  const twinStartMs = Math.round(performance.now() - startedAt);

  let shipped = 0;
  const ingest = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const batch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { seq: number; readings: unknown[] };
      shipped += batch.readings.length;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: batch.readings.length, duplicate: false, seq: batch.seq }));
    });
  });
  await new Promise<void>((ok) => ingest.listen(0, '127.0.0.1', ok));
  const log = logger('agent');
  log.level = 'warn';
  const agent = await startAgent(
    {
      agentId: 'scale-agent',
      siteId: site.site.id,
      controlPlaneUrl: `http://127.0.0.1:${(ingest.address() as AddressInfo).port}`,
      token: 'scale-token',
      miners: twin.miners,
      meters: twin.meters,
      minerIntervalMs: 3_600_000,
      meterIntervalMs: 1_000,
      shipIntervalMs: 1_000,
      // Polling only: this test's stand-in control plane has no command channel.
      commandChannel: false,
    },
    log,
  );
  try {
    const deadline = Date.now() + 180_000;
    await until('the first miner cycle', () => agent.stats().poller.minerCycles >= 1, 180_000, 100);
    const cycle = agent.stats().poller.lastMinerCycle;
    assert.ok(cycle);
    const summary = `twin start ${twinStartMs} ms for ${twin.miners.length} miners (${(twin.siteLoadW() / 1e6).toFixed(1)} MW); agent cycle ${cycle.wallMs} ms wall, ${cycle.cpuMs} ms CPU (twin and agent in one process), ${cycle.online}/${cycle.readings} online`;
    t.diagnostic(summary);
    assert.equal(cycle.readings, twin.miners.length);
    assert.equal(cycle.online, twin.miners.length);
    await until(`all ${twin.miners.length} readings shipped`, () => shipped >= twin.miners.length, Math.max(1, deadline - Date.now()), 100);
  } finally {
    await agent.stop();
    await twin.stop();
    await new Promise<void>((ok) => ingest.close(() => ok()));
  }
});
