import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../lib/strict.ts';
import { blockSubsidyBtc, HALVING_INTERVAL_BLOCKS } from '../market/chain.ts';
import { dateMs, monthIndexOfDate, monthStartMs, monthLabel } from './months.ts';

const IsoDate = Type.String({ format: 'date' });
const growthPct = () => Type.Number({ exclusiveMinimum: -100, maximum: 1000, default: 0 });

/** How hashprice is expected to move: BTC price and difficulty trends, the fee share, the halvings. */
export const HashpriceOutlook = Strict({
  startUsdPerPhDay: Type.Number({ minimum: 0 }),
  btcPriceGrowthPctPerYear: growthPct(),
  difficultyGrowthPctPerYear: growthPct(),
  /** Transaction fees as a share of the block reward at the start; the rest is subsidy, which halves. */
  feeSharePct: Type.Number({ minimum: 0, maximum: 100, default: 2 }),
  /** Date block 1,050,000 is expected (the 2028 halving). Exclusive with `anchor`. */
  halvingDate: Type.Optional(IsoDate),
  /** A known height and its date; later heights follow at 144 blocks a day. Default: 840,000 on 2024-04-20. */
  anchor: Type.Optional(Strict({ height: Type.Integer({ minimum: 0 }), date: IsoDate })),
});
export type HashpriceOutlook = Static<typeof HashpriceOutlook>;


/**
 * Monthly hashprice path, USD per PH/s per day. Pure.
 *
 * hashprice(m) = start × ((1 + g_price) / (1 + g_difficulty))^(m / 12) × reward(m) / reward(0)
 * where reward = fees + subsidy: fees (feeSharePct of the start reward) are held constant in
 * BTC, the subsidy follows the height (Bitcoin's schedule, blockSubsidyBtc). Heights follow
 * from an anchor at 144 blocks a day. A halving cuts the whole month it falls in (the
 * conservative reading: the month's revenue is not averaged across the halving day).
 */

export const BLOCKS_PER_DAY = 144;
const MS_PER_DAY = 86_400_000;
/** The fourth halving: block 840,000 was mined on 2024-04-20. */
export const DEFAULT_ANCHOR = { height: 840_000, date: '2024-04-20' } as const;
/** The halving a halvingDate names. */
const HALVING_2028_HEIGHT = 1_050_000;

export interface Halving {
  height: number;
  /** Expected date at 144 blocks a day. */
  date: string;
  /** Month index (0-based from the start month) of the first month with the lower subsidy. */
  monthIndex: number;
  month: string;
  subsidyBeforeBtc: number;
  subsidyAfterBtc: number;
}

export interface HashpricePath {
  usdPerPhDay: number[];
  /** Halvings inside the horizon. */
  halvings: Halving[];
}

export function hashpricePath(o: HashpriceOutlook, startMonth: string, months: number): HashpricePath {
  const anchor = o.halvingDate !== undefined ? { height: HALVING_2028_HEIGHT, date: o.halvingDate } : (o.anchor ?? DEFAULT_ANCHOR);
  const anchorMs = dateMs(anchor.date);
  const heightAt = (ms: number) => Math.max(0, Math.floor(anchor.height + ((ms - anchorMs) / MS_PER_DAY) * BLOCKS_PER_DAY));
  // The reward a month earns is the one in force at its end: a halving during month m lowers all of m.
  const heightAtEndOf = (m: number) => heightAt(monthStartMs(startMonth, m + 1) - 1);

  const startSubsidy = blockSubsidyBtc(heightAt(monthStartMs(startMonth, 0)));
  const feeShare = o.feeSharePct / 100;
  const trend = (1 + o.btcPriceGrowthPctPerYear / 100) / (1 + o.difficultyGrowthPctPerYear / 100);

  const usdPerPhDay: number[] = [];
  for (let m = 0; m < months; m++) {
    const subsidyRatio = startSubsidy > 0 ? blockSubsidyBtc(heightAtEndOf(m)) / startSubsidy : 0;
    const rewardRatio = feeShare + (1 - feeShare) * subsidyRatio;
    usdPerPhDay.push(o.startUsdPerPhDay * trend ** (m / 12) * rewardRatio);
  }

  const halvings: Halving[] = [];
  const firstHeight = heightAt(monthStartMs(startMonth, 0));
  const lastHeight = heightAtEndOf(months - 1);
  for (let h = (Math.floor(firstHeight / HALVING_INTERVAL_BLOCKS) + 1) * HALVING_INTERVAL_BLOCKS; h <= lastHeight; h += HALVING_INTERVAL_BLOCKS) {
    const date = new Date(anchorMs + ((h - anchor.height) / BLOCKS_PER_DAY) * MS_PER_DAY).toISOString().slice(0, 10);
    const monthIndex = monthIndexOfDate(startMonth, date);
    halvings.push({ height: h, date, monthIndex, month: monthLabel(startMonth, monthIndex), subsidyBeforeBtc: blockSubsidyBtc(h - 1), subsidyAfterBtc: blockSubsidyBtc(h) });
  }
  return { usdPerPhDay, halvings };
}
