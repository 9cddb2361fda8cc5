import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadAgentConfigFile } from '../../agents/config-file.ts';

const SITE = resolve('test/support/sites/small.yaml');

function configDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-agent-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('agent config: tokenFile is read relative to the config file, trimmed', (t) => {
  const dir = configDir(t);
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(join(dir, 'tokens', 'a1.token'), 'sy_agent_secret\n');
  const path = join(dir, 'agent.yaml');
  writeFileSync(path, stringify({ agentId: 'a1', controlPlaneUrl: 'http://127.0.0.1:1', tokenFile: 'tokens/a1.token', siteFile: SITE }));
  const config = loadAgentConfigFile(path, {});
  assert.equal(config.token, 'sy_agent_secret');
  assert.equal(config.siteId, 'small-test');
  assert.equal(config.miners.length, 20);
});

test('agent config: a missing or empty tokenFile, or token and tokenFile together, is a clear error', (t) => {
  const dir = configDir(t);
  const path = join(dir, 'agent.yaml');
  const base = { agentId: 'a1', controlPlaneUrl: 'http://127.0.0.1:1', siteFile: SITE };
  writeFileSync(path, stringify({ ...base, tokenFile: 'nope.token' }));
  assert.throws(() => loadAgentConfigFile(path, { SWITCHYARD_AGENT_TOKEN: 'from-env' }), /reading tokenFile .*nope\.token/);
  writeFileSync(join(dir, 'empty.token'), '\n');
  writeFileSync(path, stringify({ ...base, tokenFile: 'empty.token' }));
  assert.throws(() => loadAgentConfigFile(path, {}), /tokenFile .*empty\.token is empty/);
  writeFileSync(path, stringify({ ...base, token: 'x', tokenFile: 'empty.token' }));
  assert.throws(() => loadAgentConfigFile(path, {}), /token and tokenFile both given/);
  writeFileSync(path, stringify(base));
  assert.throws(() => loadAgentConfigFile(path, {}), /no token \(set SWITCHYARD_AGENT_TOKEN/);
  assert.equal(loadAgentConfigFile(path, { SWITCHYARD_AGENT_TOKEN: 'from-env' }).token, 'from-env');
});

test('agents/agent.sample.yaml is a valid config once its token file exists', (t) => {
  // The sample names data/agent-tokens/agent-demo-west-tx.token as serve writes it; copy the
  // sample beside a token file of our own so the test writes nothing into the repository.
  const dir = configDir(t);
  mkdirSync(join(dir, 'agents'));
  mkdirSync(join(dir, 'data', 'agent-tokens'), { recursive: true });
  mkdirSync(join(dir, 'infra', 'sites'), { recursive: true });
  writeFileSync(join(dir, 'data', 'agent-tokens', 'agent-demo-west-tx.token'), 'sy_sample\n');
  writeFileSync(join(dir, 'agents', 'agent.yaml'), readSample());
  writeFileSync(join(dir, 'infra', 'sites', 'demo.yaml'), readDemo());
  const config = loadAgentConfigFile(join(dir, 'agents', 'agent.yaml'), {});
  assert.equal(config.agentId, 'agent-demo-west-tx');
  assert.equal(config.siteId, 'demo-west-tx');
  assert.equal(config.token, 'sy_sample');
  assert.ok(config.miners.length > 1000);
});

function readSample(): string {
  return readFileSync('agents/agent.sample.yaml', 'utf8');
}
function readDemo(): string {
  return readFileSync('infra/sites/demo.yaml', 'utf8');
}

test("agent config: the drivers' keys come from the registry, with their defaults; device lists only from the site file", (t) => {
  const dir = configDir(t);
  const path = join(dir, 'agent.yaml');
  const base = { agentId: 'a1', controlPlaneUrl: 'http://127.0.0.1:1', token: 't', siteFile: SITE };
  writeFileSync(path, stringify(base));
  const defaults = loadAgentConfigFile(path, {});
  assert.equal(defaults.minerIntervalMs, 30_000);
  assert.equal(defaults.meterIntervalMs, 1_000);
  assert.equal(defaults.snmpIntervalMs, 10_000);
  assert.equal(defaults.gpuIntervalMs, 5_000);
  assert.equal(defaults.shipIntervalMs, 1_000);
  // A key of the SNMP driver that this file's loader never names, and one of the Modbus driver.
  writeFileSync(path, stringify({ ...base, snmpTimeoutMs: 2500, meterTimeoutMs: 400, minerIntervalMs: 5000 }));
  const set = loadAgentConfigFile(path, {});
  assert.equal(set.snmpTimeoutMs, 2500);
  assert.equal(set.meterTimeoutMs, 400);
  assert.equal(set.minerIntervalMs, 5000);
  writeFileSync(path, stringify({ ...base, meters: [] }));
  assert.throws(() => loadAgentConfigFile(path, {}), /meters/);
  writeFileSync(path, stringify({ ...base, snmpTimeoutMs: 10 }));
  assert.throws(() => loadAgentConfigFile(path, {}), /snmpTimeoutMs/);
});

test("agent config: on a site with an agents list, the agent polls only the devices the site file gives it", (t) => {
  const dir = configDir(t);
  const site = parse(readFileSync(SITE, 'utf8')) as Record<string, unknown>;
  site.agents = [
    { id: 'agent-hall', blocks: ['B1'], meters: ['M-REV'] },
    { id: 'agent-rest', blocks: ['B2', 'B3'] },
  ];
  const sitePath = join(dir, 'site.yaml');
  writeFileSync(sitePath, stringify(site));
  const path = join(dir, 'agent.yaml');
  writeFileSync(path, stringify({ agentId: 'agent-hall', controlPlaneUrl: 'http://127.0.0.1:1', token: 't', siteFile: 'site.yaml' }));
  const hall = loadAgentConfigFile(path, {});
  // small.yaml: B1 holds 8 + 4 + 2 + 2 = 16 miners; M-REV by name, M-B1 by its block.
  assert.equal(hall.miners.length, 16);
  assert.ok(hall.miners.every((m) => m.blockId === 'B1'));
  assert.deepEqual(hall.meters.map((m) => m.id).sort(), ['M-B1', 'M-REV']);
  writeFileSync(path, stringify({ agentId: 'agent-rest', controlPlaneUrl: 'http://127.0.0.1:1', token: 't', siteFile: 'site.yaml' }));
  const rest = loadAgentConfigFile(path, {});
  assert.equal(rest.miners.length, 4);
  assert.deepEqual(rest.meters.map((m) => m.id).sort(), ['M-B2', 'M-B3']);
  writeFileSync(path, stringify({ agentId: 'agent-x', controlPlaneUrl: 'http://127.0.0.1:1', token: 't', siteFile: 'site.yaml' }));
  assert.throws(() => loadAgentConfigFile(path, {}), /agent "agent-x" is not in the site file's agents \(agent-hall, agent-rest\)/);
});
