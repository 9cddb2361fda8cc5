import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startAgent, type Agent } from '../../agents/agent.ts';
import { cgminerCall } from '../../agents/drivers/cgminer/client.ts';
import { DIALECTS } from '../../agents/drivers/cgminer/makes/index.ts';
import { parseCgminerReply } from '../../agents/drivers/cgminer/parse.ts';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin, type Twin } from '../../simulations/site-twin/twin.ts';
import { dialectSite, FIRMWARES, FITTING_MODELS } from '../support/dialect-site.ts';
import { startFakeIngest, type FakeIngest } from '../support/fake-ingest.ts';
import { referenceMinerTelemetry } from '../support/normalise-reference.ts';
import { until } from '../support/until.ts';

/**
 * The agent's lean polling path loses no reading: a real agent polls the twin's miners of all
 * five firmwares, and every reading of every miner that reaches the ingest endpoint, cycle
 * after cycle, carries exactly the metrics and labels that the miner's reply gives through the
 * pure path (parse → the dialect's telemetry), read from the same miner over TCP by the test.
 * The twin runs on a stopped clock, so a miner answers the same bytes every time. For the
 * firmwares whose dialect is the plain normaliser, the normaliser from before the footprint
 * work (test/support/normalise-reference.ts) must give the same metrics too.
 */
const TOKEN = 'readings-complete-token';
const PER_FIRMWARE = 40;
const CYCLES = 3;
const T0 = 1_790_000_000_000;

describe('agent readings are complete on the twin', { timeout: 120_000 }, () => {
  let twin: Twin;
  let ingest: FakeIngest;
  let agent: Agent;

  before(async () => {
    const log = logger('readings-complete');
    log.level = 'error';
    twin = await startTwin(dialectSite(PER_FIRMWARE, FIRMWARES, FITTING_MODELS), { minerPort: 0, clock: () => T0, log });
    ingest = await startFakeIngest(TOKEN);
    agent = await startAgent(
      {
        agentId: 'readings-complete',
        siteId: 'dialects',
        controlPlaneUrl: ingest.url,
        token: TOKEN,
        miners: twin.miners,
        meters: [],
        minerIntervalMs: 300,
        meterIntervalMs: 1_000,
        shipIntervalMs: 100,
        commandChannel: false,
        minerTimeoutMs: 5_000,
        // Inventory labels would join the readings after the first cycle; this compares the telemetry.
        minerInventoryIntervalMs: 0,
      },
      log,
    );
  });

  after(async () => {
    await agent?.stop();
    await twin?.stop();
    await ingest?.close();
  });

  test(`every miner's readings over ${CYCLES} cycles equal what its reply gives`, async () => {
    await until(`${CYCLES} cycles of readings at the ingest endpoint`, () => agent.stats().poller.minerCycles >= CYCLES + 1 && agent.stats().shipper.queuedReadings === 0, 60_000);
    await agent.stop();
    assert.deepEqual(ingest.rejected, []);
    const byMiner = new Map<string, Reading[]>();
    for (const batch of ingest.batches) for (const r of batch.readings) byMiner.set(r.deviceId, [...(byMiner.get(r.deviceId) ?? []), r]);
    for (const miner of twin.miners) {
      const dialect = DIALECTS[miner.firmware];
      const reply = parseCgminerReply(await cgminerCall(miner.host, miner.port, { command: dialect.telemetryCommand }, { timeoutMs: 5_000 }));
      const expected = dialect.telemetry(reply);
      if (dialect.telemetry === DIALECTS.whatsminer.telemetry) assert.deepEqual(referenceMinerTelemetry(reply), expected, `${miner.id}: the normaliser before the footprint work`);
      const labels: Record<string, string> = { model: miner.model, firmware: miner.firmware, firmware_version: expected.firmware as string };
      labels.mode = expected.metrics.hashrate_hs === 0 ? 'sleeping' : 'mining';
      const readings = byMiner.get(miner.id) ?? [];
      assert.ok(readings.length >= CYCLES, `${miner.id}: ${readings.length} readings`);
      for (const r of readings) {
        assert.equal(r.status, 'online', `${miner.id}: ${r.error ?? ''}`);
        assert.deepEqual({ kind: r.kind, blockId: r.blockId, metrics: r.metrics, labels: r.labels }, { kind: 'miner', blockId: miner.blockId, metrics: expected.metrics, labels }, miner.id);
      }
      for (const metric of ['hashrate_hs', 'power_w', 'temp_c', 'fan_rpm', 'uptime_s']) assert.ok(metric in expected.metrics, `${miner.firmware} reports ${metric}`);
    }
    assert.equal(byMiner.size, twin.miners.length);
  });
});
