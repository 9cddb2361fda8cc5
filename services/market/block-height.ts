/**
 * Block height estimated from a date, for the subsidy of a historical day when only chart data
 * (no block headers) is at hand. Between anchors the height is interpolated linearly, so the
 * estimate is exact at every halving and the subsidy epochs land on the right dates (the chain
 * ran faster than 144 blocks/day for most of its history: 2020-05 → 2024-04 averaged ~146).
 * After the last anchor it runs on at the target 144 blocks/day.
 *
 * Anchors: block timestamps from the headers of the genesis block and the four halving blocks.
 */
export const HEIGHT_ANCHORS: ReadonlyArray<{ height: number; timeMs: number }> = [
  { height: 0, timeMs: 1_231_006_505_000 }, // 2009-01-03T18:15:05Z genesis
  { height: 210_000, timeMs: 1_354_116_278_000 }, // 2012-11-28T15:24:38Z
  { height: 420_000, timeMs: 1_468_082_773_000 }, // 2016-07-09T16:46:13Z
  { height: 630_000, timeMs: 1_589_225_023_000 }, // 2020-05-11T19:23:43Z
  { height: 840_000, timeMs: 1_713_571_767_000 }, // 2024-04-20T00:09:27Z
];

export const TARGET_BLOCKS_PER_DAY = 144;
const DAY_MS = 86_400_000;

/** Estimated height of the chain tip at `timeMs` (0 before the genesis block). */
export function estimateBlockHeight(timeMs: number): number {
  if (!Number.isFinite(timeMs)) throw new RangeError(`estimateBlockHeight: timeMs must be finite, got ${timeMs}`);
  const first = HEIGHT_ANCHORS[0] as { height: number; timeMs: number };
  if (timeMs <= first.timeMs) return 0;
  for (let i = 1; i < HEIGHT_ANCHORS.length; i++) {
    const a = HEIGHT_ANCHORS[i - 1] as { height: number; timeMs: number };
    const b = HEIGHT_ANCHORS[i] as { height: number; timeMs: number };
    if (timeMs < b.timeMs) return a.height + Math.floor(((timeMs - a.timeMs) / (b.timeMs - a.timeMs)) * (b.height - a.height));
  }
  const last = HEIGHT_ANCHORS[HEIGHT_ANCHORS.length - 1] as { height: number; timeMs: number };
  return last.height + Math.floor(((timeMs - last.timeMs) / DAY_MS) * TARGET_BLOCKS_PER_DAY);
}
