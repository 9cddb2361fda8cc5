import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/log.ts';
import { wrap } from '../../lib/errors.ts';
import type { TokenStore } from './tokens.ts';

/**
 * First-start credentials. Nothing is hard-coded: the admin token is minted on the first
 * start, printed once, and kept in the data dir (0600) for the local CLI; each agent's token
 * is kept in agent-tokens/ beside it and never printed.
 */
export const ADMIN_TOKEN_FILE = 'admin.token';
/** Each agent's token, one file per agent id, for an agent started apart (`tokenFile:`). */
export const AGENT_TOKEN_DIR = 'agent-tokens';

export function agentTokenPath(dataDir: string, agentId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(agentId)) throw new Error(`agent id "${agentId}" cannot name a token file (letters, digits, . _ - only)`);
  return join(dataDir, AGENT_TOKEN_DIR, `${agentId}.token`);
}

function writeSecret(path: string, secret: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, secret + '\n', { mode: 0o600, flag: 'w' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    throw wrap(`writing token file ${path}`, err, 'E_TOKEN_FILE');
  }
}

function readSecret(path: string): string | null {
  if (!existsSync(path)) return null;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw wrap(`reading token file ${path}`, err, 'E_TOKEN_FILE');
  }
}

export interface AdminBootstrap {
  /** True when a token was minted (and printed) by this call. */
  created: boolean;
  path: string;
}

/**
 * Mints an admin token when there is no active one. When an admin token exists but its file
 * is gone, no second token is minted silently: the operator is told where it was kept.
 */
export async function ensureAdminToken(
  tokens: TokenStore,
  dataDir: string,
  log: Logger,
  print: (text: string) => void = (t) => process.stdout.write(t),
): Promise<AdminBootstrap> {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  if ((await tokens.active('admin')).length > 0) {
    if (!existsSync(path)) log.warn({ path }, 'an admin token exists but its file is missing; mint one with POST /api/tokens');
    return { created: false, path };
  }
  const { token, secret } = await tokens.create({ name: 'bootstrap-admin', role: 'admin' });
  writeSecret(path, secret);
  print(
    `\nAdmin token (shown once; also saved to ${path}, mode 0600):\n\n    ${secret}\n\n` +
      `Use it as "Authorization: Bearer <token>".\n\n`,
  );
  log.info({ tokenId: token.id, path }, 'admin token created');
  return { created: true, path };
}

/**
 * An agent's token in <dataDir>/agent-tokens/<agentId>.token (0600): reused while it is valid,
 * re-minted (old one revoked) when not.
 */
export async function ensureAgentToken(tokens: TokenStore, dataDir: string, agentId: string, log: Logger, opts: { replaceOthers?: boolean } = {}): Promise<string> {
  const path = agentTokenPath(dataDir, agentId);
  mkdirSync(join(dataDir, AGENT_TOKEN_DIR), { recursive: true, mode: 0o700 });
  const existing = readSecret(path);
  if (existing) {
    const info = await tokens.verify(existing);
    if (info && info.role === 'agent' && info.name === agentId) return existing;
  }
  // One instance alone: a lost token file means the old token is orphaned, so it goes. Several
  // instances on one store each hold their own token for the agent: none revokes another's.
  if (opts.replaceOthers ?? true) for (const old of await tokens.active('agent', agentId)) await tokens.revoke(old.id);
  const { token, secret } = await tokens.create({ name: agentId, role: 'agent' });
  writeSecret(path, secret);
  log.info({ tokenId: token.id, agentId, path }, 'agent token created');
  return secret;
}
