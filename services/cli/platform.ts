import { mkdirSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { loadSiteFile } from '../domain/load-site.ts';
import { gpuHostDevices, snmpDevices, type MeterDevice, type MinerDevice } from '../domain/devices.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import { openStore } from '../store/sqlite.ts';
import { createHistory } from '../telemetry/index.ts';
import { createQueue } from '../queue/index.ts';
import { PlanService, type PlanJob } from '../scheduler/plan-service.ts';
import { AgentHub } from '../curtailment/agent-hub.ts';
import { CurtailmentEngine, type CurtailJob } from '../curtailment/engine.ts';
import { curtailmentSettings, startSources } from '../curtailment/sources/start-sources.ts';
import { LiveState } from '../telemetry/live-state.ts';
import { ControlPlaneMetrics } from '../metrics/control-plane.ts';
import { buildApp } from '../api/app.ts';
import { listen, type Listening } from '../api/server.ts';
import { TokenStore } from '../api/auth/tokens.ts';
import { ensureAdminToken, ensureAgentToken } from '../api/auth/bootstrap.ts';
import { errorMessage, wrap } from '../lib/errors.ts';
import { logger, type Logger } from '../lib/log.ts';
import type { AgentConfig } from '../../agents/agent.ts';
import { Supervised } from './children/supervisor.ts';
import type { TwinChildConfig, TwinChildReady } from './children/twin-child.ts';

/**
 * The whole platform on embedded defaults: records store, history, queue, API, and the site
 * twin and agent — as child processes for `switchyard start`, or in this process for tests.
 */
export interface PlatformOptions {
  sitePath: string;
  port: number;
  host: string;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** 'fork': twin and agent in child processes (npm start); 'inline': in this process (tests). */
  children?: 'fork' | 'inline';
  /** Twin ports; default the site file's (miners :4028 on their loopback addresses). 0: random. */
  minerPort?: number;
  meterPort?: number;
  intervals?: Partial<Intervals>;
  /** Engine settings (tests and benchmarks tune deadlines and windows). */
  curtailment?: Partial<Pick<import('../curtailment/engine.ts').EngineOptions, 'deviceTimeoutMs' | 'attempts' | 'agentWaitMs' | 'toleranceW' | 'confirmWindowMs' | 'maxTopUps' | 'restore' | 'supervisorMs'>>;
  /** Where the agent reaches the control plane, given the API's URL (tests put a proxy between). */
  agentControlPlaneUrl?: (apiUrl: string) => string;
  /** Agent settings (tests): the fail-safe grace, command concurrency. */
  agent?: Partial<Pick<AgentConfig, 'failSafeGraceMs' | 'commandConcurrency' | 'minerTimeoutMs' | 'metricsPort'>>;
  /** Where the one-time admin token banner goes (default stdout). */
  print?: (text: string) => void;
  log?: Logger;
}

export interface Intervals {
  minerMs: number;
  meterMs: number;
  shipMs: number;
}

export interface Platform {
  site: SiteFile;
  app: FastifyInstance;
  listening: Listening;
  live: LiveState;
  agentId: string;
  adminTokenPath: string;
  /** The twin's devices as bound (ports), as the agent was given them. */
  devices: TwinChildReady;
  /** Inline mode only: the site twin, the agent, and the curtailment engine. */
  twin?: import('../../simulations/site-twin/twin.ts').Twin;
  agent?: Running;
  curtailment: CurtailmentEngine;
  stop(): Promise<void>;
}

const DEFAULT_INTERVALS: Intervals = { minerMs: 30_000, meterMs: 2_000, shipMs: 2_000 };

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}="${v}" is not a non-negative integer`);
  return n;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

interface Running {
  stop(): Promise<void>;
  /** Supervised children: stop restarting them (see Supervised.expectExit). */
  expectExit?(): void;
}

export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? logger('platform');
  const t0 = Date.now();
  // The site file first: a bad one stops us before the data dir exists.
  const site = loadSiteFile(opts.sitePath);
  log.info({ site: site.site.id, file: opts.sitePath, blocks: site.blocks.length }, 'site file valid');

  const intervals: Intervals = {
    minerMs: opts.intervals?.minerMs ?? envInt(env, 'SWITCHYARD_MINER_INTERVAL_MS') ?? DEFAULT_INTERVALS.minerMs,
    meterMs: opts.intervals?.meterMs ?? envInt(env, 'SWITCHYARD_METER_INTERVAL_MS') ?? DEFAULT_INTERVALS.meterMs,
    shipMs: opts.intervals?.shipMs ?? envInt(env, 'SWITCHYARD_SHIP_INTERVAL_MS') ?? DEFAULT_INTERVALS.shipMs,
  };

  const cleanups: Array<{ what: string; run: () => Promise<void> | void }> = [];
  const children: Running[] = [];
  const cleanup = async () => {
    for (const c of children) c.expectExit?.();
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c.run();
      } catch (err) {
        log.error({ err }, `stopping ${c.what} failed: ${errorMessage(err)}`);
      }
    }
  };

  try {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const store = openStore({ dataDir: opts.dataDir });
    cleanups.push({ what: 'records store', run: () => store.close() });
    const history = createHistory({ dataDir: opts.dataDir, env });
    cleanups.push({ what: 'history', run: async () => { await history.flush(); await history.close(); } });
    // The command queue is opened here so a bad REDIS_URL fails at start; the scheduler and
    // curtailment engine that fill it come later.
    const queue = createQueue<unknown>('commands', { env });
    cleanups.push({ what: 'queue', run: () => queue.close() });
    const queueKind = queue.kind;
    log.info({ dataDir: opts.dataDir, history: history.kind, queue: queueKind }, 'stores open');

    const tokens = new TokenStore(store.db);
    const agentId = `agent-${site.site.id}`;
    const admin = ensureAdminToken(tokens, opts.dataDir, log, opts.print);
    const agentToken = ensureAgentToken(tokens, opts.dataDir, agentId, log);

    const live = new LiveState(site, {
      staleAfterMs: 3 * intervals.minerMs + intervals.shipMs,
      staleAfterMsByKind: { meter: Math.max(10_000, 3 * intervals.meterMs + intervals.shipMs) },
      ...(envInt(env, 'SWITCHYARD_MINER_HISTORY_MS') !== undefined ? { minerHistoryEveryMs: envInt(env, 'SWITCHYARD_MINER_HISTORY_MS') } : {}),
    });
    const onFirst = () => {
      const snap = live.snapshot();
      if (snap.powerW === null) return;
      live.off('change', onFirst);
      log.info({ powerMw: snap.powerW / 1e6, afterStartMs: Date.now() - t0 }, 'first live site power');
    };
    live.on('change', onFirst);
    const metrics = new ControlPlaneMetrics({ live });

    // The dispatch plan: a repeatable job on its own queue (BullMQ when REDIS_URL is set).
    const planQueue = metrics.instrument(createQueue<PlanJob>('plans', { env, keepCompleted: 50, keepFailed: 50 }));
    cleanups.push({ what: 'plan queue', run: () => planQueue.close() });
    const planner = new PlanService({
      site,
      sitePath: opts.sitePath,
      db: store.db,
      queue: planQueue,
      log: logger('scheduler'),
      currentLoadMw: () => {
        const w = live.snapshot().powerW;
        return w === null ? null : w / 1e6;
      },
    });

    // Curtailment: commands go to the agents over their channels; steps run as queue jobs.
    const agentHub = new AgentHub(logger('agent-hub'));
    cleanups.push({ what: 'agent channels', run: () => agentHub.closeAll() });
    const curtailQueue = metrics.instrument(createQueue<CurtailJob>('curtailment', { env, keepCompleted: 200, keepFailed: 200 }));
    cleanups.push({ what: 'curtailment queue', run: () => curtailQueue.close() });
    const cs = curtailmentSettings(site);
    const curtailment = new CurtailmentEngine({
      site,
      db: store.db,
      live,
      hub: agentHub,
      queue: curtailQueue,
      log: logger('curtailment'),
      restore: { rampMwPerMin: cs.restoreRampMwPerMin, staggerMs: cs.restoreStaggerSeconds * 1000, minOffMs: cs.minOffMinutes * 60_000 },
      ...(opts.curtailment ?? {}),
    });

    metrics.watchPlanner(planQueue, () => planner.latest());
    metrics.watchCurtailment(curtailment, log);
    const app = await buildApp({
      site,
      db: store.db,
      history,
      kinds: { store: 'sqlite', queue: queueKind },
      version: packageVersion(),
      readRequiresToken: env.SWITCHYARD_READ_REQUIRES_TOKEN === '1',
      live,
      tokens,
      log: logger('api'),
      planner,
      curtailment,
      agentHub,
      metrics,
    });
    cleanups.push({ what: 'api', run: () => app.close() });
    const listening = await listen(app, { port: opts.port, host: opts.host });
    log.info({ url: listening.url }, 'api listening');
    await planner.start();
    cleanups.push({ what: 'planner', run: () => planner.stop() });
    await curtailment.start();
    cleanups.push({ what: 'curtailment engine', run: () => curtailment.stop() });
    const sources = startSources(site, curtailment, live, env, logger('curtailment'));
    cleanups.push({ what: 'curtailment sources', run: () => sources.stop() });
    if (sources.names.length) log.info({ sources: sources.names }, 'curtailment event sources started');

    const twinConfig: TwinChildConfig = {
      sitePath: opts.sitePath,
      ...(opts.minerPort !== undefined ? { minerPort: opts.minerPort } : {}),
      ...(opts.meterPort !== undefined ? { meterPort: opts.meterPort } : {}),
    };
    const agentConfig = (devices: TwinChildReady): AgentConfig => ({
      agentId,
      siteId: site.site.id,
      controlPlaneUrl: opts.agentControlPlaneUrl ? opts.agentControlPlaneUrl(listening.url) : listening.url,
      token: agentToken,
      miners: devices.miners,
      meters: devices.meters,
      // Not simulated by the twin: these are the site's real devices (none on the demo site).
      snmpDevices: snmpDevices(site),
      gpuHosts: gpuHostDevices(site),
      minerIntervalMs: intervals.minerMs,
      meterIntervalMs: intervals.meterMs,
      shipIntervalMs: intervals.shipMs,
      ...(devices.antminerWebPort !== undefined ? { minerWebPort: devices.antminerWebPort } : {}),
      ...(opts.agent ?? {}),
    });

    const mode = opts.children ?? 'fork';
    const twin = mode === 'fork' ? await forkTwin(twinConfig, log) : await inlineTwin(site, twinConfig);
    children.push(twin.running);
    cleanups.push({ what: 'site twin', run: () => twin.running.stop() });
    log.info({ miners: twin.devices.miners.length, meters: twin.devices.meters.length }, 'site twin up');
    const agent = mode === 'fork' ? await forkAgent(agentConfig(twin.devices), log) : await inlineAgent(agentConfig(twin.devices));
    children.push(agent);
    cleanups.push({ what: 'site agent', run: () => agent.stop() });
    log.info({ agentId, startupMs: Date.now() - t0 }, 'site agent up');

    let stopping: Promise<void> | null = null;
    return {
      site,
      app,
      listening,
      live,
      agentId,
      adminTokenPath: admin.path,
      devices: twin.devices,
      ...(twin.twin ? { twin: twin.twin, agent } : {}),
      curtailment,
      stop: () => {
        stopping ??= (async () => {
          log.info('stopping');
          live.off('change', onFirst);
          await cleanup();
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await cleanup();
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

async function forkAgent(config: AgentConfig, log: Logger): Promise<Running> {
  const agent = new Supervised<unknown>({
    name: 'site-agent',
    module: new URL('./children/agent-child.ts', import.meta.url),
    startMessage: () => ({ type: 'start', config }),
    log,
  });
  try {
    await agent.start();
    return agent;
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
  const devices: TwinChildReady = { miners: twin.miners, meters: twin.meters, ...(twin.antminerWebPort !== undefined ? { antminerWebPort: twin.antminerWebPort } : {}) };
  return { devices, running: twin, twin };
}

async function inlineAgent(config: AgentConfig): Promise<Running> {
  const { startAgent } = await import('../../agents/agent.ts');
  return startAgent(config);
}
