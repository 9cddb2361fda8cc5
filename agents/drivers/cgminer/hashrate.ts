import { numberOf, type Entry } from './reply.ts';

/**
 * Hashrate fields carry their unit in the key: "GHS 5s" (Antminer stock, as a string),
 * "MHS av" (Whatsminer, Braiins, Avalon), "KHS …", "THS …". Pure.
 */
const UNIT_HS: Record<string, number> = { HS: 1, KHS: 1e3, MHS: 1e6, GHS: 1e9, THS: 1e12 };
/** Shortest window first: the reading should say what the miner does now. */
const WINDOWS = ['5s', '30s', '1m', '5m', '15m', 'av'];
/**
 * Every hashrate key → its window's rank and its unit in H/s, looked up once per key of an
 * entry: the poller reads tens of thousands of replies a cycle, and a regex match per key
 * allocated several KB per reply (agent-footprint bench).
 */
const FIELDS = new Map<string, { rank: number; unitHs: number }>(
  Object.entries(UNIT_HS).flatMap(([unit, unitHs]) => WINDOWS.map((w, rank) => [`${unit} ${w}`, { rank, unitHs }] as const)),
);

/** H/s from the shortest-window hashrate field of an entry; undefined when there is none. */
export function hashrateHs(entry: Entry): number | undefined {
  let bestRank = Infinity;
  let best: number | undefined;
  for (const key in entry) {
    const field = FIELDS.get(key);
    if (field === undefined || field.rank >= bestRank) continue;
    const n = numberOf(entry[key]);
    if (n === undefined) continue;
    bestRank = field.rank;
    best = n * field.unitHs;
  }
  return best;
}
