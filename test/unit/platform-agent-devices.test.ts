import assert from 'node:assert/strict';
import { test } from 'node:test';
import { devicesOfAgent } from '../../services/platform/agent-devices.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';

const site = {
  blocks: [{ id: 'H1' }, { id: 'H2' }],
  meters: [{ id: 'M-REV' }, { id: 'M-H1', blockId: 'H1' }, { id: 'M-H2', blockId: 'H2' }],
  snmpDevices: [],
  gpuHosts: [],
  agents: [
    { id: 'hall-1', blocks: ['H1'], meters: ['M-REV'], snmpDevices: [], gpuHosts: [] },
    { id: 'hall-2', blocks: ['H2'], meters: [], snmpDevices: [], gpuHosts: [] },
  ],
} as unknown as SiteFile;

const config = {
  agentId: 'x',
  shipIntervalMs: 1000,
  miners: [{ id: 'H1-m00001', blockId: 'H1' }, { id: 'H2-m00001', blockId: 'H2' }, { id: 'H2-m00002', blockId: 'H2' }],
  meters: [{ id: 'M-REV' }, { id: 'M-H1', blockId: 'H1' }, { id: 'M-H2', blockId: 'H2' }],
  snmpDevices: [],
};

test('each agent gets its halls’ miners and meters, and the meters named for it', () => {
  assert.deepEqual(devicesOfAgent(site, 'hall-1', config), { ...config, miners: [config.miners[0]], meters: [config.meters[0], config.meters[1]] });
  assert.deepEqual(devicesOfAgent(site, 'hall-2', config), { ...config, miners: config.miners.slice(1), meters: [config.meters[2]] });
});

test('a site without agents: one agent with everything', () => {
  assert.equal(devicesOfAgent({ ...site, agents: undefined } as SiteFile, 'any', config), config);
});
