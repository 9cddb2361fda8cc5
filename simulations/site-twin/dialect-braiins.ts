import { statusEntry, type CgminerReply, type ReplyContext } from './cgminer-replies.ts';

/**
 * Braiins OS (BOSminer) extras: `temps` (Board/Chip per hashboard) and `fans` (RPM), shaped
 * after the S17 BOS+ temps/fans recordings; `pause` / `resume` live in cgminer-control.ts.
 */
const BOARDS = 3;

export function tempsReply({ device, miner, nowMs }: ReplyContext): CgminerReply {
  const s = miner.snapshot(nowMs);
  const temps = Array.from({ length: BOARDS }, (_, i) => ({ TEMPS: i, ID: 6 + i, Board: Math.round((s.tempC - 1 + i) * 10) / 10, Chip: Math.round((s.tempC + 14 + i) * 10) / 10 }));
  return { STATUS: [statusEntry('S', 201, `${BOARDS} Temp(s)`, device.firmware, nowMs)], TEMPS: temps, id: 1 };
}

export function fansReply({ device, miner, nowMs }: ReplyContext): CgminerReply {
  const s = miner.snapshot(nowMs);
  const fans = s.fanRpm === undefined ? [] : Array.from({ length: 4 }, (_, i) => ({ FANS: i, ID: i, RPM: s.fanRpm, Speed: Math.min(100, Math.round((s.fanRpm as number) / 60)) }));
  return { STATUS: [statusEntry('S', 202, `${fans.length} Fan(s)`, device.firmware, nowMs)], FANS: fans, id: 1 };
}
