import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Platform } from '../../services/platform/platform.ts';
import { until } from '../support/until.ts';

/**
 * The whole platform on the AI hall test site: the twin runs the site's GPU hosts, the agent
 * polls them the way the site file says (gh-a1-02 through its dcgm-exporter page, the others
 * by running the nvidia-smi stand-in), the control plane loads the tenant ledger, evaluates
 * alerts and serves the AI hall page.
 */
describe('platform with the AI hall', { timeout: 120_000 }, () => {
  let platform: Platform;
  let dataDir: string;

  before(async () => {
    const { startPlatform } = await import('../../services/platform/platform.ts');
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-ai-platform-'));
    platform = await startPlatform({
      sitePath: 'test/support/sites/ai-hall.yaml',
      port: 0,
      host: '127.0.0.1',
      dataDir,
      env: { SWITCHYARD_TENANTS_FILE: 'test/support/tenants/ai-hall-tenants.yaml' },
      children: 'inline',
      minerPort: 0,
      meterPort: 0,
      intervals: { minerMs: 1000, meterMs: 500, shipMs: 500 },
      print: () => undefined,
    });
  });
  after(async () => {
    await platform?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('GPU hosts report through the agent; tenants and alerts are served', async () => {
    const url = platform.listening.url;
    const body = await until('three GPU hosts online with 8 GPUs each', async () => {
      const res = await fetch(`${url}/api/gpus`);
      const b = (await res.json()) as { hosts: Array<{ host: string; status: string; gpus: unknown[] }> };
      return b.hosts.length === 3 && b.hosts.every((h) => h.status === 'online' && h.gpus.length === 8) ? b : false;
    }, 60_000, 500);
    assert.deepEqual(body.hosts.map((h) => h.host).sort(), ['gh-a1-01', 'gh-a1-02', 'gh-a2-01']);
    // Both paths give the same readings: the dcgm host's GPUs carry the same metric names.
    const reading = platform.live.readingsInBlock('A1').find((r) => r.labels?.host === 'gh-a1-02');
    assert.ok(reading?.metrics.xid_last_code !== undefined, 'read through dcgm-exporter (XID only comes from there)');
    const smiReading = platform.live.readingsInBlock('A1').find((r) => r.labels?.host === 'gh-a1-01');
    assert.equal(smiReading?.metrics.xid_last_code, undefined, 'read through nvidia-smi');
    const tenants = (await (await fetch(`${url}/api/tenants`)).json()) as { tenants: Array<{ id: string }> };
    assert.deepEqual(tenants.tenants.map((t) => t.id), ['fluid', 'hyperscaler']);
    const alerts = await fetch(`${url}/api/alerts`);
    assert.equal(alerts.status, 200);
    const page = await fetch(`${url}/ai/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /AI hall/);
  });
});
