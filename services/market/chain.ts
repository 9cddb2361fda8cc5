import { integerAtLeast, nonNegative, positive } from '../lib/guard.ts';

/**
 * Bitcoin chain arithmetic: subsidy schedule, expected blocks for a hashrate, hashprice.
 * Pure functions. Hashrate in code is H/s; hashprice is quoted per PH/s per day, the
 * unit the market uses (1 PH/s = 1e15 H/s).
 */

export const SATS_PER_BTC = 100_000_000;
export const HALVING_INTERVAL_BLOCKS = 210_000;
/** 50 BTC, the subsidy of the first epoch. */
export const INITIAL_SUBSIDY_SATS = 50 * SATS_PER_BTC;
/** Target block interval, seconds. */
export const BLOCK_INTERVAL_S = 600;
/** Expected hashes per unit of difficulty: 2^32. */
export const HASHES_PER_DIFFICULTY = 2 ** 32;
export const HS_PER_PHS = 1e15;
export const HS_PER_EHS = 1e18;
const SECONDS_PER_DAY = 86_400;

/**
 * Block subsidy in satoshis at `height`, exactly as Bitcoin Core's GetBlockSubsidy:
 * halvings = ⌊height / 210,000⌋; subsidy = 5,000,000,000 >> halvings; 0 once halvings ≥ 64.
 * (The right shift on a non-negative integer is ⌊x / 2^h⌋, which stays exact in a double
 * because 5e9 < 2^53; it is already 0 from 33 halvings on.)
 */
export function blockSubsidySats(height: number): number {
  integerAtLeast('blockSubsidySats', 'height', height);
  const halvings = Math.floor(height / HALVING_INTERVAL_BLOCKS);
  if (halvings >= 64) return 0;
  return Math.floor(INITIAL_SUBSIDY_SATS / 2 ** halvings);
}

/** Block subsidy in BTC at `height` (blockSubsidySats / 1e8). */
export function blockSubsidyBtc(height: number): number {
  return blockSubsidySats(height) / SATS_PER_BTC;
}

/** Halving epoch of a height: 0 for the 50 BTC era, 4 from block 840,000. */
export function halvingEpoch(height: number): number {
  integerAtLeast('halvingEpoch', 'height', height);
  return Math.floor(height / HALVING_INTERVAL_BLOCKS);
}

/**
 * Expected blocks per day found by 1 PH/s at difficulty D:
 * 86400 × 1e15 / (D × 2^32).
 */
export function blocksPerDayPerPhs(difficulty: number): number {
  positive('blocksPerDayPerPhs', 'difficulty', difficulty);
  return (SECONDS_PER_DAY * HS_PER_PHS) / (difficulty * HASHES_PER_DIFFICULTY);
}

/** Network hashrate implied by difficulty, H/s: D × 2^32 / 600. */
export function networkHashrateHs(difficulty: number): number {
  positive('networkHashrateHs', 'difficulty', difficulty);
  return (difficulty * HASHES_PER_DIFFICULTY) / BLOCK_INTERVAL_S;
}

export interface HashpriceInputs {
  difficulty: number;
  /** Subsidy per block, BTC (use blockSubsidyBtc(height)). */
  subsidyBtc: number;
  /** Mean transaction fees per block, BTC. */
  feesPerBlockBtc: number;
}

/**
 * Hashprice in BTC per PH/s per day:
 * blocksPerDayPerPhs(D) × (subsidy + mean fees per block).
 */
export function hashpriceBtcPerPhDay(inputs: HashpriceInputs): number {
  nonNegative('hashpriceBtcPerPhDay', 'subsidyBtc', inputs.subsidyBtc);
  nonNegative('hashpriceBtcPerPhDay', 'feesPerBlockBtc', inputs.feesPerBlockBtc);
  return blocksPerDayPerPhs(inputs.difficulty) * (inputs.subsidyBtc + inputs.feesPerBlockBtc);
}

/** Hashprice in USD per PH/s per day: hashpriceBtcPerPhDay × BTC price (USD). */
export function hashpriceUsdPerPhDay(inputs: HashpriceInputs & { btcPriceUsd: number }): number {
  nonNegative('hashpriceUsdPerPhDay', 'btcPriceUsd', inputs.btcPriceUsd);
  return hashpriceBtcPerPhDay(inputs) * inputs.btcPriceUsd;
}
