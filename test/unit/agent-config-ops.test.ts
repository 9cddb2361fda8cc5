import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadAgentConfigFile } from '../../agents/config-file.ts';
import { startAgent } from '../../agents/agent.ts';
import { parsePrometheus, family } from '../support/prometheus.ts';

const SITE = resolve('test/support/sites/small.yaml');

test('agent config file: metricsPort/metricsHost serve /metrics; spoolDir is relative to the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-agent-ops-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'agent.yaml');
  // The control plane is not there (port 1): the agent spools and keeps serving its metrics.
  writeFileSync(path, stringify({ agentId: 'a1', controlPlaneUrl: 'http://127.0.0.1:1', token: 'sy_x', siteFile: SITE, spoolDir: 'spool', metricsPort: 0, metricsHost: '127.0.0.1', minerIntervalMs: 60_000, meterIntervalMs: 60_000 }));
  const config = loadAgentConfigFile(path, {});
  assert.equal(config.spoolDir, join(dir, 'spool'));
  assert.equal(config.metricsPort, 0);
  const agent = await startAgent({ ...config, commandChannel: false });
  try {
    assert.match(agent.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const m = parsePrometheus(await (await fetch(agent.metricsUrl!)).text());
    assert.equal(family(m, 'switchyard_agent_spool_batches').metrics[0]?.labels?.agent, 'a1');
  } finally {
    await agent.stop();
  }
  writeFileSync(path, stringify({ agentId: 'a1', controlPlaneUrl: 'http://127.0.0.1:1', token: 'sy_x', siteFile: SITE, metricsPort: 70000 }));
  assert.throws(() => loadAgentConfigFile(path, {}), /metricsPort/);
});
