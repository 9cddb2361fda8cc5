import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startAgent, type Agent } from '../../agents/agent.ts';
import { cgminerCommand } from '../../agents/drivers/cgminer/client.ts';
import { minerFor } from '../../agents/drivers/cgminer/makes/index.ts';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { asicCatalog } from '../../services/domain/catalog.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin, type Twin } from '../../simulations/site-twin/twin.ts';
import { until } from '../support/until.ts';
import { startFakeIngest, type FakeIngest } from '../support/fake-ingest.ts';

/**
 * The site twin (small test site, random ports) polled by a real agent that ships to a
 * stand-in for the control plane's ingest endpoint (a node:http server that validates and
 * records batches; the real endpoint is tested with the API).
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const site = loadSiteFile(resolve(repoRoot, 'test/support/sites/small.yaml'));
const TOKEN = 'test-agent-token';

type Ingest = FakeIngest;
const startIngest = (): Promise<FakeIngest> => startFakeIngest(TOKEN);

const waitFor = <T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> => until(what, probe, timeoutMs);

describe('site twin + site agent', { timeout: 90_000 }, () => {
  let twin: Twin;
  let ingest: Ingest;
  let agent: Agent;

  before(async () => {
    twin = await startTwin(site, { minerPort: 0, meterPort: 0, tickMs: 200 });
    ingest = await startIngest();
    // State changes are logged at warn; this test checks them through the readings instead.
    const log = logger('agent');
    log.level = 'error';
    agent = await startAgent({
      agentId: 'test-agent',
      siteId: site.site.id,
      controlPlaneUrl: ingest.url,
      token: TOKEN,
      miners: twin.miners,
      meters: twin.meters,
      minerIntervalMs: 500,
      meterIntervalMs: 300,
      shipIntervalMs: 200,
      // Polling only: this test's stand-in control plane has no command channel.
      commandChannel: false,
      minerTimeoutMs: 1_000,
      meterTimeoutMs: 500,
    }, log);
  });

  after(async () => {
    await agent?.stop();
    await twin?.stop();
    await ingest?.close();
  });

  const devices = () => [...twin.miners, ...twin.meters];

  test('batches arrive with every miner and meter online, in seq order', async () => {
    await waitFor('an online reading from every device', 15_000, () => devices().every((d) => ingest.latest.get(d.id)?.status === 'online'));
    assert.deepEqual(ingest.rejected, []);
    const seqs = ingest.batches.map((b) => b.seq);
    assert.ok(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number)), `seq not increasing: ${seqs.join(',')}`);
    assert.ok(ingest.batches.every((b) => b.agentId === 'test-agent' && b.siteId === site.site.id));
    const miner = ingest.latest.get(twin.miners[0]?.id as string) as Reading;
    assert.equal(miner.kind, 'miner');
    for (const metric of ['hashrate_hs', 'power_w', 'temp_c']) assert.ok(Number.isFinite(miner.metrics[metric]), metric);
    const meter = ingest.latest.get('M-REV') as Reading;
    for (const metric of ['power_w', 'energy_wh', 'frequency_hz', 'voltage_ll_avg_v', 'current_avg_a']) assert.ok(Number.isFinite(meter.metrics[metric]), metric);
    assert.ok(Math.abs((meter.metrics.frequency_hz as number) - 60) < 0.1);
  });

  test('meter power ≈ miners × overhead (+ AI hall, + site auxiliary load)', () => {
    const minerW = (blockId: string) =>
      twin.miners.filter((m) => m.blockId === blockId).reduce((sum, m) => sum + (ingest.latest.get(m.id)?.metrics.power_w ?? Number.NaN), 0);
    let expectedSiteW = twin.auxLoadW;
    for (const block of site.blocks) {
      const expectedW = (minerW(block.id) + twin.blockAiLoadW(block.id)) * block.overheadFactor;
      expectedSiteW += expectedW;
      const meter = twin.meters.find((m) => m.blockId === block.id);
      if (meter === undefined) continue;
      const meteredW = ingest.latest.get(meter.id)?.metrics.power_w as number;
      assert.ok(Math.abs(meteredW - expectedW) / expectedW < 0.03, `${meter.id}: meter ${meteredW} W, miners × overhead ${expectedW} W`);
    }
    const revenueW = ingest.latest.get('M-REV')?.metrics.power_w as number;
    assert.ok(Math.abs(revenueW - expectedSiteW) / expectedSiteW < 0.03, `revenue meter ${revenueW} W, expected ${expectedSiteW} W`);
  });

  test('a miner put to sleep over the cgminer API draws ≤ 30 W within seconds, and its block meter shows it', async (t) => {
    // A LuxOS miner, slept with LuxOS's `curtail` command (after `logon`, which LuxOS
    // requires); its model sleeps at ~25 W.
    const target = twin.miners.find((m) => m.firmware === 'luxos' && (asicCatalog().get(m.model)?.sleepPowerW ?? 99) <= 25);
    assert.ok(target, 'the small site has a LuxOS miner that sleeps below 30 W');
    const blockMeter = twin.meters.find((m) => m.blockId === target.blockId);
    const before = ingest.latest.get(target.id)?.metrics.power_w as number;
    const meterBefore = blockMeter === undefined ? undefined : (ingest.latest.get(blockMeter.id)?.metrics.power_w as number);
    const pausedAt = Date.now();
    const refused = await cgminerCommand(target.host, target.port, { command: 'curtail', parameter: 'sleep' }, { timeoutMs: 2_000 });
    assert.equal((refused.STATUS as Array<{ STATUS: string }>)[0]?.STATUS, 'E', 'curtail without logon is refused');
    const miner = minerFor('luxos', { host: target.host, port: target.port });
    await miner.sleep({ timeoutMs: 2_000 });
    const asleep = await waitFor(`${target.id} reporting ≤ 30 W`, 15_000, () => {
      const r = ingest.latest.get(target.id);
      return r !== undefined && r.atMs > pausedAt && (r.metrics.power_w as number) <= 30 ? r : undefined;
    });
    const tookMs = asleep.atMs - pausedAt;
    t.diagnostic(`${target.id} reported ${asleep.metrics.power_w?.toFixed(1)} W ${tookMs} ms after curtail sleep`);
    assert.ok(tookMs < 8_000, `took ${tookMs} ms`);
    assert.equal(asleep.metrics.hashrate_hs, 0);
    if (blockMeter !== undefined && meterBefore !== undefined) {
      const overhead = site.blocks.find((b) => b.id === target.blockId)?.overheadFactor ?? 1;
      await waitFor(`${blockMeter.id} dropping by the sleeping miner's draw`, 10_000, () => {
        const r = ingest.latest.get(blockMeter.id);
        return r !== undefined && r.atMs > asleep.atMs && (r.metrics.power_w as number) < meterBefore - 0.8 * (before - 30) * overhead;
      });
    }
    await miner.wake({ timeoutMs: 2_000 });
    assert.equal(twin.minerById(target.id)?.miner.mode, 'waking');
  });

  test('when the twin stops, every device reads offline with the reason, never zeros', async () => {
    await twin.stop();
    const stoppedAt = Date.now();
    await waitFor('every device offline', 15_000, () =>
      devices().every((d) => {
        const r = ingest.latest.get(d.id);
        return r !== undefined && r.atMs > stoppedAt && r.status === 'offline';
      }),
    );
    for (const d of devices()) {
      const r = ingest.latest.get(d.id) as Reading;
      assert.deepEqual(r.metrics, {}, `${d.id} has metrics while offline`);
      assert.match(r.error ?? '', /ECONNREFUSED|ECONNRESET|timed out|closed/);
    }
    const miner = twin.miners[0] as (typeof twin.miners)[number];
    assert.match(ingest.latest.get(miner.id)?.error ?? '', new RegExp(`^polling miner ${miner.id} at ${miner.host.replaceAll('.', '\\.')}:${miner.port}: connect ECONNREFUSED`));
    const stats = agent.stats();
    assert.equal(stats.poller.devices.offline, devices().length);
    assert.equal(stats.shipper.droppedReadings, 0);
  });
});
