import type { CgminerReply } from './parse.ts';

/**
 * The structure every cgminer reply shares: a STATUS array, sections of entries, and the
 * multi-command form `{"summary":[{…reply…}],"stats":[{…}],"id":1}`. Pure.
 */
export type Entry = Record<string, unknown>;

export interface ReplyStatus {
  status: string;
  code: number | undefined;
  msg: string;
  description: string | undefined;
}

export class CgminerStatusError extends Error {
  readonly status: ReplyStatus;
  constructor(status: ReplyStatus) {
    super(`miner answered STATUS ${status.status}${status.code === undefined ? '' : ` code ${status.code}`}: ${status.msg}`);
    this.name = 'CgminerStatusError';
    this.status = status;
  }
}

const isEntry = (v: unknown): v is Entry => typeof v === 'object' && v !== null && !Array.isArray(v);

export function statusOf(reply: CgminerReply): ReplyStatus | undefined {
  const list = reply.STATUS;
  const first = Array.isArray(list) ? list[0] : undefined;
  if (!isEntry(first)) return undefined;
  return {
    status: String(first.STATUS ?? ''),
    code: typeof first.Code === 'number' ? first.Code : undefined,
    msg: String(first.Msg ?? ''),
    description: typeof first.Description === 'string' ? first.Description : undefined,
  };
}

/** Each command's reply of a multi-command reply; undefined when `reply` is a single reply. */
export function splitMulti(reply: CgminerReply): Map<string, CgminerReply> | undefined {
  if ('STATUS' in reply) return undefined;
  const parts = new Map<string, CgminerReply>();
  for (const [command, value] of Object.entries(reply)) {
    if (command === 'id') continue;
    const inner = Array.isArray(value) ? value[0] : undefined;
    if (isEntry(inner) && 'STATUS' in inner) parts.set(command, inner);
  }
  return parts.size > 0 ? parts : undefined;
}

/** Throws CgminerStatusError for STATUS E/F; returns the status otherwise. */
export function requireSuccess(reply: CgminerReply): ReplyStatus {
  const status = statusOf(reply);
  if (status === undefined) throw new Error(`not a cgminer reply: no STATUS section (keys: ${Object.keys(reply).slice(0, 6).join(', ') || 'none'})`);
  if (status.status === 'E' || status.status === 'F') throw new CgminerStatusError(status);
  return status;
}

/** Entries of an upper-case section (SUMMARY, STATS, DEVS …), objects only. */
export function entries(reply: CgminerReply, section: string): Entry[] {
  const value = reply[section];
  return Array.isArray(value) ? value.filter(isEntry) : [];
}

const NUMERIC = /^-?[\d.]+(e[-+]?\d+)?$/i;

/** A finite number from a number or numeric string ("35568.22"); undefined otherwise. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '' || !NUMERIC.test(text)) return undefined;
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
