import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startGpuTwin } from '../../simulations/site-twin/gpu-server.ts';

/** `switchyard probe dcgm --url …` against a twin GPU host's dcgm-exporter page on loopback. */
test('switchyard probe dcgm prints one host\'s GPUs as readings', async () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'dcgm-probe-'));
  const twin = await startGpuTwin([{ host: 'gh-1', gpus: 4, workload: 'training' }], { dir });
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'services/cli/bin.js'), 'probe', 'dcgm', '--url', twin.dcgmUrl('gh-1'), '--host', 'gh-1'], { cwd: root });
    const out = JSON.parse(stdout) as { gpus: number; linesLeftOut: string[]; readings: Array<{ kind: string; metrics: Record<string, number> }> };
    assert.equal(out.gpus, 4);
    assert.deepEqual(out.linesLeftOut, []);
    assert.ok(out.readings.every((r) => r.kind === 'gpu' && r.metrics.power_w !== undefined && r.metrics.xid_last_code === 0));
  } finally {
    await twin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
