import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../support/until.ts';

/** `switchyard start` as a user runs it: a real process with its twin and agent children. */

const BIN = 'services/cli/bin.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: gone, which is what the caller checks for
  }
}



describe('switchyard start', () => {
  test('a malformed site file exits non-zero, names file:line:key, and writes nothing', () => {
    const dataDir = join(tmpdir(), `switchyard-never-${process.pid}`);
    const res = spawnSync(process.execPath, [BIN, 'start', '--site', 'test/support/sites/bad-schema.yaml', '--port', '0'], {
      env: { ...process.env, SWITCHYARD_DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /bad-schema\.yaml:\d+:\d+: blocks\[0\]\.colour: unknown key "colour"/);
    assert.equal(existsSync(dataDir), false, 'the data dir was not created');
  });

  test('runs twin and agent as children, restarts a crashed child, and stops them all on SIGTERM', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-start-'));
    const child = spawn(process.execPath, [BIN, 'start', '--site', 'test/support/sites/small.yaml', '--port', '0'], {
      env: {
        ...process.env,
        SWITCHYARD_DATA_DIR: dataDir,
        SWITCHYARD_TWIN_MINER_PORT: '0',
        SWITCHYARD_TWIN_METER_PORT: '0',
        SWITCHYARD_MINER_INTERVAL_MS: '1000',
        SWITCHYARD_METER_INTERVAL_MS: '500',
        SWITCHYARD_SHIP_INTERVAL_MS: '500',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const readyPids = (name: string) =>
      out
        .split('\n')
        .filter((l) => l.includes(`"msg":"${name} ready"`))
        .map((l) => (JSON.parse(l) as { pid: number }).pid);
    try {
      const url = await until('the dashboard URL', () => /dashboard at (http:\/\/\S+?)\/?\s/.exec(out)?.[1], 60_000);
      const siteMw = async () => {
        const res = await fetch(`${url}/api/site`);
        const body = (await res.json()) as { version: number; totals: { powerMw: number | null } };
        return body;
      };
      await until('live site power', async () => ((await siteMw()).totals.powerMw !== null ? true : undefined), 30_000);
      assert.ok(out.includes('Admin token (shown once'), 'the admin token is printed at first start');

      const [twinPid] = readyPids('site-twin');
      const [agentPid] = readyPids('site-agent');
      assert.ok(twinPid && agentPid);
      process.kill(twinPid, 'SIGKILL');
      await until('the twin restarted', () => (readyPids('site-twin').length === 2 ? true : undefined), 30_000);
      const newTwinPid = readyPids('site-twin')[1]!;
      assert.notEqual(newTwinPid, twinPid);
      const versionAfterRestart = (await siteMw()).version;
      await until('batches after the restart', async () => ((await siteMw()).version > versionAfterRestart + 2 ? true : undefined), 30_000);

      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(alive(newTwinPid), false, 'twin stopped');
      assert.equal(alive(agentPid), false, 'agent stopped');
      assert.match(out, /"msg":"stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
