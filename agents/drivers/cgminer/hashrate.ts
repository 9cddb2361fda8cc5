import { numberOf, type Entry } from './reply.ts';

/**
 * Hashrate fields carry their unit in the key: "GHS 5s" (Antminer stock, as a string),
 * "MHS av" (Whatsminer, Braiins, Avalon), "KHS …", "THS …". Pure.
 */
const UNIT_HS: Record<string, number> = { HS: 1, KHS: 1e3, MHS: 1e6, GHS: 1e9, THS: 1e12 };
/** Shortest window first: the reading should say what the miner does now. */
const WINDOWS = ['5s', '30s', '1m', '5m', '15m', 'av'];
const FIELD = /^(HS|KHS|MHS|GHS|THS) (5s|30s|1m|5m|15m|av)$/;

/** H/s from the shortest-window hashrate field of an entry; undefined when there is none. */
export function hashrateHs(entry: Entry): number | undefined {
  let best: { rank: number; hs: number } | undefined;
  for (const [key, value] of Object.entries(entry)) {
    const m = FIELD.exec(key);
    if (!m) continue;
    const n = numberOf(value);
    if (n === undefined) continue;
    const rank = WINDOWS.indexOf(m[2] as string);
    if (best === undefined || rank < best.rank) best = { rank, hs: n * (UNIT_HS[m[1] as string] as number) };
  }
  return best?.hs;
}
