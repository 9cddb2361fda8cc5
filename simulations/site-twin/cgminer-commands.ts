import type { Firmware } from '../../services/domain/site-schema.ts';
import { pause, resume, type ControlHandler } from './cgminer-control.ts';
import {
  CODE,
  devdetailsReply,
  devsReply,
  errorReply,
  poolsReply,
  statsReply,
  summaryReply,
  toPlainText,
  versionReply,
  type CgminerReply,
  type ReplyContext,
} from './cgminer-replies.ts';
import { AVALON_CONTROL, estatsReply } from './dialect-avalon.ts';
import { fansReply, tempsReply } from './dialect-braiins.ts';
import { LUXOS_CONTROL, LUXOS_READS } from './dialect-luxos.ts';
import { answerBtminer, permissionDenied, WRITE_COMMANDS } from './dialect-whatsminer.ts';

/**
 * What a cgminer API request says and the reply it gets, in the dialect of the miner's
 * firmware. Pure apart from control commands, which change the miner. Requests are JSON
 * (`{"command":"summary+stats","parameter":"…"}`) or plain text (`summary|param`); replies
 * use the same form as the request. Whatsminer's `{"cmd":…}` / `{"enc":…}` go to btminer.
 */
export type ParsedRequest =
  | { kind: 'incomplete' }
  | { kind: 'request'; json: boolean; commands: string[]; parameter: string | undefined }
  | { kind: 'btminer'; body: Record<string, unknown> }
  | { kind: 'invalid'; json: boolean; code: number; msg: string };

type ReadHandler = (ctx: ReplyContext) => CgminerReply;
interface DialectTable {
  reads: Readonly<Record<string, ReadHandler>>;
  control: Readonly<Record<string, ControlHandler>>;
}

const COMMON_READS: Readonly<Record<string, ReadHandler>> = {
  summary: summaryReply,
  stats: statsReply,
  devs: devsReply,
  pools: poolsReply,
  version: versionReply,
  devdetails: devdetailsReply,
};

/** Whatsminer write commands sent as plain cgminer commands: refused, a token is needed. */
const WHATSMINER_CONTROL: Record<string, ControlHandler> = Object.fromEntries(
  [...WRITE_COMMANDS].map((c) => [c, (ctx: ReplyContext) => permissionDenied(ctx)]),
);

export const DIALECTS: Readonly<Record<Firmware, DialectTable>> = {
  // Stock Antminer sleeps only through the web UI (antminer-web.ts): no control on 4028.
  antminer: { reads: COMMON_READS, control: {} },
  whatsminer: { reads: COMMON_READS, control: WHATSMINER_CONTROL },
  braiins: { reads: { ...COMMON_READS, temps: tempsReply, fans: fansReply }, control: { pause, resume } },
  luxos: { reads: { ...COMMON_READS, ...LUXOS_READS }, control: LUXOS_CONTROL },
  avalon: { reads: { ...COMMON_READS, stats: estatsReply, estats: estatsReply }, control: AVALON_CONTROL },
};

const ANY_CONTROL = new Set(Object.values(DIALECTS).flatMap((d) => Object.keys(d.control)));

export function parseRequest(raw: string): ParsedRequest {
  const text = raw.replace(/\0+$/, '').trim();
  if (text.length === 0) return { kind: 'incomplete' };
  if (!text.startsWith('{')) {
    const bar = text.indexOf('|');
    const command = (bar < 0 ? text : text.slice(0, bar)).trim();
    const parameter = bar < 0 ? undefined : text.slice(bar + 1);
    return { kind: 'request', json: false, commands: [command], parameter: parameter === '' ? undefined : parameter };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not yet parseable: either more bytes are coming (braces still open) or it is garbage.
    return jsonDepth(text) > 0 ? { kind: 'incomplete' } : { kind: 'invalid', json: true, code: CODE.invalidJson, msg: 'Invalid JSON' };
  }
  if (typeof value === 'object' && value !== null && (value as { command?: unknown }).command === undefined && ('cmd' in value || 'enc' in value)) {
    return { kind: 'btminer', body: value as Record<string, unknown> };
  }
  if (typeof value !== 'object' || value === null || typeof (value as { command?: unknown }).command !== 'string') {
    return { kind: 'invalid', json: true, code: CODE.missingCommand, msg: "Missing JSON 'command'" };
  }
  const { command, parameter } = value as { command: string; parameter?: unknown };
  return {
    kind: 'request',
    json: true,
    commands: command.split('+').map((c) => c.trim()),
    parameter: parameter === undefined || parameter === null ? undefined : String(parameter),
  };
}

/** Open braces/brackets left at the end of `text`, ignoring those inside strings. */
function jsonDepth(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return depth;
}

function runOne(command: string, parameter: string | undefined, ctx: ReplyContext, joined: boolean): CgminerReply {
  const dialect = DIALECTS[ctx.device.firmware];
  const read = dialect.reads[command];
  if (read) return read(ctx);
  // cgminer refuses to join commands that change state ("Access denied").
  if (joined && ANY_CONTROL.has(command)) return errorReply(CODE.accessDenied, `Access denied to '${command}' command`, ctx.device.firmware, ctx.nowMs);
  const control = dialect.control[command];
  if (control) return control(ctx, parameter);
  return errorReply(CODE.invalidCommand, 'Invalid command', ctx.device.firmware, ctx.nowMs);
}

/** The reply text (without the trailing NUL) for a complete or invalid request. */
export function answer(request: Exclude<ParsedRequest, { kind: 'incomplete' }>, ctx: ReplyContext): string {
  if (request.kind === 'btminer') {
    const reply = ctx.device.firmware === 'whatsminer' ? answerBtminer(request.body, ctx) : undefined;
    // Reads in btminer's {"cmd":…} form are not modelled: they get cgminer's missing-command error.
    return JSON.stringify(reply ?? errorReply(CODE.missingCommand, "Missing JSON 'command'", ctx.device.firmware, ctx.nowMs));
  }
  if (request.kind === 'invalid') {
    const reply = errorReply(request.code, request.msg, ctx.device.firmware, ctx.nowMs);
    return request.json ? JSON.stringify(reply) : toPlainText(reply);
  }
  if (request.commands.length === 1) {
    const reply = runOne(request.commands[0] as string, request.parameter, ctx, false);
    return request.json ? JSON.stringify(reply) : toPlainText(reply);
  }
  // Multi-command form, as in the BOSminer temps+devdetails+fans recording:
  // {"temps":[{…reply…}],"devdetails":[{…}],…,"id":1}
  const combined: Record<string, unknown> = {};
  for (const command of request.commands) combined[command] = [runOne(command, request.parameter, ctx, true)];
  combined.id = 1;
  return JSON.stringify(combined);
}
