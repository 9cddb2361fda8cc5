import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { nvidiaSmiDriver } from '../../agents/drivers/nvidia-smi/driver.ts';
import { logger } from '../../services/lib/log.ts';
import { requireFixtures } from '../support/fixtures.ts';

/** The nvidia-smi device driver: one reading per GPU, offline for a host never heard from, power limit kept. */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const CSV = resolve(repoRoot, '../shared/fixtures/nvidia/csv/gpuexporter_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.csv');
const skip = requireFixtures(CSV);
const dir = mkdtempSync(join(tmpdir(), 'switchyard-nvdriver-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const log = logger('test');
log.level = 'silent';
const opts = () => ({ timeoutMs: 5_000, signal: new AbortController().signal });

test('a host gives one reading per GPU and its power limit is re-applied when it drifted', { skip }, async () => {
  const state = join(dir, 'pl-state');
  const calls = join(dir, 'pl-calls');
  writeFileSync(state, '700.00');
  const smi = join(dir, 'nvidia-smi');
  writeFileSync(
    smi,
    `#!/bin/bash
case "$1" in --query-gpu=*) exec cat '${CSV}';; esac
echo "$@" >> ${calls}
if [ "$3" = "-pl" ]; then echo "$4" > ${state}; exit 0; fi
pl=$(cat ${state})
echo "index, power.limit [W], enforced.power.limit [W], power.min_limit [W], power.max_limit [W], power.default_limit [W]"
echo "$2, $pl W, $pl W, 200.00 W, 700.00 W, 700.00 W"
`,
  );
  chmodSync(smi, 0o755);
  const host = { id: 'rig-1', blockId: 'B1', host: 'rig-1', nvidiaSmiPath: smi, powerLimitW: 450 };
  const driver = nvidiaSmiDriver([host], log);
  const readings = await driver.read(host, opts());
  assert.equal(readings.length, 1);
  assert.equal(readings[0]?.kind, 'gpu');
  assert.equal(readings[0]?.blockId, 'B1');
  assert.ok((readings[0]?.metrics.power_w ?? 0) > 0);
  await driver.close();
  assert.equal(readFileSync(state, 'utf8').trim(), '450.00');
  assert.ok(readFileSync(calls, 'utf8').includes('-i 0 -pl 450.00'));
});

test('a host that never answered is one offline reading under its own id, no metrics', async () => {
  const host = { id: 'rig-x', blockId: 'B1', host: 'rig-x', nvidiaSmiPath: join(dir, 'missing', 'nvidia-smi') };
  const driver = nvidiaSmiDriver([host], log);
  const [r, ...rest] = await driver.read(host, opts());
  assert.equal(rest.length, 0);
  assert.equal(r?.deviceId, 'rig-x');
  assert.equal(r?.status, 'offline');
  assert.deepEqual(r?.metrics, {});
  assert.match(r?.error ?? '', /calling "nvidia-smi" failed: .*not found/);
});
