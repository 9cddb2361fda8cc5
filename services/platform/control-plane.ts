import { actuatorInrushLimits } from './actuator-limits.ts';
import { mkdirSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { loadSiteFile } from '../domain/load-site.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import { createHistory } from '../telemetry/index.ts';
import { createQueue } from '../queue/index.ts';
import { PlanService, type PlanJob } from '../scheduler/plan-service.ts';
import { AgentHub } from '../curtailment/agent-hub.ts';
import { CurtailmentEngine, type CurtailJob, type EngineOptions } from '../curtailment/engine.ts';
import { curtailmentSettings, startSources } from '../curtailment/sources/start-sources.ts';
import { LiveState } from '../telemetry/live-state.ts';
import { ControlPlaneMetrics } from '../metrics/control-plane.ts';
import { openRecords } from './records.ts';
import { tlsFromEnv } from './tls.ts';
import { buildApp } from '../api/app.ts';
import { companyPathFor, startFinance } from '../finance/finance-service.ts';
import { listen, type Listening } from '../api/server.ts';
import { TokenStore } from '../api/auth/tokens.ts';
import { agentTokenPath, ensureAdminToken, ensureAgentToken } from '../api/auth/bootstrap.ts';
import { logger, type Logger } from '../lib/log.ts';
import { startAiHallServices } from '../alerts/ai-hall.ts';
import { watchPriceFeed } from '../alerts/price-feed.ts';
import { buildLiveFeed } from '../market/start-feed.ts';
import { loadCompanyFile } from '../finance/load-company.ts';
import { clockSkewFromEnv } from '../api/ingest/screen.ts';
import { rateLimitFromEnv } from '../api/security.ts';
import { webhookAuthFromEnv } from '../api/webhook-signature.ts';
import { SimulationService, type SimulationJob } from '../../simulations/finance/service.ts';
import { Cleanups } from './cleanups.ts';
import { envInt, resolveIntervals, type Intervals } from './intervals.ts';

/**
 * The control plane alone: records store, history, queues, API, scheduler, curtailment engine
 * and event sources. No twin and no agent: agents join over HTTP with their tokens.
 */
export interface ControlPlaneOptions {
  sitePath: string;
  port: number;
  host: string;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** The agents' polling intervals, which set when a device is stale. */
  intervals?: Partial<Intervals>;
  /** Engine settings (tests and benchmarks tune deadlines and windows). */
  curtailment?: Partial<Pick<EngineOptions, 'deviceTimeoutMs' | 'attempts' | 'agentWaitMs' | 'toleranceW' | 'confirmWindowMs' | 'maxTopUps' | 'restore' | 'supervisorMs' | 'sleepPlan'>>;
  /** Company file for what-if simulations (default as finance's: SWITCHYARD_COMPANY, else <site>-company.yaml beside the site file); without one /api/simulations answers 503. */
  companyPath?: string;
  /** Worker threads per simulation run (default one per core). */
  simulationWorkers?: number;
  /** Agents to mint a token for (default the site file's `agents`, else one: `agent-<site id>`). */
  agentIds?: string[];
  /** Where the one-time admin token banner goes (default stdout). */
  print?: (text: string) => void;
  log?: Logger;
}

export interface ControlPlane {
  site: SiteFile;
  app: FastifyInstance;
  listening: Listening;
  live: LiveState;
  intervals: Intervals;
  adminTokenPath: string;
  /** Each agent id with its token and the file that holds it (data/agent-tokens/<id>.token). */
  agents: Array<{ agentId: string; token: string; tokenPath: string }>;
  curtailment: CurtailmentEngine;
  stop(): Promise<void>;
}

export function defaultAgentId(site: SiteFile): string {
  return `agent-${site.site.id}`;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? logger('platform');
  const t0 = Date.now();
  // The site file first: a bad one stops us before the data dir exists.
  const site = loadSiteFile(opts.sitePath);
  log.info({ site: site.site.id, file: opts.sitePath, blocks: site.blocks.length }, 'site file valid');
  const intervals = resolveIntervals(env, opts.intervals);
  // TLS files read before anything opens: a missing key stops the start here.
  const tls = tlsFromEnv(env);
  const cleanups = new Cleanups(log);

  try {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    // Records: PostgreSQL when DATABASE_URL is set (shared by instances), else SQLite in the data dir.
    const records = await openRecords({ dataDir: opts.dataDir, env });
    cleanups.add('records store', () => records.close());
    const store = records.sqlite;
    // Rollups kept 62 days (default 30): a tenant's statement reads the whole previous month.
    const history = createHistory({ dataDir: opts.dataDir, env, sqlite: { rollupRetentionMs: 62 * 86_400_000 } });
    cleanups.add('history', async () => { await history.flush(); await history.close(); });
    // The command queue is opened here so a bad REDIS_URL fails at start; the scheduler and
    // curtailment engine that fill it come later.
    const queue = createQueue<unknown>('commands', { env });
    cleanups.add('queue', () => queue.close());
    const queueKind = queue.kind;
    log.info({ dataDir: opts.dataDir, records: records.kind, recordsAt: records.where, history: history.kind, queue: queueKind }, 'stores open');

    const tokens = new TokenStore(records.tokens);
    const admin = await ensureAdminToken(tokens, opts.dataDir, log, opts.print);
    const agents = [];
    for (const agentId of opts.agentIds ?? site.agents?.map((a) => a.id) ?? [defaultAgentId(site)]) {
      agents.push({ agentId, token: await ensureAgentToken(tokens, opts.dataDir, agentId, log, { replaceOthers: records.kind === 'sqlite' }), tokenPath: agentTokenPath(opts.dataDir, agentId) });
    }

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
    cleanups.add('first-power watch', () => void live.off('change', onFirst));
    const metrics = new ControlPlaneMetrics({ live });

    // The live price feed (site file livePrices): read by the price strike, the planner and the page.
    const livePrices = buildLiveFeed({ site, sitePath: opts.sitePath, env, log: logger('market') });

    // The dispatch plan: a repeatable job on its own queue (BullMQ when REDIS_URL is set).
    const planQueue = metrics.instrument(createQueue<PlanJob>('plans', { env, keepCompleted: 50, keepFailed: 50 }));
    cleanups.add('plan queue', () => planQueue.close());
    const planner = new PlanService({
      site,
      sitePath: opts.sitePath,
      plans: records.plans,
      queue: planQueue,
      log: logger('scheduler'),
      ...(livePrices ? { livePrices } : {}),
      currentLoadMw: () => {
        const w = live.snapshot().powerW;
        return w === null ? null : w / 1e6;
      },
    });

    // Finance: the realised margin ledger (a repeatable queue job) and the company's debt book.
    const finance = await startFinance({ site, sitePath: opts.sitePath, db: store.db, events: records.events, history, env, log: logger('finance'), ...(opts.companyPath ? { companyPath: opts.companyPath } : {}) });
    cleanups.add('finance', () => finance.stop());

    // Curtailment: commands go to the agents over their channels; steps run as queue jobs.
    const agentHub = new AgentHub(logger('agent-hub'), { ownerOf: (id) => live.agentOf(id) });
    cleanups.add('agent channels', () => agentHub.closeAll());
    const curtailQueue = metrics.instrument(createQueue<CurtailJob>('curtailment', { env, keepCompleted: 200, keepFailed: 200 }));
    cleanups.add('curtailment queue', () => curtailQueue.close());
    const cs = curtailmentSettings(site);
    const curtailment = new CurtailmentEngine({
      site,
      events: records.events,
      // Several instances share PostgreSQL records: each drives only the events it holds the lease of.
      exclusive: records.kind === 'sqlite',
      ...(env.SWITCHYARD_INSTANCE_ID ? { instanceId: env.SWITCHYARD_INSTANCE_ID } : {}),
      ...(envInt(env, 'SWITCHYARD_CURTAILMENT_LEASE_MS') !== undefined ? { leaseMs: envInt(env, 'SWITCHYARD_CURTAILMENT_LEASE_MS') } : {}),
      live,
      hub: agentHub,
      queue: curtailQueue,
      log: logger('curtailment'),
      restore: { rampMwPerMin: cs.restoreRampMwPerMin, staggerMs: cs.restoreStaggerSeconds * 1000, minOffMs: cs.minOffMinutes * 60_000 },
      inrushLimits: actuatorInrushLimits(site),
      ...(opts.curtailment ?? {}),
    });

    // The AI hall: tenant contract ledger (SWITCHYARD_TENANTS_FILE or <site>-tenants.yaml) and alerts.
    const aiHall = startAiHallServices({ site, sitePath: opts.sitePath, db: store.db, history, live, env, log: logger('ai-hall') });
    cleanups.add('ai hall alerts', () => aiHall.stop());
    // What-if Monte Carlo: runs on their own queue, saved in the records store.
    const companyPath = opts.companyPath ?? companyPathFor(opts.sitePath, env);
    let simulations: SimulationService | undefined;
    if (companyPath) {
      const simQueue = createQueue<SimulationJob>('simulations', { env, keepCompleted: 50, keepFailed: 50 });
      simulations = new SimulationService({ db: records.simulations, company: loadCompanyFile(companyPath), queue: simQueue, workers: opts.simulationWorkers, log: logger('simulations') });
      cleanups.add('simulations', () => simulations!.stop());
    }

    metrics.watchPlanner(planQueue, () => planner.latest());
    metrics.watchCurtailment(curtailment, log);
    const app = await buildApp({
      site,
      db: store.db,
      history,
      kinds: { store: records.kind, queue: queueKind },
      ingest: records.ingest,
      audit: records.audit,
      version: packageVersion(),
      readRequiresToken: env.SWITCHYARD_READ_REQUIRES_TOKEN === '1',
      // Ingest clock-skew allowance, per-address rate limit, signed webhooks: from this env.
      clockSkewMs: clockSkewFromEnv(env),
      rateLimitPerMin: rateLimitFromEnv(env),
      webhook: webhookAuthFromEnv(env),
      live,
      tokens,
      log: logger('api'),
      planner,
      curtailment,
      agentHub,
      ...(aiHall.ledger !== null ? { tenants: aiHall.ledger } : {}),
      alerts: aiHall.alerts,
      ...(livePrices ? { livePrices } : {}),
      finance: finance.api,
      ...(simulations ? { simulations } : {}),
      metrics,
      ...(tls ? { https: tls } : {}),
    });
    cleanups.add('api', () => app.close());
    const listening = await listen(app, { port: opts.port, host: opts.host });
    log.info({ url: listening.url }, 'api listening');
    await planner.start();
    cleanups.add('planner', () => planner.stop());
    await simulations?.start();
    await curtailment.start();
    cleanups.add('curtailment engine', () => curtailment.stop());
    if (livePrices) {
      livePrices.start();
      cleanups.add('live price feed', () => livePrices.stop());
      const stale = watchPriceFeed(livePrices, aiHall.alerts);
      cleanups.add('price feed alert', () => stale.stop());
      log.info({ feed: livePrices.source }, 'live price feed started');
    }
    const sources = startSources(site, curtailment, live, env, logger('curtailment'), livePrices);
    app.services.priceStrike = sources.priceStrike;
    cleanups.add('curtailment sources', () => sources.stop());
    if (sources.names.length) log.info({ sources: sources.names }, 'curtailment event sources started');
    log.info({ startupMs: Date.now() - t0 }, 'control plane up');

    let stopping: Promise<void> | null = null;
    return {
      site,
      app,
      listening,
      live,
      intervals,
      adminTokenPath: admin.path,
      agents,
      curtailment,
      stop: () => {
        stopping ??= (async () => {
          log.info('control plane stopping');
          await cleanups.run();
          log.info('control plane stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await cleanups.run();
    throw err;
  }
}
