import type { Actuators } from '../domain/actuator-schema.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SiteFile } from '../domain/site-schema.ts';
import { wrap } from '../lib/errors.ts';
import { logger, type Logger } from '../lib/log.ts';
import type { AgentConfig } from '../../agents/agent.ts';
import { splitGpuHosts } from '../../agents/drivers/dcgm/entry.ts';
import { siteDevices } from '../../agents/drivers/registry.ts';
import { Cleanups, type Running } from './cleanups.ts';
import { devicesOfAgent } from './agent-devices.ts';
import { DeviceOwners } from '../domain/device-owners.ts';
import type { Intervals } from './intervals.ts';
import { Supervised } from './children/supervisor.ts';
import type { TwinChildConfig, TwinChildReady } from './children/twin-child.ts';
import type { AgentChildReady } from './children/agent-child.ts';

/**
 * The site: its twin (virtual miners and meters) and its agents, which poll them and join a
 * control plane at `controlPlaneUrl` — as child processes for `switchyard start`, or in this
 * process for tests. A site file with an `agents` list gets one agent per entry, each with
 * its own halls' devices (agent-devices.ts); without one, one agent holds everything.
 */
export interface SiteOptions {
  site: SiteFile;
  sitePath: string;
  controlPlaneUrl: string;
  /** The agents to run, with their tokens (the control plane minted them). */
  agents: ReadonlyArray<{ agentId: string; token: string }>;
  intervals: Intervals;
  /** 'fork': twin and agent in child processes (npm start); 'inline': in this process (tests). */
  children?: 'fork' | 'inline';
  /**
   * Store-and-forward for the agents: what one could not send (the control plane down, or
   * gone with the parent process) waits in <spoolRoot>/<agentId> and is sent by the next start.
   */
  spoolRoot?: string;
  /** Twin ports; default the site file's (miners :4028 on their loopback addresses). 0: random. */
  minerPort?: number;
  meterPort?: number;
  /** Agent settings (tests): the fail-safe grace, command concurrency. */
  agent?: Partial<Pick<AgentConfig, 'failSafeGraceMs' | 'commandConcurrency' | 'minerTimeoutMs' | 'metricsPort'>>;
  log?: Logger;
}

export interface SiteRun {
  /** The twin's devices as bound (ports), as the agent was given them. */
  devices: TwinChildReady;
  /** Inline mode only: the site twin and the (first) agent. */
  twin?: import('../../simulations/site-twin/twin.ts').Twin;
  agent?: Running;
  /** Each agent's /metrics URL, where it serves one (agent.metricsPort). */
  agentMetricsUrls: string[];
  stop(): Promise<void>;
}

export async function startSite(opts: SiteOptions): Promise<SiteRun> {
  const log = opts.log ?? logger('platform');
  const t0 = Date.now();
  const { site } = opts;
  const cleanups = new Cleanups(log);
  const twinConfig: TwinChildConfig = {
    sitePath: opts.sitePath,
    ...(opts.minerPort !== undefined ? { minerPort: opts.minerPort } : {}),
    ...(opts.meterPort !== undefined ? { meterPort: opts.meterPort } : {}),
  };
  const owners = new DeviceOwners(site);
  const agentConfig = (devices: TwinChildReady, agentId: string, token: string): AgentConfig => devicesOfAgent(site, agentId, {
    agentId,
    siteId: site.site.id,
    controlPlaneUrl: opts.controlPlaneUrl,
    token,
    // Every driver's devices from the site file; the twin's miners and meters (as bound) in
    // place of the file's. The others are the site's real devices (none on the demo site).
    ...siteDevices(site),
    miners: devices.miners,
    meters: devices.meters,
    // The twin's GPU hosts (stand-in nvidia-smi, loopback dcgm-exporter) when it runs them.
    ...(devices.gpuHosts !== undefined ? splitGpuHosts(devices.gpuHosts) : {}),
    minerIntervalMs: opts.intervals.minerMs,
    meterIntervalMs: opts.intervals.meterMs,
    shipIntervalMs: opts.intervals.shipMs,
    ...(opts.spoolRoot !== undefined ? { spoolDir: join(opts.spoolRoot, agentId) } : {}),
    ...(devices.antminerWebPort !== undefined ? { minerWebPort: devices.antminerWebPort } : {}),
    // The twin's PDUs and relays as bound; without a twin serving them, the site file's.
    ...(devices.actuators !== undefined ? { actuators: devices.actuators } : site.actuators !== undefined ? { actuators: site.actuators } : {}),
    ...(opts.agent ?? {}),
  }, owners);

  try {
    const mode = opts.children ?? 'fork';
    const twin = mode === 'fork' ? await forkTwin(twinConfig, log) : await inlineTwin(site, twinConfig);
    cleanups.addChild('site twin', twin.running);
    log.info({ miners: twin.devices.miners.length, meters: twin.devices.meters.length }, 'site twin up');
    // All at once: each agent loads its own devices; the engine fans out to them together.
    const agents = await Promise.all(
      opts.agents.map(async ({ agentId, token }) => {
        const config = agentConfig(twin.devices, agentId, token);
        const agent = mode === 'fork' ? await forkAgent(config, log, opts.agents.length > 1 ? `site-agent ${agentId}` : 'site-agent') : await inlineAgent(config);
        cleanups.addChild(opts.agents.length > 1 ? `site agent ${agentId}` : 'site agent', agent.running);
        log.info({ agentId, miners: config.miners.length, startupMs: Date.now() - t0 }, 'site agent up');
        return agent;
      }),
    );
    const agent = agents[0]?.running;
    const agentMetricsUrls = agents.flatMap((a) => (a.metricsUrl === undefined ? [] : [a.metricsUrl]));

    let stopping: Promise<void> | null = null;
    return {
      devices: twin.devices,
      ...(twin.twin && agent ? { twin: twin.twin, agent } : {}),
      agentMetricsUrls,
      stop: () => {
        stopping ??= cleanups.run();
        return stopping;
      },
    };
  } catch (err) {
    await cleanups.run();
    throw err;
  }
}

interface TwinHandle {
  devices: TwinChildReady;
  running: Running;
  /** The twin itself when it runs in this process (tests reach into it). */
  twin?: import('../../simulations/site-twin/twin.ts').Twin;
}

async function forkTwin(config: TwinChildConfig, log: Logger): Promise<TwinHandle> {
  // A restarted twin must bind the ports the agent was given, so pin them after the first start.
  const pinned: TwinChildConfig = { ...config };
  const twin = new Supervised<TwinChildReady>({
    name: 'site-twin',
    module: new URL('./children/twin-child.ts', import.meta.url),
    startMessage: () => ({ type: 'start', config: pinned }),
    onReady: (ready) => {
      if (ready.miners[0]) pinned.minerPort = ready.miners[0].port;
      if (ready.meters[0]) pinned.meterPort = ready.meters[0].port;
      if (ready.antminerWebPort !== undefined) pinned.antminerWebPort = ready.antminerWebPort;
      if (ready.gpuPort !== undefined) pinned.gpuPort = ready.gpuPort;
      if (ready.actuators !== undefined) pinned.actuatorPorts = actuatorPorts(ready.actuators);
    },
    log,
  });
  try {
    return { devices: await twin.start(), running: twin };
  } catch (err) {
    await twin.stop();
    throw wrap('starting the site twin', err, 'E_CHILD');
  }
}

interface AgentHandle {
  running: Running;
  metricsUrl?: string;
}

async function forkAgent(config: AgentConfig, log: Logger, name: string): Promise<AgentHandle> {
  const agent = new Supervised<AgentChildReady>({
    name,
    module: new URL('./children/agent-child.ts', import.meta.url),
    startMessage: () => ({ type: 'start', config }),
    log,
  });
  try {
    const ready = await agent.start();
    return { running: agent, ...(ready.metricsUrl !== undefined ? { metricsUrl: ready.metricsUrl } : {}) };
  } catch (err) {
    await agent.stop();
    throw wrap('starting the site agent', err, 'E_CHILD');
  }
}

async function inlineTwin(site: SiteFile, config: TwinChildConfig): Promise<TwinHandle> {
  const { startTwin } = await import('../../simulations/site-twin/twin.ts');
  const twin = await startTwin(site, {
    ...(config.minerPort !== undefined ? { minerPort: config.minerPort } : {}),
    ...(config.meterPort !== undefined ? { meterPort: config.meterPort } : {}),
  });
  const devices: TwinChildReady = { miners: twin.miners, meters: twin.meters, ...(twin.antminerWebPort !== undefined ? { antminerWebPort: twin.antminerWebPort } : {}), ...(twin.actuators !== undefined ? { actuators: twin.actuators.actuators } : {}) };
  if (site.gpuHosts.length === 0) return { devices, running: twin, twin };
  // The site's GPU hosts: nvidia-smi stand-ins and dcgm-exporter pages on loopback (gpu-hall.ts).
  const { startTwinGpuHall } = await import('../../simulations/site-twin/gpu-hall.ts');
  const gpuDir = mkdtempSync(join(tmpdir(), 'switchyard-gpu-twin-'));
  const hall = await startTwinGpuHall(site, { dir: gpuDir, ...(config.gpuPort !== undefined ? { port: config.gpuPort } : {}) });
  devices.gpuHosts = hall.gpuHosts;
  const running: Running = {
    stop: async () => {
      await hall.stop();
      rmSync(gpuDir, { recursive: true, force: true });
      await twin.stop();
    },
  };
  return { devices, running, twin };
}

async function inlineAgent(config: AgentConfig): Promise<AgentHandle> {
  const { startAgent } = await import('../../agents/agent.ts');
  const agent = await startAgent(config);
  return { running: agent, ...(agent.metricsUrl !== undefined ? { metricsUrl: agent.metricsUrl } : {}) };
}

/** The ports a twin bound for its PDUs (by id) and relay gateway ("relays"), to pin on a restart. */
function actuatorPorts(a: Actuators): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(a.pdus.map((p) => [p.id, p.port]));
  if (a.relays[0] !== undefined) out.relays = a.relays[0].port;
  return out;
}
