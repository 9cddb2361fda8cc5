import { Type, type Static } from '@sinclair/typebox';
import { check } from '../services/domain/schema.ts';
import { Strict } from '../services/lib/strict.ts';
import { logger, type Logger } from '../services/lib/log.ts';
import { CGMINER_DEFAULTS } from './drivers/cgminer/entry.ts';
import { DRIVER_CONFIG_PROPERTIES, DRIVERS } from './drivers/registry.ts';
import { Poller, type DriverTier, type PollerStats } from './poller.ts';
import { Shipper, type ShipperStats } from './shipper.ts';
import { Spool } from './spool/spool.ts';
import { CommandChannel, type ChannelStats } from './commands/channel.ts';
import { CommandExecutor, type CommandCpu } from './commands/executor.ts';
import { agentRegistry, serveMetrics } from './metrics.ts';
import { ActuatorRunner } from './drivers/actuator-runner.ts';
import { EventMeterLoop } from './event-meter-loop.ts';
import type { Reading } from '../services/agent-contract/batch-schema.ts';
import { Actuators } from '../services/domain/actuator-schema.ts';

/**
 * The site agent: polls the site's devices and ships the readings to the control plane.
 * Configuration is validated once here; unknown keys are rejected.
 */
export const AgentConfig = Strict({
  agentId: Type.String({ minLength: 1, maxLength: 128 }),
  siteId: Type.String({ minLength: 1 }),
  /** Base URL of the control plane; batches go to `${controlPlaneUrl}/api/ingest`. */
  controlPlaneUrl: Type.String({ pattern: '^https?://' }),
  token: Type.String({ minLength: 1 }),
  shipIntervalMs: Type.Integer({ minimum: 50 }),
  /** A device with no online reading for this long is stale (default 3 × its polling interval). */
  staleAfterMs: Type.Optional(Type.Integer({ minimum: 100 })),
  /** Readings per POST (default 20000). */
  maxBatchReadings: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000 })),
  /** Unsent readings kept in memory before the oldest are dropped (default 500000). */
  maxQueuedReadings: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Store-and-forward: where batches wait on disk while the control plane is unreachable (off when absent). */
  spoolDir: Type.Optional(Type.String({ minLength: 1 })),
  /** Bound on the spool's size on disk; past it the oldest batches are evicted and counted (default 256 MiB). */
  spoolMaxBytes: Type.Optional(Type.Integer({ minimum: 65_536 })),
  /** The command channel (curtailment): on by default; false for a read-only agent. */
  commandChannel: Type.Optional(Type.Boolean()),
  /** Antminer stock firmware's web UI port (sleep/wake), 80 on real miners. */
  minerWebPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  minerWebUser: Type.Optional(Type.String({ minLength: 1 })),
  minerWebPassword: Type.Optional(Type.String({ minLength: 1 })),
  whatsminerPassword: Type.Optional(Type.String({ minLength: 1 })),
  /** Devices commanded at once (default 256). */
  commandConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 8192 })),
  /** Link down this long during an active event → shed locally per the last plan (default 3000). */
  failSafeGraceMs: Type.Optional(Type.Integer({ minimum: 0 })),
  // Each driver's keys (devices, intervals, deadlines, profile folders): agents/drivers/*/entry.ts.
  /** While a curtailment event is active, the revenue meter is read this often on its own (default 1000). */
  eventMeterIntervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
  /** Switched PDUs and relay modules this agent switches (power-off / power-on commands). */
  actuators: Type.Optional(Actuators),
  ...DRIVER_CONFIG_PROPERTIES,
  /** Prometheus GET /metrics on this port (0: a free one); off when absent. */
  metricsPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  /** Address the metrics listener binds (default 127.0.0.1: loopback only). */
  metricsHost: Type.Optional(Type.String({ minLength: 1 })),
});
export type AgentConfig = Static<typeof AgentConfig>;

export interface AgentStats {
  poller: PollerStats;
  shipper: ShipperStats;
  channel: ChannelStats | null;
  commandCpu?: CommandCpu;
}

export interface Agent {
  stop(): Promise<void>;
  stats(): AgentStats;
  /** Where Prometheus scrapes this agent (with metricsPort). */
  metricsUrl?: string;
}


export async function startAgent(input: AgentConfig, log: Logger = logger('agent')): Promise<Agent> {
  const config = check(AgentConfig, input, 'agent config');
  // GPU hosts are also commanded (power caps), not only polled.
  const gpuHosts = config.gpuHosts ?? [];
  const shipperOpts: ConstructorParameters<typeof Shipper>[0] = {
    agentId: config.agentId,
    siteId: config.siteId,
    controlPlaneUrl: config.controlPlaneUrl,
    token: config.token,
    shipIntervalMs: config.shipIntervalMs,
  };
  if (config.maxBatchReadings !== undefined) shipperOpts.maxBatchReadings = config.maxBatchReadings;
  if (config.maxQueuedReadings !== undefined) shipperOpts.maxQueuedReadings = config.maxQueuedReadings;
  if (config.spoolDir !== undefined) {
    shipperOpts.spool = Spool.open(
      { dir: config.spoolDir, ...(config.spoolMaxBytes === undefined ? {} : { maxBytes: config.spoolMaxBytes }) },
      log.child({ part: 'spool' }),
    );
  }
  // Each driver's tier is built (profiles loaded) before anything starts: a bad profile name fails here.
  const tiers: DriverTier<any, any>[] = [];
  for (const entry of DRIVERS) {
    const tier = (entry.tier as (c: AgentConfig, l: Logger) => DriverTier<any, any> | null)(config, log);
    if (tier !== null) tiers.push(tier);
  }
  const duplicate = firstDuplicate([...config.miners, ...tiers.flatMap((t) => t.targets as Array<{ id: string }>)].map((d) => d.id));
  if (duplicate !== undefined) {
    await Promise.all(tiers.map((t) => t.close?.()));
    throw new Error(`agent config: device id ${duplicate} appears twice`);
  }
  const shipper = new Shipper(shipperOpts, log.child({ part: 'shipper' }));
  const executor =
    config.commandChannel === false
      ? null
      : new CommandExecutor({
          miners: config.miners,
          gpuHosts,
          ...(config.minerWebPort !== undefined ? { minerWebPort: config.minerWebPort } : {}),
          ...(config.minerWebUser !== undefined ? { minerWebUser: config.minerWebUser } : {}),
          ...(config.minerWebPassword !== undefined ? { minerWebPassword: config.minerWebPassword } : {}),
          ...(config.whatsminerPassword !== undefined ? { whatsminerPassword: config.whatsminerPassword } : {}),
          ...(config.commandConcurrency !== undefined ? { concurrency: config.commandConcurrency } : {}),
        });
  const channel =
    executor === null
      ? null
      : new CommandChannel({
          controlPlaneUrl: config.controlPlaneUrl,
          token: config.token,
          agentId: config.agentId,
          log: log.child({ part: 'commands' }),
          ...(config.failSafeGraceMs !== undefined ? { failSafeGraceMs: config.failSafeGraceMs } : {}),
          onBusy: () => poller.preemptMinerPolling(),
          onPlanInForce: (eventId) => eventMeters?.setActive(eventId !== null),
          ...(config.actuators !== undefined && config.actuators.pdus.length + config.actuators.relays.length > 0 ? { actuators: new ActuatorRunner({ actuators: config.actuators, ...(config.snmpProfileDir !== undefined ? { snmpProfileDir: config.snmpProfileDir } : {}) }) } : {}),
          executor,
        });
  const revenueMeters = new Set(config.meters.filter((m) => m.role === 'revenue').map((m) => m.id));
  const sink = (reading: Reading) => {
    // The agent's own under-frequency trigger reads its revenue meter, link or no link.
    if (channel && revenueMeters.has(reading.deviceId)) channel.onFrequency(reading.atMs, reading.status === 'online' ? (reading.metrics.frequency_hz ?? null) : null);
    shipper.add(reading);
  };
  const poller = new Poller(
    {
      miners: config.miners,
      minerIntervalMs: config.minerIntervalMs,
      minerTimeoutMs: config.minerTimeoutMs ?? CGMINER_DEFAULTS.minerTimeoutMs,
      minerConcurrency: config.minerConcurrency ?? CGMINER_DEFAULTS.minerConcurrency,
      ...(config.minerInventoryIntervalMs === undefined ? {} : { minerInventoryIntervalMs: config.minerInventoryIntervalMs }),
      ...(config.staleAfterMs === undefined ? {} : { staleAfterMs: config.staleAfterMs }),
      tiers,
    },
    sink,
    log.child({ part: 'poller' }),
  );
  const meterTier = tiers.find((t) => t.name === 'meter polling');
  const eventMeters =
    channel !== null && meterTier !== undefined
      ? new EventMeterLoop({
          tier: meterTier,
          meterIds: revenueMeters,
          intervalMs: config.eventMeterIntervalMs ?? 1000,
          onReading: (r) => {
            sink(r);
            shipper.shipSoon();
          },
          log: log.child({ part: 'event-meter' }),
        })
      : undefined;
  shipper.start();
  poller.start();
  channel?.start();
  log.info(
    {
      agentId: config.agentId,
      site: config.siteId,
      miners: config.miners.length,
      tiers: Object.fromEntries(tiers.map((t) => [t.name, t.targets.length])),
      ingest: config.controlPlaneUrl,
    },
    'site agent started',
  );
  const stats = (): AgentStats => ({ poller: poller.stats(), shipper: shipper.stats(), channel: channel?.stats() ?? null, ...(executor ? { commandCpu: executor.cpuByDialect() } : {}) });
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (config.metricsPort !== undefined) {
    try {
      metricsServer = await serveMetrics(agentRegistry(config.agentId, stats), config.metricsHost ?? '127.0.0.1', config.metricsPort, log);
    } catch (err) {
      eventMeters?.stop();
      await channel?.stop();
      await poller.stop();
      await shipper.stop();
      throw err;
    }
    log.info({ url: metricsServer.url }, 'agent metrics listening');
  }
  let stopping: Promise<void> | undefined;
  return {
    stats,
    ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
    stop: () => {
      stopping ??= (async () => {
        await metricsServer?.close();
        eventMeters?.stop();
        await channel?.stop();
        await poller.stop();
        await shipper.stop();
        log.info('site agent stopped');
      })();
      return stopping;
    },
  };
}

function firstDuplicate(ids: string[]): string | undefined {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}
