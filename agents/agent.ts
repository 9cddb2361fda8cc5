import { Type, type Static } from '@sinclair/typebox';
import { MeterDevice, MinerDevice } from '../services/domain/devices.ts';
import { check } from '../services/domain/schema.ts';
import { Strict } from '../services/domain/site-schema.ts';
import { logger, type Logger } from '../services/lib/log.ts';
import { Poller, type PollerStats } from './poller.ts';
import { Shipper, type ShipperStats } from './shipper.ts';
import { Spool } from './spool/spool.ts';

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
  minerIntervalMs: Type.Integer({ minimum: 100 }),
  meterIntervalMs: Type.Integer({ minimum: 100 }),
  shipIntervalMs: Type.Integer({ minimum: 50 }),
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
});
export type AgentConfig = Static<typeof AgentConfig>;

export interface AgentStats {
  poller: PollerStats;
  shipper: ShipperStats;
}

export interface Agent {
  stop(): Promise<void>;
  stats(): AgentStats;
}

export const AGENT_DEFAULTS = {
  minerTimeoutMs: 3_000,
  meterTimeoutMs: 1_000,
  minerConcurrency: 256,
} as const;

export async function startAgent(input: AgentConfig, log: Logger = logger('agent')): Promise<Agent> {
  const config = check(AgentConfig, input, 'agent config');
  const duplicate = firstDuplicate([...config.miners.map((m) => m.id), ...config.meters.map((m) => m.id)]);
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
  const shipper = new Shipper(shipperOpts, log.child({ part: 'shipper' }));
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
    },
    (reading) => shipper.add(reading),
    log.child({ part: 'poller' }),
  );
  shipper.start();
  poller.start();
  log.info(
    { agentId: config.agentId, site: config.siteId, miners: config.miners.length, meters: config.meters.length, ingest: config.controlPlaneUrl },
    'site agent started',
  );
  let stopping: Promise<void> | undefined;
  return {
    stats: () => ({ poller: poller.stats(), shipper: shipper.stats() }),
    stop: () => {
      stopping ??= (async () => {
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
