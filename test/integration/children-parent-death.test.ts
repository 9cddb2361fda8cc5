import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../../agents/spool/spool.ts';
import { logger } from '../../services/lib/log.ts';
import { until } from '../support/until.ts';

/**
 * Issue 10, "children die cleanly": kill -9 of `switchyard start` made the twin and the agent
 * crash with ERR_IPC_DISCONNECTED, and the agent dropped 6,389 unsent readings. Now, with the
 * parent killed, both children exit on their own with a clear log line, the agent's unsent
 * readings are in its spool, and the next start sends them.
 */
const BIN = 'services/cli/bin.js';
const SITE = 'test/support/sites/small.yaml';
const AGENT_ID = 'agent-small-test';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: gone, which is what the caller waits for
  }
}

interface LogLine {
  msg: string;
  pid: number;
  component?: string;
  readings?: number;
}

function lines(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** `switchyard start` with its output (and its children's, which inherit it) in a file. */
function start(dataDir: string, logPath: string): ChildProcess {
  const fd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [BIN, 'start', '--site', SITE, '--port', '0'], {
    env: {
      ...process.env,
      SWITCHYARD_DATA_DIR: dataDir,
      SWITCHYARD_TWIN_MINER_PORT: '0',
      SWITCHYARD_TWIN_METER_PORT: '0',
      SWITCHYARD_MINER_INTERVAL_MS: '500',
      SWITCHYARD_METER_INTERVAL_MS: '250',
      // Long enough that readings are always waiting to be shipped when the parent dies.
      SWITCHYARD_SHIP_INTERVAL_MS: '4000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  return child;
}

async function siteVersion(url: string): Promise<number> {
  const res = await fetch(`${url}/api/site`);
  return ((await res.json()) as { version: number }).version;
}

describe('children when the parent is killed', () => {
  test('kill -9 of the parent: twin and agent exit cleanly with a log line; unsent readings are spooled, then sent by the next start', { timeout: 240_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-orphans-'));
    const log1 = join(dataDir, 'first.log');
    const log2 = join(dataDir, 'second.log');
    const spoolDir = join(dataDir, 'spool', AGENT_ID);
    let parent: ChildProcess | undefined = start(dataDir, log1);
    let second: ChildProcess | undefined;
    const readyPid = (path: string, name: string) => lines(path).find((l) => l.msg === `${name} ready`)?.pid;
    try {
      const url = await until('the dashboard URL', () => /dashboard at (http:\/\/\S+?)\/?\s/.exec(readFileSync(log1, 'utf8'))?.[1], 90_000, 200);
      const twinPid = await until('the twin ready', () => readyPid(log1, 'site-twin'), 60_000, 200);
      const agentPid = await until('the agent ready', () => readyPid(log1, 'site-agent'), 60_000, 200);
      // A batch arrived: the next is 4 s away, so readings wait in the agent from here on.
      const v0 = await siteVersion(url);
      await until('a batch from the agent', async () => ((await siteVersion(url)) > v0 ? true : undefined), 30_000, 100);
      await until('readings to wait in the agent', () => lines(log1).some((l) => l.pid === agentPid && /^miner poll: /.test(l.msg)) || undefined, 10_000, 100);

      parent.kill('SIGKILL');
      parent = undefined;
      await until('the twin and the agent to exit', () => (!alive(twinPid) && !alive(agentPid) ? true : undefined), 60_000, 100);

      const out = readFileSync(log1, 'utf8');
      assert.doesNotMatch(out, /ERR_IPC/, 'no child crashed on the closed IPC channel');
      assert.doesNotMatch(out, /Uncaught|unhandled/i);
      for (const [name, pid] of [['site-twin', twinPid], ['site-agent', agentPid]] as const) {
        const own = lines(log1).filter((l) => l.pid === pid).map((l) => l.msg);
        assert.ok(own.includes(`${name}: parent process gone (IPC channel closed); stopping`), `${name} says why it stops`);
        assert.ok(own.includes(`${name}: stopped after parent disconnect; exiting`), `${name} says it stopped cleanly`);
      }
      const spooledLine = lines(log1).find((l) => l.pid === agentPid && l.msg === 'agent stopping with unsent readings: spooled for the next start');
      assert.ok(spooledLine, 'the agent spooled what it had not sent');
      assert.ok(!lines(log1).some((l) => l.msg === 'agent stopped with unsent readings'), 'nothing unsent was dropped');

      const quiet = logger('spool-check');
      quiet.level = 'error';
      const spool = Spool.open({ dir: spoolDir }, quiet);
      const held = spool.stats().readings;
      spool.close();
      assert.ok(held > 0 && held >= (spooledLine.readings ?? 0), `the spool holds the unsent readings (${held}, logged ${spooledLine.readings})`);

      // The next start replays the spool to the control plane; a segment is deleted once every
      // batch in it is acknowledged.
      second = start(dataDir, log2);
      await until('the spool reloaded by the new agent', () => lines(log2).some((l) => l.msg === 'spool reloaded: unsent batches from the last run will be replayed') || undefined, 90_000, 200);
      await until('the spool sent', () => (readdirSync(spoolDir).some((f) => f.startsWith('seg-')) ? undefined : true), 60_000, 200);
      assert.ok(!lines(log2).some((l) => l.msg === 'ingest rejected a batch; dropping it'), 'the control plane took the replayed batches');
    } finally {
      parent?.kill('SIGKILL');
      if (second && second.exitCode === null) {
        const exited = new Promise((resolve) => second!.once('exit', resolve));
        second.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
