import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { GpuHostPoller, runNvidiaSmi } from '../../agents/drivers/nvidia-smi/gather.ts';
import { PowerLimitKeeper, readPowerLimits, setPowerLimit } from '../../agents/drivers/nvidia-smi/power-limit.ts';
import { logger } from '../../services/lib/log.ts';
import { requireFixtures } from '../support/fixtures.ts';

/**
 * gather.ts and power-limit.ts against stand-in `nvidia-smi` shell scripts (there is no GPU
 * here): one prints a real recording or hangs ignoring SIGTERM, one keeps a power limit in a
 * file and records each -pl call. Parsing itself is tested on every recording elsewhere.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = resolve(repoRoot, '../shared/fixtures/nvidia');
const skip = requireFixtures(FIXTURES);
const dir = mkdtempSync(join(tmpdir(), 'switchyard-nvsmi-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const log = logger('test');
log.level = 'silent';

function fakeNvidiaSmi(name: string, body: string): string {
  mkdirSync(join(dir, name), { recursive: true });
  const path = join(dir, name, 'nvidia-smi');
  writeFileSync(path, `#!/bin/bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('nvidia-smi gather', { skip }, () => {
  test('a hung nvidia-smi is killed at its deadline (SIGKILL after SIGTERM is ignored) and reported with context', async () => {
    const pidFile = join(dir, 'hung.pid');
    const hung = fakeNvidiaSmi('hung', `echo $$ > ${pidFile}\ntrap '' TERM\nwhile :; do sleep 0.05; done`);
    await assert.rejects(runNvidiaSmi(['-q'], { path: hung, timeoutMs: 300, killGraceMs: 200 }), (err: Error) => {
      assert.match(err.message, /^calling "nvidia-smi" failed: timed out after 300 ms/);
      return true;
    });
    // It ignored SIGTERM, so only the SIGKILL can have ended it: the process is gone.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0);
    assert.throws(() => process.kill(pid, 0), (err: NodeJS.ErrnoException) => err.code === 'ESRCH');
  });

  test('a failing host keeps its GPUs last readings, marked stale, never zero; another host is unaffected', async () => {
    const mode = join(dir, 'mode');
    writeFileSync(mode, 'ok');
    const dual = join(FIXTURES, 'xml', 'telegraf_dual_a5000-v13.xml');
    const flaky = fakeNvidiaSmi('flaky', `if [ "$(cat ${mode})" = hang ]; then trap '' TERM; while :; do sleep 0.05; done; fi\ncat ${dual}`);
    const steady = fakeNvidiaSmi('steady', `cat ${join(FIXTURES, 'csv', 'gpuexporter_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.csv')}`);
    const hostA = new GpuHostPoller({ host: 'rig-a', path: flaky, format: 'xml', timeoutMs: 400, killGraceMs: 100 }, log);
    const hostB = new GpuHostPoller({ host: 'rig-b', path: steady, timeoutMs: 2_000 }, log);

    const first = await hostA.poll(1_000);
    assert.equal(first.error, undefined);
    assert.equal(first.readings.length, 2);
    writeFileSync(mode, 'hang');
    const [stale, other] = await Promise.all([hostA.poll(2_000), hostB.poll(2_000)]);
    assert.match(stale.error ?? '', /calling "nvidia-smi" failed: timed out after 400 ms/);
    assert.equal(stale.readings.length, 2, 'both GPUs of the host are still reported');
    stale.readings.forEach((r, i) => {
      const before = first.readings[i]!;
      assert.equal(r.status, before.status, 'status stays what it was');
      assert.deepEqual(r.metrics, before.metrics, 'values kept, not zeroed');
      assert.equal(r.atMs, 1_000, 'the time they were measured');
      assert.equal(r.labels?.stale, 'true');
      assert.equal(r.labels?.stale_age_ms, '1000');
      assert.match(r.error ?? '', /timed out/);
    });
    assert.ok(stale.readings.every((r) => (r.metrics.power_w ?? 0) > 0));
    assert.equal(other.error, undefined);
    assert.equal(other.readings[0]?.metrics.power_w, 631.95);
    assert.equal(other.readings[0]?.labels?.stale, undefined);

    writeFileSync(mode, 'ok');
    const back = await hostA.poll(3_000);
    assert.equal(back.error, undefined);
    assert.ok(back.readings.every((r) => r.labels?.stale === undefined && r.atMs === 3_000));
  });

  test('a missing binary and a failing one say what was called', async () => {
    await assert.rejects(runNvidiaSmi(['-q'], { path: join(dir, 'nope', 'nvidia-smi') }), /calling "nvidia-smi" failed: .*not found/);
    const broken = fakeNvidiaSmi('broken', `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." ; exit 9`);
    await assert.rejects(runNvidiaSmi(['-q'], { path: broken }), /calling "nvidia-smi" failed: exit code 9: NVIDIA-SMI has failed/);
    const poller = new GpuHostPoller({ host: 'rig-c', path: broken }, log);
    const res = await poller.poll();
    assert.deepEqual(res.readings, [], 'nothing known yet: no readings, not zeros');
    assert.match(res.error ?? '', /exit code 9/);
  });
});

describe('GPU power limit', () => {
  // Min 200 W, max 700 W (the H100 recordings); the limit lives in a file; -pl calls are logged.
  const state = join(dir, 'pl-state');
  const calls = join(dir, 'pl-calls');
  const smi = fakeNvidiaSmi(
    'pl',
    `echo "$@" >> ${calls}
if [ "$3" = "-pl" ]; then echo "$4" > ${state}; echo "Power limit for GPU 00000000:00:09.0 was set to $4 W from $(cat ${state}) W."; exit 0; fi
pl=$(cat ${state})
echo "index, power.limit [W], enforced.power.limit [W], power.min_limit [W], power.max_limit [W], power.default_limit [W]"
echo "$2, $pl W, $pl W, 200.00 W, 700.00 W, 700.00 W"`,
  );
  const plCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter((l) => l.includes('-pl')) : []);

  test('sets within range and reads it back', async () => {
    writeFileSync(state, '700.00');
    const res = await setPowerLimit(0, 450, { path: smi });
    assert.equal(res.before.enforcedW, 700);
    assert.equal(res.after.enforcedW, 450);
    assert.deepEqual(plCalls(), ['-i 0 -pl 450.00']);
    assert.equal((await readPowerLimits(0, { path: smi })).enforcedW, 450);
  });

  test('refuses out of range before running -pl', async () => {
    const before = plCalls().length;
    await assert.rejects(setPowerLimit(0, 150, { path: smi }), /refused: outside the GPU's range 200–700 W/);
    await assert.rejects(setPowerLimit(0, 701, { path: smi }), /refused: outside the GPU's range 200–700 W/);
    assert.equal(plCalls().length, before, 'no -pl call was made');
  });

  test('the keeper re-applies a limit that drifted and reports it', async () => {
    writeFileSync(state, '450.00');
    const keeper = new PowerLimitKeeper({ path: smi, targets: new Map([[0, 450]]), intervalMs: 60_000 }, log);
    const steady = await keeper.check();
    assert.deepEqual(steady.map((r) => [r.action, r.foundW]), [['in-place', 450]]);
    writeFileSync(state, '700.00'); // driver reload reset it to the default
    const before = plCalls().length;
    const fixed = await keeper.check();
    assert.deepEqual(fixed.map((r) => [r.index, r.action, r.foundW, r.targetW]), [[0, 'reapplied', 700, 450]]);
    assert.equal(plCalls().length, before + 1);
    assert.equal(readFileSync(state, 'utf8').trim(), '450.00');
    assert.deepEqual(keeper.reports(), fixed);
  });
});

describe('nvidia-smi gather: a bad row', { skip }, () => {
  test('costs that GPU only: the other GPUs of the host are read, the error is logged once', async () => {
    const csv = readFileSync(join(FIXTURES, 'csv', 'gpuexporter_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.csv'), 'utf8').trimEnd().split('\n');
    const file = join(dir, 'bad-row.csv');
    writeFileSync(file, `${[csv[0], csv[1], 'GPU 00000000:1A:00.0: Unknown Error', csv[1]?.replace(' 0, [Requested', ' 1, [Requested')].join('\n')}\n`);
    const path = fakeNvidiaSmi('bad-row', `cat ${file}`);
    const warned: string[] = [];
    const spy = Object.assign(Object.create(log) as typeof log, { warn: (_o: unknown, msg: string) => warned.push(msg) });
    const host = new GpuHostPoller({ host: 'rig-c', path, timeoutMs: 2_000 }, spy);
    const first = await host.poll(1_000);
    assert.equal(first.error, undefined);
    assert.deepEqual(first.readings.map((r) => r.labels?.index), ['0', '1']);
    await host.poll(2_000);
    assert.deepEqual(warned, ['nvidia-smi output from rig-c: 1 row(s) left out']);
  });
});
