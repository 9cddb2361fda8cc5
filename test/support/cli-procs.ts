import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { until } from './until.ts';

/**
 * `switchyard` commands as separate processes, the way an operator runs them (the serve +
 * agent deployment tests): output captured, exit awaited, and the twin + `agent --config`
 * pair joined to a control plane at a URL.
 */
export const CLI_BIN = 'services/cli/bin.js';
/** The small test site both deployment tests run. */
export const SMALL_SITE = resolve('test/support/sites/small.yaml');

export interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, out: () => out, exited: new Promise((done) => child.on('exit', (code) => done(code))) };
}

/** Environment for a control plane that polls and ships fast enough for a test. */
export const FAST_POLL_ENV = { SWITCHYARD_MINER_INTERVAL_MS: '1000', SWITCHYARD_METER_INTERVAL_MS: '500', SWITCHYARD_SHIP_INTERVAL_MS: '500' } as const;

/**
 * Starts `switchyard twin` on free ports, then `switchyard agent --config` (agent
 * agent-small-test, its token file from the control plane's data dir) pointed at the twin and
 * at `controlPlaneUrl`. Both are pushed onto `procs` as they start, for the caller to stop.
 */
export async function startTwinAndAgent(dir: string, controlPlaneUrl: string, procs: Proc[], agentEnv: NodeJS.ProcessEnv = {}): Promise<Proc> {
  const twin = runCli(['twin', '--site', SMALL_SITE, '--miner-port', '0', '--meter-port', '0'], {});
  procs.push(twin);
  const endpoints = await until('the twin endpoints', () => {
    const line = twin.out().split('\n').find((l) => l.startsWith('{"site"'));
    return line ? (JSON.parse(line) as { miners: { groups: Array<{ port: number }> }; meters: Array<{ port: number }> }) : undefined;
  }, 60_000);
  const configPath = join(dir, 'agent.yaml');
  writeFileSync(configPath, stringify({
    agentId: 'agent-small-test',
    controlPlaneUrl,
    tokenFile: 'data/agent-tokens/agent-small-test.token',
    siteFile: SMALL_SITE,
    minerPort: endpoints.miners.groups[0]!.port,
    meterPort: endpoints.meters[0]!.port,
    minerIntervalMs: 1000,
    meterIntervalMs: 500,
    shipIntervalMs: 500,
  }));
  const agent = runCli(['agent', '--config', configPath], agentEnv);
  procs.push(agent);
  return agent;
}

/** SIGTERM in reverse start order; each must exit 0. Returns the first failure's output, if any. */
export async function stopAll(procs: Proc[]): Promise<Array<{ code: number | null; out: string }>> {
  for (const p of [...procs].reverse()) p.child.kill('SIGTERM');
  return Promise.all(procs.map(async (p) => ({ code: await p.exited, out: p.out().slice(-2000) })));
}

/** For a finally block: SIGKILL whatever still runs. */
export function killLeft(procs: Proc[]): void {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}
