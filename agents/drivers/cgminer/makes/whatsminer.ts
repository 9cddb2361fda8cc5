import { btminerDecrypt, btminerPrivileged, btminerToken, type BtminerToken, type BtminerTokenMsg } from '../auth/btminer-token.ts';
import { minerTelemetry } from '../normalise.ts';
import type { CgminerReply } from '../parse.ts';
import { MinerCommandError, type Dialect, type MinerSession } from '../miner.ts';

/**
 * MicroBT Whatsminer, btminer API v2 (CURTAILMENT_COMMANDS.md; pyasic rpc/btminer.py).
 * Read commands are plain cgminer (`summary` carries Power, Power Limit, temps, fans, "MHS …").
 * Write commands need a token: `get_token`, then the AES-encrypted command (auth/btminer-token.ts).
 * The v3 API (`set.miner.service`, `set.miner.power_limit`, port 4433) is not implemented: the
 * notes name its commands but not its auth.
 */
const DEFAULT_PASSWORD = 'admin';

/**
 * Whatsminer btminer's own commands (get_token and the privileged ones) answer with STATUS
 * as a string ("STATUS":"S") rather than cgminer's array; both forms are read here.
 */
export function btminerStatus(reply: Record<string, unknown>): { ok: boolean; code: unknown; msg: unknown } {
  const raw = reply.STATUS;
  const entry = Array.isArray(raw) ? (raw[0] as Record<string, unknown> | undefined) : reply;
  const status = Array.isArray(raw) ? entry?.STATUS : raw;
  return { ok: status === 'S' || status === 'I', code: entry?.Code, msg: entry?.Msg };
}

function tokenMsg(reply: CgminerReply): BtminerTokenMsg {
  const st = btminerStatus(reply);
  const msg = st.msg as Record<string, unknown> | undefined;
  if (!st.ok || typeof msg !== 'object' || msg === null) throw new MinerCommandError(`get_token refused (code ${String(st.code)}): ${JSON.stringify(st.msg)}`);
  const { time, salt, newsalt } = msg;
  if (typeof time !== 'string' || typeof salt !== 'string' || typeof newsalt !== 'string') throw new MinerCommandError(`get_token reply lacks time/salt/newsalt: ${JSON.stringify(msg)}`);
  return { time, salt, newsalt };
}

/**
 * btminer firmware issues about 32 tokens per 30 minutes per miner and refuses more ("Too
 * many tokens", code 136); a token stays valid for 30 minutes. Taking one per command ran a
 * miner out within one curtailment (stranded asleep), so a token is kept per miner and reused
 * for TOKEN_REUSE_MS, well inside its life; a refusal with code 135 ("check token err": the
 * miner restarted or forgot it) drops it and takes a fresh one once.
 */
export const TOKEN_REUSE_MS = 25 * 60_000;
/**
 * prepare() (an event announced, or the agent keeping tokens warm) takes a fresh token once
 * the kept one is this old, so a prepared miner holds one good for at least 10 more minutes
 * and the event's commands make no get_token round trip (nor its md5crypt).
 */
export const TOKEN_REFRESH_MS = 15 * 60_000;
const TOKEN_REFUSED = 135;
const CACHE_LIMIT = 100_000;
interface CachedToken {
  token: Promise<BtminerToken>;
  takenAtMs: number;
}
const tokens = new Map<string, CachedToken>();

function tokenFor(s: MinerSession, password: string, fresh: boolean, reuseMs = TOKEN_REUSE_MS): Promise<BtminerToken> {
  const key = `${s.address.host}:${s.address.port}\u0000${password}`;
  const now = Date.now();
  const cached = tokens.get(key);
  if (!fresh && cached && now - cached.takenAtMs < reuseMs) return cached.token;
  if (tokens.size >= CACHE_LIMIT) tokens.clear();
  const token = s.send(JSON.stringify({ cmd: 'get_token' })).then((reply) => s.charge(() => btminerToken(password, tokenMsg(reply))));
  const entry = { token, takenAtMs: now };
  tokens.set(key, entry);
  // A failed get_token is not kept: the next command asks again.
  token.catch(() => {
    if (tokens.get(key) === entry) tokens.delete(key);
  });
  return token;
}

/** Forgets every kept token (tests). */
export function forgetBtminerTokens(): void {
  tokens.clear();
}

async function privileged(s: MinerSession, cmd: string, params: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const password = s.address.password ?? DEFAULT_PASSWORD;
  for (let fresh = false; ; fresh = true) {
    const token = await tokenFor(s, password, fresh);
    const reply = await s.send(s.charge(() => btminerPrivileged(token, { cmd, ...params })));
    // A refused token comes back in clear ({"STATUS":"E","Code":135,…}); an accepted command encrypted.
    const enc = reply.enc;
    const plain = typeof enc === 'string' ? s.charge(() => btminerDecrypt(token.hostPasswdMd5, enc)) : reply;
    if (typeof plain !== 'object' || plain === null) throw new MinerCommandError(`${cmd}: reply is not a JSON object`);
    const st = btminerStatus(plain as Record<string, unknown>);
    if (!st.ok && Number(st.code) === TOKEN_REFUSED && !fresh) continue;
    if (!st.ok) throw new MinerCommandError(`${cmd} refused (code ${String(st.code)}): ${String(st.msg)}`);
    return plain as Record<string, unknown>;
  }
}

export const whatsminer: Dialect = {
  make: 'whatsminer',
  telemetryCommand: 'summary',
  telemetry: minerTelemetry,
  sleep: async (s) => void (await privileged(s, 'power_off', { respbefore: 'true' })),
  wake: async (s) => void (await privileged(s, 'power_on')),
  setPowerTarget: async (s, watts) => void (await privileged(s, 'adjust_power_limit', { power_limit: String(Math.round(watts)) })),
  prepare: async (s) => void (await tokenFor(s, s.address.password ?? DEFAULT_PASSWORD, false, TOKEN_REFRESH_MS)),
};
