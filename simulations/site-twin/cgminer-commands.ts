import { CONTROL_COMMANDS } from './cgminer-control.ts';
import {
  CODE,
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

/**
 * What a cgminer API request says and the reply it gets. Pure apart from control commands,
 * which change the miner. Requests are JSON (`{"command":"summary+stats","parameter":"…"}`)
 * or plain text (`summary|param`); replies use the same form as the request.
 */
export type ParsedRequest =
  | { kind: 'incomplete' }
  | { kind: 'request'; json: boolean; commands: string[]; parameter: string | undefined }
  | { kind: 'invalid'; json: boolean; code: number; msg: string };

const READ_COMMANDS: Readonly<Record<string, (ctx: ReplyContext) => CgminerReply>> = {
  summary: summaryReply,
  stats: statsReply,
  devs: devsReply,
  pools: poolsReply,
  version: versionReply,
};

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
  const read = READ_COMMANDS[command];
  if (read) return read(ctx);
  const control = CONTROL_COMMANDS[command];
  if (control) {
    // cgminer refuses to join commands that change state ("Access denied").
    if (joined) return errorReply(CODE.accessDenied, `Access denied to '${command}' command`, ctx.device.firmware, ctx.nowMs);
    return control(ctx, parameter);
  }
  return errorReply(CODE.invalidCommand, 'Invalid command', ctx.device.firmware, ctx.nowMs);
}

/** The reply text (without the trailing NUL) for a complete or invalid request. */
export function answer(request: Exclude<ParsedRequest, { kind: 'incomplete' }>, ctx: ReplyContext): string {
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
