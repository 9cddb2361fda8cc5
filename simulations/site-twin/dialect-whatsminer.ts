import { randomBytes } from 'node:crypto';
import { btminerDecrypt, btminerEncrypt, btminerToken } from '../../agents/drivers/cgminer/auth/btminer-token.ts';
import { md5Crypt } from '../../agents/drivers/cgminer/auth/md5-crypt.ts';
import { errorMessage } from '../../services/lib/errors.ts';
import { PowerTargetError, type VirtualMiner } from './miner.ts';
import type { ReplyContext } from './cgminer-replies.ts';
import { DEFAULT_SECRETS } from './twin-secrets.ts';

/**
 * Whatsminer btminer API v2 write commands as the twin enforces them: in clear they are
 * refused (Code 45 "Permission denied"); `{"cmd":"get_token"}` issues {time, salt, newsalt};
 * `{"enc":1,"data":…}` must decrypt under the key from the miner's password and carry a
 * token issued in the last 30 minutes. Replies to privileged commands are encrypted.
 * btminer's own replies have STATUS as a string, not cgminer's array.
 */
export const WRITE_COMMANDS = new Set(['power_off', 'power_on', 'adjust_power_limit', 'set_power_pct', 'set_low_power', 'set_normal_power', 'set_high_power', 'restart_btminer', 'update_pools']);
const TOKEN_TTL_MS = 30 * 60_000;
const MAX_TOKENS = 32;

interface TokenState {
  salt: string;
  hostPasswdMd5: string;
  password: string;
  /** host_sign → issued at (ms). */
  issued: Map<string, number>;
}

const states = new WeakMap<VirtualMiner, TokenState>();
const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomSalt = () => Array.from(randomBytes(8), (b) => SALT_CHARS[b % SALT_CHARS.length]).join('');

function stateOf(ctx: ReplyContext): TokenState {
  const password = ctx.secrets?.whatsminerPassword ?? DEFAULT_SECRETS.whatsminerPassword;
  let state = states.get(ctx.miner);
  if (state === undefined || state.password !== password) {
    const salt = randomSalt();
    state = { salt, password, hostPasswdMd5: md5Crypt(password, salt).split('$')[3] as string, issued: new Map() };
    states.set(ctx.miner, state);
  }
  return state;
}

/** Tokens this miner holds issued within their life (tests: how many get_token calls landed). */
export function tokensIssued(miner: VirtualMiner): number {
  return states.get(miner)?.issued.size ?? 0;
}

export function btminerReply(ctx: ReplyContext, status: 'S' | 'E', code: number, msg: unknown): Record<string, unknown> {
  return { STATUS: status, When: Math.floor(ctx.nowMs / 1000), Code: code, Msg: msg, Description: '' };
}

export const permissionDenied = (ctx: ReplyContext) => btminerReply(ctx, 'E', 45, 'Permission denied');

function getToken(ctx: ReplyContext): Record<string, unknown> {
  const state = stateOf(ctx);
  for (const [sign, at] of state.issued) if (ctx.nowMs - at > TOKEN_TTL_MS) state.issued.delete(sign);
  if (state.issued.size >= MAX_TOKENS) return btminerReply(ctx, 'E', 136, 'Too many tokens');
  const time = String(Math.floor(ctx.nowMs / 1000) % 10_000).padStart(4, '0');
  const newsalt = randomSalt();
  const { hostSign } = btminerToken(state.password, { salt: state.salt, time, newsalt });
  state.issued.set(hostSign, ctx.nowMs);
  return btminerReply(ctx, 'S', 134, { time, salt: state.salt, newsalt });
}

function execute(ctx: ReplyContext, cmd: string, body: Record<string, unknown>): Record<string, unknown> {
  try {
    if (cmd === 'power_off') return btminerReply(ctx, 'S', 131, ctx.miner.sleep(ctx.nowMs) ? 'API command OK' : 'already powered off');
    if (cmd === 'power_on') return btminerReply(ctx, 'S', 131, ctx.miner.wake(ctx.nowMs) ? 'API command OK' : 'already powered on');
    if (cmd === 'adjust_power_limit') {
      const watts = Number(body.power_limit);
      ctx.miner.setPowerTarget(ctx.nowMs, watts);
      return btminerReply(ctx, 'S', 131, 'API command OK');
    }
  } catch (err) {
    if (err instanceof PowerTargetError) return btminerReply(ctx, 'E', 132, errorMessage(err));
    throw err;
  }
  return btminerReply(ctx, 'E', 14, 'invalid cmd');
}

/** A JSON request without "command": `{"cmd":…}` or `{"enc":1,"data":…}`. Undefined: not btminer's. */
export function answerBtminer(body: Record<string, unknown>, ctx: ReplyContext): Record<string, unknown> | undefined {
  if (body.cmd === 'get_token') return getToken(ctx);
  if (typeof body.cmd === 'string' && WRITE_COMMANDS.has(body.cmd)) return permissionDenied(ctx);
  if (body.enc === undefined) return undefined;
  const state = stateOf(ctx);
  let inner: unknown;
  try {
    inner = btminerDecrypt(state.hostPasswdMd5, String(body.data ?? ''));
  } catch {
    // A payload encrypted under another password is noise; the firmware says only this.
    return btminerReply(ctx, 'E', 135, 'check token err');
  }
  const command = inner as Record<string, unknown>;
  const issuedAt = typeof command.token === 'string' ? state.issued.get(command.token) : undefined;
  if (issuedAt === undefined || ctx.nowMs - issuedAt > TOKEN_TTL_MS) return btminerReply(ctx, 'E', 135, 'check token err');
  const reply = execute(ctx, String(command.cmd ?? ''), command);
  return { enc: btminerEncrypt(state.hostPasswdMd5, JSON.stringify(reply)) };
}
