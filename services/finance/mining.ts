import { fraction, nonNegative, positive } from '../lib/guard.ts';

/**
 * Mining unit economics (DESIGN.md "Economics"). Pure functions.
 * ε is efficiency at the wall in J/TH; 1 MW of miners at ε J/TH hashes 1000/ε PH/s.
 * Hashprice is USD per PH/s per day; power prices are USD per MWh.
 */

/**
 * Mining revenue, USD: hashprice × PH/s × days × (1 − pool fee). The one formula for what
 * hashrate earns; dispatch, allocation and the ledger all call it (with measured hashrate in
 * the ledger, the block's nominal fleet in planning).
 */
export function miningRevenueUsd(hashpriceUsdPerPhDay: number, hashratePhs: number, days: number, poolFee: number): number {
  const fn = 'miningRevenueUsd';
  nonNegative(fn, 'hashpriceUsdPerPhDay', hashpriceUsdPerPhDay);
  nonNegative(fn, 'hashratePhs', hashratePhs);
  nonNegative(fn, 'days', days);
  fraction(fn, 'poolFee', poolFee);
  return hashpriceUsdPerPhDay * hashratePhs * days * (1 - poolFee);
}

/** PH/s delivered per MW of miner power: 1000 / ε. */
export function phsPerMw(efficiencyJPerTh: number): number {
  return 1000 / positive('phsPerMw', 'efficiencyJPerTh', efficiencyJPerTh);
}

/**
 * Power cost of 1 PH/s for one day, USD: 24 × ε × p / 1000 × overhead.
 * (1 PH/s at ε J/TH draws ε kW; over 24 h that is 24ε kWh = 24ε/1000 MWh.)
 * `overheadFactor` (≥ 1) adds facility load (cooling, distribution) per unit of IT load.
 */
export function hashcostUsdPerPhDay(efficiencyJPerTh: number, powerPriceUsdPerMwh: number, overheadFactor = 1): number {
  positive('hashcostUsdPerPhDay', 'efficiencyJPerTh', efficiencyJPerTh);
  nonNegative('hashcostUsdPerPhDay', 'powerPriceUsdPerMwh', powerPriceUsdPerMwh);
  overhead('hashcostUsdPerPhDay', overheadFactor);
  return (24 * efficiencyJPerTh * powerPriceUsdPerMwh * overheadFactor) / 1000;
}

export interface BreakevenInputs {
  hashpriceUsdPerPhDay: number;
  efficiencyJPerTh: number;
  /** Pool fee as a fraction, e.g. 0.02. */
  poolFee: number;
  /** Facility overhead multiplier on IT load, ≥ 1 (1.05 = 5% for fans/distribution). */
  overheadFactor: number;
}

/**
 * Power price at which mining margin is zero, USD/MWh:
 * p* = hashprice × 1000 × (1 − pool fee) / (24 × ε × overhead).
 */
export function breakevenPowerPriceUsdPerMwh(i: BreakevenInputs): number {
  const fn = 'breakevenPowerPriceUsdPerMwh';
  nonNegative(fn, 'hashpriceUsdPerPhDay', i.hashpriceUsdPerPhDay);
  positive(fn, 'efficiencyJPerTh', i.efficiencyJPerTh);
  fraction(fn, 'poolFee', i.poolFee);
  overhead(fn, i.overheadFactor);
  return (i.hashpriceUsdPerPhDay * 1000 * (1 - i.poolFee)) / (24 * i.efficiencyJPerTh * i.overheadFactor);
}

/** The facts about a model that economics needs (an AsicModel fits). */
export interface MinerSpec {
  hashrateThs: number;
  powerW: number;
}

/** A fleet entry: a model with either a unit count or its share of the fleet's MW. */
export type FleetEntry = { model: MinerSpec; count: number } | { model: MinerSpec; shareOfMw: number };

export interface FleetRevenueInputs {
  fleet: readonly FleetEntry[];
  hashpriceUsdPerPhDay: number;
  /** Share of the day the fleet hashes, 0..1. */
  uptime: number;
  poolFee: number;
}

export interface FleetRevenue {
  /** PH/s per MW of miner (IT) power for this mix. */
  phsPerMw: number;
  /** Power-weighted fleet efficiency, J/TH: 1000 / phsPerMw. */
  efficiencyJPerTh: number;
  /** Revenue per MW of miner power per day, USD. */
  revenueUsdPerMwDay: number;
}

/**
 * Mining revenue per MW-day for a fleet mix:
 * hashprice × PH/s-per-MW × uptime × (1 − pool fee), where for a mix
 * PH/s-per-MW = Σ shareᵢ × 1000/εᵢ (shares of MW). With counts, shareᵢ = countᵢ·Pᵢ / Σ count·P,
 * which is the same as Σ hashrate / Σ power. A fleet uses counts or shares, not both.
 */
export function fleetRevenueUsdPerMwDay(i: FleetRevenueInputs): FleetRevenue {
  const fn = 'fleetRevenueUsdPerMwDay';
  nonNegative(fn, 'hashpriceUsdPerPhDay', i.hashpriceUsdPerPhDay);
  fraction(fn, 'uptime', i.uptime);
  fraction(fn, 'poolFee', i.poolFee);
  if (i.fleet.length === 0) throw new RangeError(`${fn}: fleet must have at least one entry`);
  const byCount = i.fleet.every((e) => 'count' in e);
  const byShare = i.fleet.every((e) => 'shareOfMw' in e);
  if (!byCount && !byShare) throw new RangeError(`${fn}: fleet entries must all use count or all use shareOfMw`);

  let phs = 0;
  if (byCount) {
    let hashrateThs = 0;
    let powerW = 0;
    i.fleet.forEach((e, k) => {
      const count = nonNegative(fn, `fleet[${k}].count`, (e as { count: number }).count);
      hashrateThs += count * positive(fn, `fleet[${k}].model.hashrateThs`, e.model.hashrateThs);
      powerW += count * positive(fn, `fleet[${k}].model.powerW`, e.model.powerW);
    });
    if (powerW === 0) throw new RangeError(`${fn}: fleet counts must not all be 0`);
    phs = (hashrateThs / powerW) * 1000; // TH/s per W × 1e6 W/MW ÷ 1e3 TH/PH
  } else {
    let shares = 0;
    i.fleet.forEach((e, k) => {
      const share = fraction(fn, `fleet[${k}].shareOfMw`, (e as { shareOfMw: number }).shareOfMw);
      const eff = positive(fn, `fleet[${k}].model.powerW`, e.model.powerW) / positive(fn, `fleet[${k}].model.hashrateThs`, e.model.hashrateThs);
      shares += share;
      phs += share * (1000 / eff);
    });
    // Shares that do not add up to the whole MW are a caller bug, not a rounding matter.
    if (Math.abs(shares - 1) > 1e-6) throw new RangeError(`${fn}: fleet shareOfMw must sum to 1, got ${shares}`);
  }
  return {
    phsPerMw: phs,
    efficiencyJPerTh: 1000 / phs,
    revenueUsdPerMwDay: miningRevenueUsd(i.hashpriceUsdPerPhDay, phs, i.uptime, i.poolFee),
  };
}

/**
 * Revenue per MW-day for one efficiency: hashprice × 1000/ε × uptime × (1 − pool fee).
 */
export function miningRevenueUsdPerMwDay(hashpriceUsdPerPhDay: number, efficiencyJPerTh: number, uptime: number, poolFee: number): number {
  const fn = 'miningRevenueUsdPerMwDay';
  nonNegative(fn, 'hashpriceUsdPerPhDay', hashpriceUsdPerPhDay);
  positive(fn, 'efficiencyJPerTh', efficiencyJPerTh);
  fraction(fn, 'uptime', uptime);
  fraction(fn, 'poolFee', poolFee);
  return miningRevenueUsd(hashpriceUsdPerPhDay, 1000 / efficiencyJPerTh, uptime, poolFee);
}

function overhead(fn: string, overheadFactor: number): void {
  if (!Number.isFinite(overheadFactor) || overheadFactor < 1) {
    throw new RangeError(`${fn}: overheadFactor must be a finite number ≥ 1, got ${overheadFactor}`);
  }
}
