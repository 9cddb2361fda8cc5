import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAgent, type AgentConfig } from '../../agents/agent.ts';
import type { DeviceDriver } from '../../agents/device-driver.ts';
import { pollTier } from '../../agents/poll-tier.ts';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { logger } from '../../services/lib/log.ts';

const log = logger('test');
log.level = 'silent';
const base: AgentConfig = {
  agentId: 'a',
  siteId: 's',
  controlPlaneUrl: 'http://127.0.0.1:9',
  token: 't',
  miners: [],
  meters: [],
  minerIntervalMs: 1_000,
  meterIntervalMs: 1_000,
  shipIntervalMs: 1_000,
};

test('an unknown SNMP profile stops the agent at start, naming the device', async () => {
  const pdu = { id: 'PDU-9', kind: 'pdu' as const, host: '127.0.0.1', port: 161, profile: 'no-such-pdu', version: '2c' as const };
  await assert.rejects(startAgent({ ...base, snmpDevices: [pdu] }, log), /SNMP device PDU-9: loading profile "no-such-pdu"/);
});

test('unknown keys in SNMP devices and GPU hosts are rejected', async () => {
  const host = { id: 'g', blockId: 'B1', host: 'h', nvidiaSmiPath: 'nvidia-smi', gpus: 8 };
  await assert.rejects(startAgent({ ...base, gpuHosts: [host as never] }, log), /gpus/);
  await assert.rejects(startAgent({ ...base, gpuIntervalMs: 50 }, log), /gpuIntervalMs/);
});

test('a driver that reads several devices per target has each reading emitted', async () => {
  const at = Date.now();
  const gpu = (id: string): Reading => ({ deviceId: id, kind: 'gpu', atMs: at, status: 'online', metrics: { power_w: 300 } });
  const driver: DeviceDriver<{ id: string }, Reading[]> = { kind: 'test', deviceKind: 'gpu', read: async (t) => [gpu(`${t.id}/gpu0`), gpu(`${t.id}/gpu1`)] };
  const got: string[] = [];
  await pollTier(driver, [{ id: 'h1' }, { id: 'h2' }], { timeoutMs: 500, concurrency: 2 }, (r) => got.push(r.deviceId));
  assert.deepEqual(got.sort(), ['h1/gpu0', 'h1/gpu1', 'h2/gpu0', 'h2/gpu1']);
});
