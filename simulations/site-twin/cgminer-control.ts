import { statusEntry, type CgminerReply, type ReplyContext } from './cgminer-replies.ts';

/**
 * Commands that change a miner, shared by the dialects. Braiins OS (BOSminer) `pause` /
 * `resume` (CURTAILMENT_COMMANDS.md) need no auth on 4028. No recording of these replies
 * exists in the fixtures, so their sections follow the documented names with a minimal body.
 */
export type ControlHandler = (ctx: ReplyContext, parameter: string | undefined) => CgminerReply;

export function changed(ctx: ReplyContext, section: string, msg: string, body: Record<string, unknown>, code = 0): CgminerReply {
  return { STATUS: [statusEntry('S', code, msg, ctx.device.firmware, ctx.nowMs)], [section]: [body], id: 1 };
}

export const pause: ControlHandler = (ctx) => {
  const did = ctx.miner.sleep(ctx.nowMs);
  return changed(ctx, 'PAUSE', did ? 'Mining paused' : 'Mining already paused', { PAUSE: true, Changed: did });
};

export const resume: ControlHandler = (ctx) => {
  const did = ctx.miner.wake(ctx.nowMs);
  return changed(ctx, 'RESUME', did ? 'Mining resumed' : 'Mining not paused', { RESUME: true, Changed: did });
};
