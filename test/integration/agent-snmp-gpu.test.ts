import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startAgent, type Agent } from '../../agents/agent.ts';
import { parseHostPort } from '../../agents/drivers/snmp/session.ts';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import type { GpuHostDevice, SnmpDevice } from '../../services/domain/devices.ts';
import { logger } from '../../services/lib/log.ts';
import { requireServiceEnv } from '../support/service-env.ts';
import { until } from '../support/until.ts';
import { startFakeIngest, type FakeIngest } from '../support/fake-ingest.ts';
import { requireFixtures } from '../support/fixtures.ts';

/**
 * A real agent with an SNMP PDU (snmpsim serving the apc-rpdu2 recording) and a GPU host (a
 * stand-in nvidia-smi printing a recorded H100 CSV) shipping to a node:http ingest stand-in.
 */
const simAddress = requireServiceEnv('SWITCHYARD_TEST_SNMPSIM');
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const GPU_CSV = resolve(repoRoot, '../shared/fixtures/nvidia/csv/gpuexporter_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.csv');
const gpuSkip = requireFixtures(GPU_CSV);
const TOKEN = 'test-agent-token';

type Ingest = FakeIngest;
const startIngest = (): Promise<FakeIngest> => startFakeIngest(TOKEN);

const waitFor = <T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> => until(what, probe, timeoutMs);

if (simAddress !== undefined) {
  describe('agent polling SNMP devices and GPU hosts', { timeout: 60_000 }, () => {
    let ingest: Ingest;
    let agent: Agent;
    let dir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchyard-gpu-'));
      // `exec` so that SIGTERM at the deadline reaches the hung process itself.
      const smi = join(dir, 'nvidia-smi');
      writeFileSync(smi, `#!/bin/sh\nif [ -e '${join(dir, 'hang')}' ]; then exec sleep 100; fi\nexec cat '${GPU_CSV}'\n`);
      chmodSync(smi, 0o755);
      ingest = await startIngest();
      const { host, port } = parseHostPort(simAddress);
      const pdu: SnmpDevice = { id: 'PDU-1', kind: 'pdu', blockId: 'B1', host, port, profile: 'apc-rpdu2', version: '2c', community: 'apc-rpdu2' };
      const gpuHost: GpuHostDevice = { id: 'gpu-rig-1', blockId: 'B1', host: 'rig-1', nvidiaSmiPath: smi };
      const log = logger('agent');
      log.level = 'silent';
      agent = await startAgent(
        {
          agentId: 'test-agent',
          siteId: 'test-site',
          controlPlaneUrl: ingest.url,
          token: TOKEN,
          miners: [],
          meters: [],
          snmpDevices: [pdu],
          gpuHosts: gpuSkip === false ? [gpuHost] : [],
          minerIntervalMs: 1_000,
          meterIntervalMs: 1_000,
          snmpIntervalMs: 300,
          gpuIntervalMs: 300,
          gpuTimeoutMs: 1_000,
          shipIntervalMs: 100,
          // Polling only: this test's stand-in control plane has no command channel.
          commandChannel: false,
        },
        log,
      );
    });

    after(async () => {
      await agent?.stop();
      await ingest?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    test('the PDU arrives online with its profile metrics', async () => {
      const pdu = await waitFor('an online PDU reading', 15_000, () => ingest.readings.find((r) => r.deviceId === 'PDU-1' && r.status === 'online'));
      assert.deepEqual(ingest.rejected, []);
      assert.equal(pdu.kind, 'pdu');
      assert.equal(pdu.blockId, 'B1');
      assert.equal(pdu.metrics.power_w, 3120);
      assert.equal(pdu.metrics.energy_wh, 4821300);
      assert.equal(pdu.metrics.phase_1_current_a, 13.1);
      assert.equal(pdu.metrics.outlet_2_on, 0);
      assert.equal(pdu.labels?.make, 'APC');
    });

    test('one reading per GPU with power_w; a hung nvidia-smi gives stale readings, not zeros', { skip: gpuSkip }, async () => {
      const first = await waitFor('online GPU readings', 15_000, () => {
        const gpus = ingest.readings.filter((r) => r.kind === 'gpu' && r.status === 'online');
        return gpus.length > 0 ? gpus : undefined;
      });
      const atMs = first[0]?.atMs;
      const onePoll = first.filter((r) => r.atMs === atMs);
      assert.equal(onePoll.length, 1, 'the recording holds one H100');
      const gpu = onePoll[0] as Reading;
      assert.equal(gpu.blockId, 'B1');
      assert.equal(gpu.labels?.host, 'rig-1');
      assert.ok(typeof gpu.metrics.power_w === 'number' && gpu.metrics.power_w > 0, `power_w ${gpu.metrics.power_w}`);
      assert.equal(gpu.labels?.stale, undefined);

      writeFileSync(join(dir, 'hang'), '');
      const stale = await waitFor('stale GPU readings', 15_000, () => ingest.readings.find((r) => r.deviceId === gpu.deviceId && r.labels?.stale === 'true'));
      assert.equal(stale.metrics.power_w, gpu.metrics.power_w, 'the last value, never a zero');
      assert.match(stale.error ?? '', /calling "nvidia-smi" failed: timed out after 1000 ms/);
      assert.ok(!ingest.readings.some((r) => r.kind === 'gpu' && r.deviceId !== gpu.deviceId), 'no reading about the host instead of its GPU');
    });
  });
}
