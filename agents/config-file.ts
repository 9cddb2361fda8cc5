import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { loadSiteFile } from '../services/domain/load-site.ts';
import { check } from '../services/domain/schema.ts';
import { Strict } from '../services/lib/strict.ts';
import { ContextError, wrap } from '../services/lib/errors.ts';
import type { AgentConfig } from './agent.ts';
import { siteDevices } from './drivers/registry.ts';

/**
 * The agent's YAML config file (`switchyard agent --config FILE`). Devices come from the site
 * file it names, so the agent polls exactly what the site declares. The token comes from the
 * file itself (token), else from tokenFile (as `switchyard serve` writes it to
 * data/agent-tokens/<agentId>.token), else from the environment variable named by tokenEnv.
 */
export const AgentFile = Strict({
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
  // Measured on 2 cores: one pass over ~35,000 twin miners takes ~4–6 s and 4–7 CPU-seconds
  // (agent and twin together), so 30 s leaves most of the machine to the control plane.
  minerIntervalMs: Type.Integer({ minimum: 100, default: 30_000 }),
  meterIntervalMs: Type.Integer({ minimum: 100, default: 1_000 }),
  snmpIntervalMs: Type.Integer({ minimum: 100, default: 10_000 }),
  gpuIntervalMs: Type.Integer({ minimum: 100, default: 5_000 }),
  shipIntervalMs: Type.Integer({ minimum: 50, default: 1_000 }),
  minerTimeoutMs: Type.Optional(Type.Integer({ minimum: 50 })),
  meterTimeoutMs: Type.Optional(Type.Integer({ minimum: 50 })),
  minerConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
  maxBatchReadings: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000 })),
  maxQueuedReadings: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type AgentFile = Static<typeof AgentFile>;

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

export function loadAgentConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AgentConfigError(wrap(`reading agent config ${path}`, err).message, { cause: err });
  }
  let file: AgentFile;
  try {
    file = check(AgentFile, value, `agent config ${path}`);
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
  const config: AgentConfig = {
    agentId: file.agentId,
    siteId: file.siteId ?? site.site.id,
    controlPlaneUrl: file.controlPlaneUrl,
    token,
    // Every driver's devices from the site file (agents/drivers/registry.ts).
    ...siteDevices(site, { ...(file.minerPort === undefined ? {} : { cgminer: file.minerPort }), ...(file.meterPort === undefined ? {} : { modbus: file.meterPort }) }),
    minerIntervalMs: file.minerIntervalMs,
    meterIntervalMs: file.meterIntervalMs,
    snmpIntervalMs: file.snmpIntervalMs,
    gpuIntervalMs: file.gpuIntervalMs,
    shipIntervalMs: file.shipIntervalMs,
  };
  for (const key of ['minerTimeoutMs', 'meterTimeoutMs', 'minerConcurrency', 'maxBatchReadings', 'maxQueuedReadings'] as const) {
    const v = file[key];
    if (v !== undefined) config[key] = v;
  }
  return config;
}
