import { Type, type Static } from '@sinclair/typebox';
import { GpuHostDevice, MeterDevice, MinerDevice, SnmpDevice } from '../services/domain/devices.ts';
import { check } from '../services/domain/schema.ts';
import { Strict } from '../services/lib/strict.ts';
import { logger, type Logger } from '../services/lib/log.ts';
import { gpuHostsDriver } from './drivers/gpu-hosts.ts';
import { gpuTierTimeoutMs } from './drivers/nvidia-smi/driver.ts';
import { snmpDriver } from './drivers/snmp/driver.ts';
import { Poller, type DriverTier, type PollerStats } from './poller.ts';
import { Shipper, type ShipperStats } from './shipper.ts';
import { Spool } from './spool/spool.ts';
import { CommandChannel, type ChannelStats } from './commands/channel.ts';
import { CommandExecutor } from './commands/executor.ts';

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
  miners: Type.Array(MinerDevice),
  meters: Type.Array(MeterDevice),
  /** PDUs, cooling units and UPSes read over SNMP (default none). */
  snmpDevices: Type.Optional(Type.Array(SnmpDevice)),
  /** GPU servers read with nvidia-smi (default none). */
  gpuHosts: Type.Optional(Type.Array(GpuHostDevice)),
  minerIntervalMs: Type.Integer({ minimum: 100 }),
  meterIntervalMs: Type.Integer({ minimum: 100 }),
  shipIntervalMs: Type.Integer({ minimum: 50 }),
  /** SNMP tier interval (default 10000). */
  snmpIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })),
  /** GPU tier interval (default 5000). */
  gpuIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })),
  /** Deadline per SNMP device read, all requests together (default 5000). */
  snmpTimeoutMs: Type.Optional(Type.Integer({ minimum: 200 })),
  /** Deadline per nvidia-smi call (default 5000); the tier's deadline adds the kill grace and a second. */
  gpuTimeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
  /** Where SNMP profiles are looked up (default agents/profiles/snmp). */
  snmpProfileDir: Type.Optional(Type.String({ minLength: 1 })),
  /** Connect + reply deadline per miner (default 3000). */
  minerTimeoutMs: Type.Optional(Type.Integer({ minimum: 50 })),
  /** Deadline per Modbus request (default 1000). */
  meterTimeoutMs: Type.Optional(Type.Integer({ minimum: 50 })),
  /** Slow tier: miner inventory (version → make, hardware, firmware) interval; 0 turns it off (default 300000). */
  minerInventoryIntervalMs: Type.Optional(Type.Integer({ minimum: 0 })),
  /** A device with no online reading for this long is stale (default 3 × its polling interval). */
  staleAfterMs: Type.Optional(Type.Integer({ minimum: 100 })),
  /** Miner connections in flight at once (default 256). */
  minerConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
  /** Readings per POST (default 20000). */
  maxBatchReadings: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000 })),
  /** Unsent readings kept in memory before the oldest are dropped (default 500000). */
  maxQueuedReadings: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Where Modbus profiles are looked up (default agents/profiles/modbus). */
  profileDir: Type.Optional(Type.String({ minLength: 1 })),
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
});
export type AgentConfig = Static<typeof AgentConfig>;

export interface AgentStats {
  poller: PollerStats;
  shipper: ShipperStats;
  channel: ChannelStats | null;
}

export interface Agent {
  stop(): Promise<void>;
  stats(): AgentStats;
}

export const AGENT_DEFAULTS = {
  minerTimeoutMs: 3_000,
  meterTimeoutMs: 1_000,
  minerConcurrency: 256,
  snmpIntervalMs: 10_000,
  gpuIntervalMs: 5_000,
  snmpTimeoutMs: 5_000,
  gpuTimeoutMs: 5_000,
  snmpConcurrency: 32,
  gpuConcurrency: 16,
} as const;

export async function startAgent(input: AgentConfig, log: Logger = logger('agent')): Promise<Agent> {
  const config = check(AgentConfig, input, 'agent config');
  const snmpDevices = config.snmpDevices ?? [];
  const gpuHosts = config.gpuHosts ?? [];
  const duplicate = firstDuplicate([...config.miners, ...config.meters, ...snmpDevices, ...gpuHosts].map((d) => d.id));
  if (duplicate !== undefined) throw new Error(`agent config: device id ${duplicate} appears twice`);
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
  // Drivers are built (profiles loaded) before anything starts: a bad profile name fails here.
  const tiers: DriverTier<any, any>[] = [];
  if (snmpDevices.length > 0) {
    tiers.push({
      name: 'snmp polling',
      driver: snmpDriver(snmpDevices, config.snmpProfileDir === undefined ? {} : { profileDir: config.snmpProfileDir }),
      targets: snmpDevices,
      intervalMs: config.snmpIntervalMs ?? AGENT_DEFAULTS.snmpIntervalMs,
      timeoutMs: config.snmpTimeoutMs ?? AGENT_DEFAULTS.snmpTimeoutMs,
      concurrency: AGENT_DEFAULTS.snmpConcurrency,
    });
  }
  if (gpuHosts.length > 0) {
    const smi = { smiTimeoutMs: config.gpuTimeoutMs ?? AGENT_DEFAULTS.gpuTimeoutMs };
    // nvidia-smi per host, or dcgm-exporter for a host with a dcgmUrl (same readings either way).
    const driver = gpuHostsDriver(gpuHosts, log.child({ part: 'gpu' }), smi);
    tiers.push({
      name: 'gpu polling',
      driver,
      targets: gpuHosts,
      intervalMs: config.gpuIntervalMs ?? AGENT_DEFAULTS.gpuIntervalMs,
      timeoutMs: gpuTierTimeoutMs(smi),
      concurrency: AGENT_DEFAULTS.gpuConcurrency,
      close: () => driver.close(),
    });
  }
  const shipper = new Shipper(shipperOpts, log.child({ part: 'shipper' }));
  const channel =
    config.commandChannel === false
      ? null
      : new CommandChannel({
          controlPlaneUrl: config.controlPlaneUrl,
          token: config.token,
          agentId: config.agentId,
          log: log.child({ part: 'commands' }),
          ...(config.failSafeGraceMs !== undefined ? { failSafeGraceMs: config.failSafeGraceMs } : {}),
          onBusy: () => poller.preemptMinerPolling(),
          executor: new CommandExecutor({
            miners: config.miners,
            gpuHosts,
            ...(config.minerWebPort !== undefined ? { minerWebPort: config.minerWebPort } : {}),
            ...(config.minerWebUser !== undefined ? { minerWebUser: config.minerWebUser } : {}),
            ...(config.minerWebPassword !== undefined ? { minerWebPassword: config.minerWebPassword } : {}),
            ...(config.whatsminerPassword !== undefined ? { whatsminerPassword: config.whatsminerPassword } : {}),
            ...(config.commandConcurrency !== undefined ? { concurrency: config.commandConcurrency } : {}),
          }),
        });
  const revenueMeters = new Set(config.meters.filter((m) => m.role === 'revenue').map((m) => m.id));
  const poller = new Poller(
    {
      miners: config.miners,
      meters: config.meters,
      minerIntervalMs: config.minerIntervalMs,
      meterIntervalMs: config.meterIntervalMs,
      minerTimeoutMs: config.minerTimeoutMs ?? AGENT_DEFAULTS.minerTimeoutMs,
      meterTimeoutMs: config.meterTimeoutMs ?? AGENT_DEFAULTS.meterTimeoutMs,
      minerConcurrency: config.minerConcurrency ?? AGENT_DEFAULTS.minerConcurrency,
      ...(config.profileDir === undefined ? {} : { profileDir: config.profileDir }),
      ...(config.minerInventoryIntervalMs === undefined ? {} : { minerInventoryIntervalMs: config.minerInventoryIntervalMs }),
      ...(config.staleAfterMs === undefined ? {} : { staleAfterMs: config.staleAfterMs }),
      tiers,
    },
    (reading) => {
      // The agent's own under-frequency trigger reads its revenue meter, link or no link.
      if (channel && revenueMeters.has(reading.deviceId)) channel.onFrequency(reading.atMs, reading.status === 'online' ? (reading.metrics.frequency_hz ?? null) : null);
      shipper.add(reading);
    },
    log.child({ part: 'poller' }),
  );
  shipper.start();
  poller.start();
  channel?.start();
  log.info(
    {
      agentId: config.agentId,
      site: config.siteId,
      miners: config.miners.length,
      meters: config.meters.length,
      snmpDevices: snmpDevices.length,
      gpuHosts: gpuHosts.length,
      ingest: config.controlPlaneUrl,
    },
    'site agent started',
  );
  let stopping: Promise<void> | undefined;
  return {
    stats: () => ({ poller: poller.stats(), shipper: shipper.stats(), channel: channel?.stats() ?? null }),
    stop: () => {
      stopping ??= (async () => {
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
