import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { SiteFile } from '../domain/site-schema.ts';
import type { Listening } from '../api/server.ts';
import type { LiveState } from '../telemetry/live-state.ts';
import type { CurtailmentEngine } from '../curtailment/engine.ts';
import { logger } from '../lib/log.ts';
import { startControlPlane, type ControlPlaneOptions } from './control-plane.ts';
import { startSite, type SiteOptions } from './site.ts';
import type { Running } from './cleanups.ts';
import type { TwinChildReady } from './children/twin-child.ts';

export type { Intervals } from './intervals.ts';

/**
 * The embedded demo: the control plane (startControlPlane) and the site twin with its agent
 * (startSite) joining it — as child processes for `switchyard start`, or in this process for
 * tests.
 */
export interface PlatformOptions extends Omit<ControlPlaneOptions, 'agentIds'>, Pick<SiteOptions, 'children' | 'minerPort' | 'meterPort' | 'agent'> {
  /** Where the agent reaches the control plane, given the API's URL (tests put a proxy between). */
  agentControlPlaneUrl?: (apiUrl: string) => string;
}

export interface Platform {
  site: SiteFile;
  app: FastifyInstance;
  listening: Listening;
  live: LiveState;
  /** The first agent (the only one unless the site file lists several). */
  agentId: string;
  /** Every agent the site runs (one per entry of the site file's `agents`). */
  agentIds: string[];
  /** Their /metrics URLs, where they serve one (agent.metricsPort). */
  agentMetricsUrls: string[];
  adminTokenPath: string;
  /** The twin's devices as bound (ports), as the agent was given them. */
  devices: TwinChildReady;
  /** Inline mode only: the site twin, the agent, and the curtailment engine. */
  twin?: import('../../simulations/site-twin/twin.ts').Twin;
  agent?: Running;
  curtailment: CurtailmentEngine;
  stop(): Promise<void>;
}

export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const log = opts.log ?? logger('platform');
  const cp = await startControlPlane(opts);
  const agent = cp.agents[0];
  if (!agent) throw new Error('the control plane minted no agent token');
  let site;
  try {
    site = await startSite({
      site: cp.site,
      sitePath: opts.sitePath,
      controlPlaneUrl: opts.agentControlPlaneUrl ? opts.agentControlPlaneUrl(cp.listening.url) : cp.listening.url,
      agents: cp.agents.map((a) => ({ agentId: a.agentId, token: a.token })),
      intervals: cp.intervals,
      spoolRoot: join(opts.dataDir, 'spool'),
      log,
      ...(opts.children !== undefined ? { children: opts.children } : {}),
      ...(opts.minerPort !== undefined ? { minerPort: opts.minerPort } : {}),
      ...(opts.meterPort !== undefined ? { meterPort: opts.meterPort } : {}),
      ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
    });
  } catch (err) {
    await cp.stop();
    throw err;
  }
  const siteRun = site;
  let stopping: Promise<void> | null = null;
  return {
    site: cp.site,
    app: cp.app,
    listening: cp.listening,
    live: cp.live,
    agentId: agent.agentId,
    agentIds: cp.agents.map((a) => a.agentId),
    agentMetricsUrls: siteRun.agentMetricsUrls,
    adminTokenPath: cp.adminTokenPath,
    devices: siteRun.devices,
    ...(siteRun.twin ? { twin: siteRun.twin } : {}),
    ...(siteRun.agent ? { agent: siteRun.agent } : {}),
    curtailment: cp.curtailment,
    stop: () => {
      stopping ??= (async () => {
        log.info('stopping');
        // The site first: children are told their exit is expected before the API goes away.
        await siteRun.stop();
        await cp.stop();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
