import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { until } from '../support/until.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { startTwin } from '../../simulations/site-twin/twin.ts';
import { EXIT_ADDRESS_IN_USE } from '../../services/cli/main.ts';

/**
 * The twin is a guest on the machine: a second platform beside a first one starts (its twin
 * takes free ports when the site file's are held), and one that cannot have its API port
 * fails with one line and exit status 3, never a stack trace.
 */

const SITE = 'test/support/sites/small.yaml';

function holdPort(host: string): Promise<Server & { port: number }> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve(Object.assign(server, { port: (server.address() as { port: number }).port })));
  });
}

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function startCli(port: number, env: Record<string, string> = {}): Run & { dataDir: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-two-'));
  const child = spawn(process.execPath, ['services/cli/bin.js', 'start', '--site', SITE, '--port', String(port)], {
    env: { ...process.env, SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_LOG_FORMAT: 'json', LOG_LEVEL: 'warn', SWITCHYARD_MINER_INTERVAL_MS: '1000', SWITCHYARD_SHIP_INTERVAL_MS: '500', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = { child, stdout: '', stderr: '', dataDir, exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
  return run;
}

describe('two platforms on one machine', { timeout: 180_000 }, () => {
  const runs: Array<Run & { dataDir: string }> = [];
  after(async () => {
    for (const r of runs) {
      if (r.child.exitCode === null) r.child.kill('SIGTERM');
      await r.exited;
      rmSync(r.dataDir, { recursive: true, force: true });
    }
  });

  it('the twin takes a free port when the site file port is held, and says so', async () => {
    const held = await holdPort('0.0.0.0');
    const site = loadSiteFile(SITE);
    for (const b of site.blocks) for (const g of b.miners) g.network.port = held.port;
    const warnings: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => warnings.push(msg), info: () => undefined, debug: () => undefined, error: () => undefined, child: () => log } as unknown as import('../../services/lib/log.ts').Logger;
    const twin = await startTwin(site, { log, meterPort: 0 });
    try {
      assert.ok(twin.miners.every((m) => m.port !== held.port && m.port > 0), 'every miner moved off the held port');
      assert.equal(new Set(twin.miners.map((m) => m.port)).size, 1);
      assert.ok(warnings.some((w) => w.includes(`port ${held.port} is in use`)), warnings.join('\n'));
    } finally {
      await twin.stop();
    }
    // Asked for explicitly, the port must be had: the caller hears why.
    await assert.rejects(startTwin(loadSiteFile(SITE), { log, minerPort: held.port, meterPort: 0 }), /EADDRINUSE/);
    held.close();
  });

  it('a second `switchyard start` beside a first one starts and reads its own twin; one on a taken API port exits 3 with one line', async () => {
    const first = startCli(0);
    runs.push(first);
    const urlOf = (r: Run) => /dashboard at (http:\/\/[^/\s]+)\//.exec(r.stdout)?.[1];
    const firstUrl = await until('the first platform is running', () => urlOf(first) ?? (first.child.exitCode !== null ? Promise.reject(new Error(first.stderr)) : undefined), 90_000);
    const second = startCli(0);
    runs.push(second);
    const secondUrl = await until('the second platform is running', () => urlOf(second) ?? (second.child.exitCode !== null ? Promise.reject(new Error(`second exited ${second.child.exitCode}: ${second.stderr}`)) : undefined), 90_000);
    assert.notEqual(firstUrl, secondUrl);
    for (const url of [firstUrl, secondUrl]) {
      await until(`${url} reads its twin`, async () => {
        const site = (await (await fetch(`${url}/api/site`)).json()) as { totals: { powerW: number | null; miners: { online: number } } };
        return site.totals.powerW !== null && site.totals.miners.online === 20 ? true : undefined;
      }, 60_000, 250);
    }

    const port = Number(new URL(firstUrl).port);
    const third = startCli(port);
    runs.push(third);
    const code = await third.exited;
    assert.equal(code, EXIT_ADDRESS_IN_USE, third.stderr);
    const last = third.stderr.trim().split('\n').at(-1)!;
    assert.match(last, new RegExp(`^switchyard: listening on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*another Switchyard on this machine\\?`));
    assert.doesNotMatch(third.stderr + third.stdout, /ERR_IPC|node:internal|^\s+at /m, 'no stack trace, no crashed child');

    for (const r of [first, second]) {
      r.child.kill('SIGTERM');
      assert.equal(await r.exited, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /ERR_IPC|node:internal/);
    }
  });
});
