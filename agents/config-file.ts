import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { DeviceOwners } from '../services/domain/device-owners.ts';
import { loadSiteFile } from '../services/domain/load-site.ts';
import type { SiteFile } from '../services/domain/site-schema.ts';
import { check } from '../services/domain/schema.ts';
import { Strict } from '../services/lib/strict.ts';
import { ContextError, wrap } from '../services/lib/errors.ts';
import type { AgentConfig } from './agent.ts';
import { DRIVER_FILE_DEFAULTS, DRIVER_FILE_PROPERTIES, siteDevices } from './drivers/registry.ts';

/**
 * The agent's YAML config file (`switchyard agent --config FILE`). Devices come from the site
 * file it names, so the agent polls exactly what the site declares. The token comes from the
 * file itself (token), else from tokenFile (as `switchyard serve` writes it to
 * data/agent-tokens/<agentId>.token), else from the environment variable named by tokenEnv.
 */
const AgentFileOwn = Strict({
  agentId: Type.String({ minLength: 1, maxLength: 128 }),
  /** Default: the site file's site.id. */
  siteId: Type.Optional(Type.String({ minLength: 1 })),
  controlPlaneUrl: Type.String({ pattern: '^https?://' }),
  token: Type.Optional(Type.String({ minLength: 1 })),
  /** A file holding the token (relative to this config file). */
  tokenFile: Type.Optional(Type.String({ minLength: 1 })),
  tokenEnv: Type.String({ default: 'SWITCHYARD_AGENT_TOKEN' }),
  /** Relative to this config file. */
  siteFile: Type.String({ minLength: 1 }),
  /** Poll every miner on this port instead of the site file's (a twin on another port). */
  minerPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** Read every meter on this port instead of the site file's. */
  meterPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  shipIntervalMs: Type.Integer({ minimum: 50, default: 1_000 }),
  maxBatchReadings: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000 })),
  maxQueuedReadings: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Store-and-forward: where batches wait on disk while the control plane is unreachable (relative to this file). */
  spoolDir: Type.Optional(Type.String({ minLength: 1 })),
  /** Prometheus GET /metrics on this port; off when absent. */
  metricsPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  /** Address the metrics listener binds (default 127.0.0.1). */
  metricsHost: Type.Optional(Type.String({ minLength: 1 })),
});

/**
 * The file's keys: the agent's own above, and every driver's (intervals, deadlines, profile
 * folders; agents/drivers/<protocol>/entry.ts), all optional with the drivers' file defaults.
 * Devices are never listed here: they come from the site file.
 */
export const AgentFile = Type.Object({ ...AgentFileOwn.properties, ...DRIVER_FILE_PROPERTIES }, { additionalProperties: false });
export type AgentFile = Static<typeof AgentFileOwn> & Record<string, unknown>;

export class AgentConfigError extends ContextError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_AGENT_CONFIG', message, options);
    this.name = 'AgentConfigError';
  }
}

function readTokenFile(tokenPath: string, configPath: string): string {
  let text: string;
  try {
    text = readFileSync(tokenPath, 'utf8');
  } catch (err) {
    throw new AgentConfigError(wrap(`agent config ${configPath}: reading tokenFile ${tokenPath}`, err).message, { cause: err });
  }
  const token = text.trim();
  if (token === '') throw new AgentConfigError(`agent config ${configPath}: tokenFile ${tokenPath} is empty`);
  return token;
}

/**
 * The devices this agent polls: all of them on a site without an `agents` list, else the ones
 * the site file gives this agent (DeviceOwners), so it never polls what another agent reports.
 */
function ownActuators(site: SiteFile, agentId: string): NonNullable<AgentConfig['actuators']> {
  const owners = new DeviceOwners(site);
  const mine = (a: { id: string; blockId: string }) => !owners.assigned || owners.ownerOf(a.id, a.blockId) === agentId;
  return { pdus: (site.actuators?.pdus ?? []).filter(mine), relays: (site.actuators?.relays ?? []).filter(mine) };
}

function ownDevices<T extends Record<string, Array<{ id: string; blockId?: string }>>>(site: SiteFile, agentId: string, all: T, path: string): T {
  const owners = new DeviceOwners(site);
  if (!owners.assigned) return all;
  if (!owners.agentIds.includes(agentId)) {
    throw new AgentConfigError(`agent config ${path}: agent "${agentId}" is not in the site file's agents (${owners.agentIds.join(', ')})`);
  }
  const mine = (d: { id: string; blockId?: string }) => owners.ownerOf(d.id, d.blockId) === agentId;
  return Object.fromEntries(Object.entries(all).map(([key, list]) => [key, list.filter(mine)])) as T;
}

export function loadAgentConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AgentConfigError(wrap(`reading agent config ${path}`, err).message, { cause: err });
  }
  let file: AgentFile;
  try {
    file = check(AgentFile, value, `agent config ${path}`) as AgentFile;
  } catch (err) {
    throw new AgentConfigError((err as Error).message, { cause: err });
  }
  if (file.token !== undefined && file.tokenFile !== undefined) {
    throw new AgentConfigError(`agent config ${path}: token and tokenFile both given; keep one`);
  }
  const token = file.token ?? (file.tokenFile !== undefined ? readTokenFile(resolve(dirname(path), file.tokenFile), path) : env[file.tokenEnv]);
  if (token === undefined || token === '') {
    throw new AgentConfigError(`agent config ${path}: no token (set ${file.tokenEnv}, or add token or tokenFile to the file)`);
  }
  const site = loadSiteFile(resolve(dirname(path), file.siteFile));
  const devices = ownDevices(site, file.agentId, siteDevices(site, { ...(file.minerPort === undefined ? {} : { cgminer: file.minerPort }), ...(file.meterPort === undefined ? {} : { modbus: file.meterPort }) }), path);
  // Required driver keys (the miner and meter intervals) come from the drivers' file defaults;
  // startAgent checks the whole config against AgentConfig.
  const config = {
    agentId: file.agentId,
    siteId: file.siteId ?? site.site.id,
    controlPlaneUrl: file.controlPlaneUrl,
    token,
    // Every driver's devices from the site file (agents/drivers/registry.ts), this agent's only.
    ...devices,
    // The PDUs and relays in this agent's blocks (every one when the site assigns no agents).
    ...(site.actuators !== undefined ? { actuators: ownActuators(site, file.agentId) } : {}),
    shipIntervalMs: file.shipIntervalMs,
    // The drivers' keys: their file defaults, then what the file sets.
    ...DRIVER_FILE_DEFAULTS,
    ...(Object.fromEntries(Object.keys(DRIVER_FILE_PROPERTIES).flatMap((k) => (file[k] === undefined ? [] : [[k, file[k]]]))) as Partial<AgentConfig>),
  } as AgentConfig;
  for (const key of ['maxBatchReadings', 'maxQueuedReadings', 'metricsPort'] as const) {
    const v = file[key];
    if (v !== undefined) config[key] = v;
  }
  if (file.metricsHost !== undefined) config.metricsHost = file.metricsHost;
  if (file.spoolDir !== undefined) config.spoolDir = resolve(dirname(path), file.spoolDir);
  return config;
}
