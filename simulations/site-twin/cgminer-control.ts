import { CODE, errorReply, statusEntry, type CgminerReply, type ReplyContext } from './cgminer-replies.ts';

/**
 * Sleep and wake over the cgminer port, as CURTAILMENT_COMMANDS.md documents them:
 * Braiins OS (BOSminer) `pause` / `resume`, and LuxOS `curtail` with parameter
 * `sleep` / `wakeup` (optionally prefixed by a session id, `<session>,sleep`).
 * For now every twin miner accepts both forms and LuxOS's logon is not enforced; the
 * per-firmware dialects (auth, Whatsminer tokens, Avalon `ascset softoff`) replace this table.
 * No recording of these replies exists in the fixtures, so their sections (PAUSE, RESUME,
 * CURTAIL) follow the documented section names with a minimal body.
 */
export type ControlHandler = (ctx: ReplyContext, parameter: string | undefined) => CgminerReply;

function changed(ctx: ReplyContext, section: string, msg: string, body: Record<string, unknown>): CgminerReply {
  return { STATUS: [statusEntry('S', 0, msg, ctx.device.firmware, ctx.nowMs)], [section]: [body], id: 1 };
}

const pause: ControlHandler = (ctx) => {
  const did = ctx.miner.sleep(ctx.nowMs);
  return changed(ctx, 'PAUSE', did ? 'Mining paused' : 'Mining already paused', { PAUSE: true, Changed: did });
};

const resume: ControlHandler = (ctx) => {
  const did = ctx.miner.wake(ctx.nowMs);
  return changed(ctx, 'RESUME', did ? 'Mining resumed' : 'Mining not paused', { RESUME: true, Changed: did });
};

const curtail: ControlHandler = (ctx, parameter) => {
  const action = parameter?.split(',').at(-1)?.trim();
  if (action === 'sleep') {
    const did = ctx.miner.sleep(ctx.nowMs);
    return changed(ctx, 'CURTAIL', 'Curtail sleep', { Mode: 'sleep', Changed: did });
  }
  if (action === 'wakeup') {
    const did = ctx.miner.wake(ctx.nowMs);
    return changed(ctx, 'CURTAIL', 'Curtail wakeup', { Mode: 'wakeup', Changed: did });
  }
  return errorReply(CODE.missingParameter, `curtail needs parameter sleep or wakeup, got ${JSON.stringify(parameter ?? '')}`, ctx.device.firmware, ctx.nowMs);
};

export const CONTROL_COMMANDS: Readonly<Record<string, ControlHandler>> = { pause, resume, curtail };
