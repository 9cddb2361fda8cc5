import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppDeps } from '../../services/api/app.ts';
import type { SimulationPort } from '../../services/api/routes/simulations.ts';
import type { FinanceApi } from '../../services/finance/finance-service.ts';
import { SqliteEventStore } from '../../services/curtailment/event-store.ts';
import { SqlitePlanRecords } from '../../services/scheduler/plan-records.ts';
import { TokenStore, type Role } from '../../services/api/auth/tokens.ts';
import type { AgentBatch, Reading } from '../../services/agent-contract/batch-schema.ts';
import { meterDevices, minerDevices } from '../../services/domain/devices.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { openStore } from '../../services/store/sqlite.ts';
import { createHistory } from '../../services/telemetry/index.ts';
import type { TelemetryHistory } from '../../services/telemetry/history.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { createQueue, type JobQueue } from '../../services/queue/index.ts';
import { PlanService, type PlanJob } from '../../services/scheduler/plan-service.ts';
import { logger } from '../../services/lib/log.ts';
import { AgentHub } from '../../services/curtailment/agent-hub.ts';
import { CurtailmentEngine, type CurtailJob } from '../../services/curtailment/engine.ts';

/** The API over a real SQLite store and history in a temp dir, with one token per role. */
export interface Harness {
  app: FastifyInstance;
  site: SiteFile;
  dataDir: string;
  db: Database;
  tokens: TokenStore;
  history: TelemetryHistory;
  live: LiveState;
  planner: PlanService | null;
  secrets: Record<Role, string>;
  /** app.inject with `as` adding that role's bearer token. */
  call(opts: InjectOptions & { as?: Role }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const SMALL_SITE = 'test/support/sites/small.yaml';
export const AGENT_ID = 'agent-test';

export interface PlannerOptions {
  sitePath: string;
  timeLimitS?: number;
  queue?: JobQueue<PlanJob>;
  now?: () => number;
}

export async function harness(
  opts: Partial<Pick<AppDeps, 'readRequiresToken' | 'ingestBodyLimitBytes' | 'livePushMs' | 'clockSkewMs' | 'rateLimitPerMin' | 'webhook'>> & {
    planner?: PlannerOptions;
    simulations?: (db: Database) => SimulationPort;
    /** The finance ledger, built on the harness's store and history. */
    finance?: (db: Database, history: TelemetryHistory) => FinanceApi;
    /** Any other service the app takes, built on the harness's store, history and live state. */
    deps?: (ctx: { db: Database; history: TelemetryHistory; live: LiveState; site: SiteFile }) => Partial<AppDeps>;
    site?: SiteFile;
    /** Run a real curtailment engine (memory queue, no agents connected). */
    curtailment?: boolean;
  } = {},
): Promise<Harness> {
  const { planner: plannerOpts, simulations: simulationsOf, finance: financeOf, deps: depsOf, site: givenSite, curtailment: withEngine, ...appOpts } = opts;
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-api-'));
  const site = givenSite ?? loadSiteFile(plannerOpts?.sitePath ?? SMALL_SITE);
  const store = openStore({ dataDir });
  const planner = plannerOpts
    ? new PlanService({ site, sitePath: plannerOpts.sitePath, plans: new SqlitePlanRecords(store.db), queue: plannerOpts.queue ?? createQueue<PlanJob>('plans', { env: {} }), log: logger('scheduler'), watchFiles: false, ...(plannerOpts.now ? { now: plannerOpts.now } : {}), ...(plannerOpts.timeLimitS ? { timeLimitS: plannerOpts.timeLimitS } : {}) })
    : null;
  const history = createHistory({ dataDir, env: {} });
  const tokens = new TokenStore(store.db);
  const live = new LiveState(site);
  const agentHub = withEngine ? new AgentHub(logger('agent-hub')) : null;
  const curtailQueue = agentHub ? createQueue<CurtailJob>('curtailment', { env: {} }) : null;
  const curtailment = agentHub && curtailQueue ? new CurtailmentEngine({ site, events: new SqliteEventStore(store.db), live, hub: agentHub, queue: curtailQueue, log: logger('curtailment') }) : null;
  await curtailment?.start();
  const simulations = simulationsOf?.(store.db);
  const finance = financeOf?.(store.db, history);
  const extraDeps = depsOf?.({ db: store.db, history, live, site }) ?? {};
  const app = await buildApp({ site, db: store.db, history, kinds: { store: 'sqlite', queue: 'memory' }, version: 'test', tokens, live, ...appOpts, ...(planner ? { planner } : {}), ...(simulations ? { simulations } : {}), ...(finance ? { finance } : {}), ...extraDeps, ...(curtailment && agentHub ? { curtailment, agentHub } : {}) });
  await app.ready();
  const secrets = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'finance', 'admin'] as const) secrets[role] = (await tokens.create({ name: `test-${role}`, role })).secret;
  secrets.agent = (await tokens.create({ name: AGENT_ID, role: 'agent' })).secret;
  return {
    app,
    site,
    dataDir,
    db: store.db,
    tokens,
    history,
    live,
    planner,
    secrets,
    call: ({ as, ...o }) =>
      app.inject({ ...o, headers: { ...(o.headers ?? {}), ...(as ? { authorization: `Bearer ${secrets[as]}` } : {}) } }),
    close: async () => {
      await planner?.stop();
      await curtailment?.stop();
      await curtailQueue?.close();
      await app.close();
      await history.close();
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface BatchOptions {
  seq: number;
  atMs?: number;
  /** W per online miner (default 3000). */
  minerPowerW?: number;
  /** Block meters' power, W, by block id; absent: no block meter reading. */
  blockMeterW?: Record<string, number>;
  revenueMeterW?: number;
  offline?: string[];
  sleeping?: string[];
  agentId?: string;
}

/** A batch for the small site: every miner, plus the meters asked for. */
export function smallBatch(site: SiteFile, o: BatchOptions): AgentBatch {
  const atMs = o.atMs ?? Date.now();
  const readings: Reading[] = minerDevices(site).map((m): Reading => {
    if (o.offline?.includes(m.id)) return { deviceId: m.id, kind: 'miner', blockId: m.blockId, atMs, status: 'offline', metrics: {}, error: 'connect ECONNREFUSED' };
    const sleeping = o.sleeping?.includes(m.id) ?? false;
    return {
      deviceId: m.id,
      kind: 'miner',
      blockId: m.blockId,
      atMs,
      status: 'online',
      metrics: sleeping ? { power_w: 20, hashrate_hs: 0 } : { power_w: o.minerPowerW ?? 3000, hashrate_hs: 200e12 },
      labels: { mode: sleeping ? 'sleeping' : 'mining', model: m.model },
    };
  });
  for (const meter of meterDevices(site)) {
    const w = meter.role === 'revenue' ? o.revenueMeterW : o.blockMeterW?.[meter.blockId ?? ''];
    if (w !== undefined) readings.push({ deviceId: meter.id, kind: 'meter', atMs, status: 'online', metrics: { power_w: w, energy_wh: 1000 } });
  }
  return { agentId: o.agentId ?? AGENT_ID, siteId: site.site.id, seq: o.seq, sentAtMs: atMs, readings };
}
