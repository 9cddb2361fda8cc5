import { changed, type ControlHandler } from './cgminer-control.ts';
import { errorReply, statusEntry, type CgminerReply, type ReplyContext } from './cgminer-replies.ts';

/**
 * Canaan Avalon (cgminer 4.11): `estats` packs each module's telemetry into one "MM ID0"
 * string, shaped after the AvalonMiner 15-194 recording; `ascset 0,softoff|softon,1:<ts>`
 * sleeps and wakes; `ascset 0,worklevel,set,N` picks a work level 0–2.
 */
export function estatsReply({ device, miner, nowMs }: ReplyContext): CgminerReply {
  const s = miner.snapshot(nowMs);
  const fan = s.fanRpm ?? 0;
  const mm = [
    `Ver[15-194-24102401_25462b2_9ddf522]`,
    `SYSTEMSTATU[Work: ${s.mode === 'mining' ? 'In Work' : 'In Idle'}, Hash Board: 3 ]`,
    `Elapsed[${s.elapsedS}]`,
    `Temp[25] TMax[${Math.round(s.tempC + 8)}] TAvg[${Math.round(s.tempC)}]`,
    `Fan1[${fan}] Fan2[${fan}] FanR[${Math.round(fan / 60)}%]`,
    `WALLPOWER[${Math.round(s.powerW)}]`,
    `GHSspd[${(s.hashrateHs / 1e9).toFixed(2)}] GHSavg[${(s.hashrateAvgHs / 1e9).toFixed(2)}]`,
    `SoftOFF[${s.mode === 'sleeping' ? 1 : 0}]`,
  ].join(' ');
  const entry = { STATS: 0, ID: 'AVA100', Elapsed: s.elapsedS, Calls: 0, Wait: 0, Max: 0, Min: 99999999, 'MM ID0': mm, 'MM Count': 1 };
  return { STATUS: [statusEntry('S', 70, 'CGMiner stats', device.firmware, nowMs)], STATS: [entry], id: 1 };
}

const WORK_LEVELS = ['minPowerW', 'powerW', 'maxPowerW'] as const;

const ascset: ControlHandler = (ctx, parameter) => {
  const [dev, action, ...args] = (parameter ?? '').split(',').map((p) => p.trim());
  const fail = (msg: string) => errorReply(16, msg, ctx.device.firmware, ctx.nowMs);
  if (dev !== '0') return fail(`Invalid ASC id ${JSON.stringify(dev ?? '')}`);
  if (action === 'softoff') return changed(ctx, 'ASC', 'ASC 0 set info: success softoff', { Changed: ctx.miner.sleep(ctx.nowMs) }, 119);
  if (action === 'softon') return changed(ctx, 'ASC', 'ASC 0 set info: success softon', { Changed: ctx.miner.wake(ctx.nowMs) }, 119);
  if (action === 'worklevel' && args[0] === 'set') {
    const level = Number(args[1]);
    const key = WORK_LEVELS[level];
    if (key === undefined) return fail(`work level must be 0, 1 or 2, got ${JSON.stringify(args[1] ?? '')}`);
    ctx.miner.setPowerTarget(ctx.nowMs, ctx.miner.model[key]);
    return changed(ctx, 'ASC', `ASC 0 set info: success worklevel ${level}`, { WorkLevel: level }, 119);
  }
  return fail(`Unsupported ascset ${JSON.stringify(parameter ?? '')}`);
};

export const AVALON_CONTROL: Record<string, ControlHandler> = { ascset };
