import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { Database } from 'better-sqlite3';
import type { TSchema } from '@sinclair/typebox';
import { validator } from '../domain/schema.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import type { TelemetryHistory } from '../telemetry/history.ts';
import { LiveState } from '../telemetry/live-state.ts';
import { SqliteIngestLedger, type IngestLedger } from '../telemetry/ingest-ledger.ts';
import { logger, type Logger } from '../lib/log.ts';
import { authPlugin } from './auth/plugin.ts';
import { TokenStore } from './auth/tokens.ts';
import { SiteViewer } from './site-view.ts';
import { errorBody, toApiError } from './errors.ts';
import { healthRoutes } from './routes/health.ts';
import { siteRoutes } from './routes/site.ts';
import { telemetryRoutes } from './routes/telemetry.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { allowedOriginsFromEnv, liveRoutes } from './routes/live.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { planRoutes } from './routes/plan.ts';
import type { PlanService } from '../scheduler/plan-service.ts';
import type { AgentHub } from '../curtailment/agent-hub.ts';
import type { CurtailmentEngine } from '../curtailment/engine.ts';
import { agentChannelRoutes } from './routes/agent-channel.ts';
import { curtailmentRoutes } from './routes/curtailment.ts';
import { simulationRoutes, type SimulationPort } from './routes/simulations.ts';
import { CHANNEL_PROTOCOL } from '../agent-contract/protocol.ts';
import type { AlertBook } from '../alerts/alert-book.ts';
import type { TenantLedger } from '../tenants/ledger.ts';
import { aiPageRoutes } from './routes/ai-page.ts';
import { alertRoutes } from './routes/alerts.ts';
import { priceRoutes } from './routes/prices.ts';
import type { LivePriceFeed } from '../market/live-feed.ts';
import type { LivePriceStrike } from '../curtailment/sources/live-price-strike.ts';
import { gpuRoutes } from './routes/gpus.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { tokenEconomicsRoutes } from './routes/token-economics.ts';
import { financeRoutes } from './routes/finance.ts';
import { clockSkewFromEnv, IngestScreen } from './ingest/screen.ts';
import { rateLimitFromEnv, registerSecurity } from './security.ts';
import { routeCatalog } from './route-catalog.ts';
import { webhookAuthFromEnv, type WebhookAuth } from './webhook-signature.ts';
import { ControlPlaneMetrics } from '../metrics/control-plane.ts';
import { metricsPlugin } from '../metrics/http-plugin.ts';
import { openapiPlugin } from './openapi.ts';
import { docsRoutes } from './routes/docs.ts';
import { AuditLog, type AuditStore } from './audit/audit-log.ts';
import { auditPlugin } from './audit/plugin.ts';
import { auditRoutes } from './routes/audit.ts';

export interface AppDeps {
  site: SiteFile;
  /** The records store's database (tokens, ingest ledger). */
  db: Database;
  history: TelemetryHistory;
  /** What the health route reports for each part. */
  kinds: { store: string; queue: string };
  version: string;
  readRequiresToken?: boolean;
  /** Largest ingest body; a whole ~35k-miner batch is ~8 MB of JSON. */
  ingestBodyLimitBytes?: number;
  /** How often the websocket pushes a snapshot that changed. */
  livePushMs?: number;
  live?: LiveState;
  tokens?: TokenStore;
  log?: Logger;
  startedAtMs?: number;
  /** The dispatch planner; the plan routes answer 503 without one. */
  planner?: PlanService;
  /** The curtailment engine and the agents' command channels; 503 / closed without them. */
  curtailment?: CurtailmentEngine;
  agentHub?: AgentHub;
  /** The tenant contract ledger and the alert book (AI hall); 503 without them. */
  tenants?: TenantLedger;
  alerts?: AlertBook;
  /** The live price feed and the price-strike rule following it; GET /api/prices/live answers 503 without a feed. */
  livePrices?: LivePriceFeed;
  priceStrike?: LivePriceStrike;
  /** The finance ledger and debt reports (services/finance/finance-service.ts); 503 without. */
  finance?: import('../finance/finance-service.ts').FinanceApi;
  /** What-if Monte Carlo runs (simulations/finance/service.ts); the routes answer 503 without. */
  simulations?: SimulationPort;
  /** How far ahead of this clock a reading may be dated (default SWITCHYARD_CLOCK_SKEW_MS or 60 s). */
  clockSkewMs?: number;
  /** Requests per minute per client address (default SWITCHYARD_RATE_LIMIT_PER_MIN or 3000). */
  rateLimitPerMin?: number;
  /** Signed dispatch webhooks (default from SWITCHYARD_WEBHOOK_SECRET / _WINDOW_S). */
  webhook?: WebhookAuth;
  /** Prometheus series (GET /metrics); a fresh registry when absent. */
  metrics?: ControlPlaneMetrics;
  /** Serve HTTPS with this certificate and key (PEM); plain HTTP when absent. */
  https?: { cert: Buffer; key: Buffer };
  /** Which agent batches were applied (services/platform/records.ts); the SQLite db's when absent. */
  ingest?: IngestLedger;
  /** Where control actions are audited; the records store's SQLite audit_log when absent. */
  audit?: AuditStore;
}

export interface AppServices {
  site: SiteFile;
  live: LiveState;
  tokens: TokenStore;
  ledger: IngestLedger;
  viewer: SiteViewer;
  history: TelemetryHistory;
  kinds: { store: string; queue: string; history: string };
  version: string;
  startedAtMs: number;
  log: Logger;
  planner: PlanService | null;
  curtailment: CurtailmentEngine | null;
  agentHub: AgentHub | null;
  tenants: TenantLedger | null;
  alerts: AlertBook | null;
  livePrices: LivePriceFeed | null;
  /** Set after start: the sources start once the engine runs, after the API is built. */
  priceStrike: LivePriceStrike | null;
  simulations: SimulationPort | null;
  /** Per-reading ingest checks (device ownership, clock skew, value bounds) and their counts. */
  ingest: IngestScreen;
  webhook: WebhookAuth;
  metrics: ControlPlaneMetrics;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: AppServices;
  }
}

/** Builds the API from plugins and routes; listening is server.ts's job. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const log = deps.log ?? logger('api');
  const live = deps.live ?? new LiveState(deps.site);
  const services: AppServices = {
    site: deps.site,
    live,
    viewer: new SiteViewer(deps.site, live, deps.curtailment ?? null),
    tokens: deps.tokens ?? new TokenStore(deps.db),
    ledger: deps.ingest ?? new SqliteIngestLedger(deps.db),
    history: deps.history,
    kinds: { ...deps.kinds, history: deps.history.kind },
    version: deps.version,
    startedAtMs: deps.startedAtMs ?? Date.now(),
    log,
    planner: deps.planner ?? null,
    curtailment: deps.curtailment ?? null,
    agentHub: deps.agentHub ?? null,
    webhook: deps.webhook ?? webhookAuthFromEnv(),
    tenants: deps.tenants ?? null,
    alerts: deps.alerts ?? null,
    livePrices: deps.livePrices ?? null,
    priceStrike: deps.priceStrike ?? null,
    simulations: deps.simulations ?? null,
    ingest: new IngestScreen(deps.site, log.child({ part: 'ingest' }), deps.clockSkewMs ?? clockSkewFromEnv()),
    metrics: deps.metrics ?? new ControlPlaneMetrics({ live }),
  };

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One line per state change, not per request: ingest alone is a request every few seconds.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    ...(deps.https ? { https: deps.https } : {}),
  }) as unknown as FastifyInstance;
  app.decorate('services', services);

  // The one Ajv instance validates API bodies too, so unknown keys are rejected (400), never
  // dropped. Query strings are not coerced: their schemas declare strings.
  app.setValidatorCompiler(({ schema }) => validator(schema as TSchema));

  app.setErrorHandler((err, req, reply) => {
    const apiErr = toApiError(err);
    if (apiErr.statusCode >= 500) req.log.error({ err, url: req.url, reqId: req.id }, 'request failed');
    else req.log.debug({ code: apiErr.code, url: req.url }, apiErr.message);
    return reply.status(apiErr.statusCode).send(errorBody(apiErr, String(req.id)));
  });
  app.setNotFoundHandler((req, reply) => {
    const apiErr = toApiError({ statusCode: 404, message: `no route ${req.method} ${req.url.split('?')[0]}` });
    return reply.status(404).send(errorBody(apiErr, String(req.id)));
  });

  await app.register(routeCatalog);
  await registerSecurity(app, { rateLimitPerMin: deps.rateLimitPerMin ?? rateLimitFromEnv() });
  await app.register(authPlugin, { tokens: services.tokens, readRequiresToken: deps.readRequiresToken ?? false });
  await app.register(openapiPlugin, { version: deps.version });
  await app.register(metricsPlugin, { metrics: services.metrics });
  const audit = deps.audit ?? new AuditLog(deps.db);
  await app.register(auditPlugin, { audit, log });
  await app.register(websocket, {
    options: {
      // An agent acknowledges a 50,000-miner batch in one message (~5 MB).
      maxPayload: 32 * 1024 * 1024,
      // Browsers (live view) speak switchyard.v1; site agents their command channel protocol.
      handleProtocols: (protocols) => (protocols.has('switchyard.v1') ? 'switchyard.v1' : protocols.has(CHANNEL_PROTOCOL) ? CHANNEL_PROTOCOL : false),
    },
  });
  await app.register(healthRoutes);
  await app.register(siteRoutes);
  await app.register(telemetryRoutes);
  await app.register(ingestRoutes, { bodyLimit: deps.ingestBodyLimitBytes ?? 32 * 1024 * 1024 });
  await app.register(tokenRoutes);
  await app.register(liveRoutes, { pushMs: deps.livePushMs ?? 1000, allowedOrigins: allowedOriginsFromEnv() });
  await app.register(planRoutes);
  await app.register(agentChannelRoutes);
  await app.register(curtailmentRoutes);
  await app.register(simulationRoutes);
  await app.register(dashboardRoutes);
  await app.register(tenantRoutes);
  await app.register(alertRoutes);
  await app.register(priceRoutes);
  await app.register(gpuRoutes);
  await app.register(tokenEconomicsRoutes);
  await app.register(aiPageRoutes);
  await app.register(financeRoutes, { finance: deps.finance ?? null });
  await app.register(docsRoutes);
  await app.register(auditRoutes, { audit });
  return app;
}
