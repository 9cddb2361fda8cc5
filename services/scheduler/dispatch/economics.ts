import { miningRevenueUsd as hashrateRevenueUsd } from '../../finance/mining.ts';
import type { AiBlock, DispatchInput, DispatchInterval, MiningBlock, MiningSegment } from './input.ts';

/**
 * Money per interval for each way a block can be used. Shared by the MILP's objective, the
 * greedy baseline, the plan evaluator and the explanations, so all four price a decision the
 * same way. Hashrate scales with IT power at the group's nominal J/TH (a power target lowers
 * both; real chips get a little more efficient when underclocked, so this is conservative).
 */

const MINUTES_PER_DAY = 1440;

export function hours(input: DispatchInput): number {
  return input.intervalMinutes / 60;
}

/** Mining revenue of 1 IT MW of a segment for one interval, USD (after pool fee). */
export function revenueUsdPerItMw(seg: MiningSegment, iv: DispatchInterval, input: DispatchInput): number {
  return hashrateRevenueUsd(iv.hashpriceUsdPerPhDay, 1000 / seg.efficiencyJPerTh, input.intervalMinutes / MINUTES_PER_DAY, input.site.poolFee);
}

export function blockBaseItMw(b: MiningBlock): number {
  return b.segments.reduce((s, g) => s + g.minItMw, 0);
}

export function blockMaxItMw(b: MiningBlock): number {
  return b.segments.reduce((s, g) => s + g.maxItMw, 0);
}

/**
 * Mining revenue of one running block at `itMw`, USD for the interval. Every group runs at
 * least at its minimum power target; power above that goes to the most efficient group first
 * (the order the optimiser would choose, so this equals the MILP's objective term).
 */
export function miningRevenueUsd(b: MiningBlock, itMw: number, iv: DispatchInterval, input: DispatchInput): number {
  let revenue = 0;
  let extra = itMw - blockBaseItMw(b);
  for (const g of b.segments) revenue += g.minItMw * revenueUsdPerItMw(g, iv, input);
  for (const g of [...b.segments].sort((x, y) => x.efficiencyJPerTh - y.efficiencyJPerTh)) {
    const take = Math.max(0, Math.min(extra, g.maxItMw - g.minItMw));
    revenue += take * revenueUsdPerItMw(g, iv, input);
    extra -= take;
  }
  return revenue;
}

/** Whether the contract bills rent in this interval (inside its term). */
export function aiInTerm(b: AiBlock, iv: DispatchInterval): boolean {
  return (b.termStartMs === undefined || iv.startMs >= b.termStartMs) && (b.termEndMs === undefined || iv.startMs < b.termEndMs);
}

/** Rent of an AI block at `itMw` for the interval, USD: 0 outside the contract's term. */
export function aiRentUsd(b: AiBlock, itMw: number, iv: DispatchInterval, input: DispatchInput): number {
  if (!aiInTerm(b, iv)) return 0;
  const perHour = b.revenueScalesWithLoad ? (b.revenueUsdPerHour * itMw) / b.fullItMw : b.revenueUsdPerHour;
  return perHour * hours(input);
}

/**
 * Energy billed through to the tenant (powerCost pass-through) for `itMw` over the interval:
 * metered MW (IT × overhead) × spot × hours, USD; 0 when the operator pays.
 */
export function aiPassThroughUsd(b: AiBlock, itMw: number, iv: DispatchInterval, input: DispatchInput): number {
  return b.energyPassThrough ? itMw * b.overheadFactor * iv.priceUsdPerMwh * hours(input) : 0;
}

/** What an AI block brings in for the interval: rent plus any energy pass-through, USD. */
export function aiRevenueUsd(b: AiBlock, itMw: number, iv: DispatchInterval, input: DispatchInput): number {
  return aiRentUsd(b, itMw, iv, input) + aiPassThroughUsd(b, itMw, iv, input);
}

/**
 * Effective marginal energy price for the site at this interval, USD/MWh: spot, or under a
 * PPA the resale value of a PPA MWh (spot − discount) while load is under the PPA volume.
 * Used only for explanations; the optimiser prices the PPA exactly.
 */
export function marginalEnergyPriceUsdPerMwh(iv: DispatchInterval, input: DispatchInput, siteLoadMw: number): number {
  const ppa = input.site.ppa;
  if (ppa && siteLoadMw < ppa.mw) return iv.priceUsdPerMwh - ppa.resaleDiscountUsdPerMwh;
  return iv.priceUsdPerMwh;
}

export interface OptionMargins {
  /** Margin of running the block at full power: revenue − energy, USD. */
  mineUsd: number;
  /** Margin of curtailing it: − sleep energy + credit for the load not drawn, USD. */
  curtailUsd: number;
  /** Price at which mining at full power and curtailing earn the same, USD/MWh. */
  breakevenUsdPerMwh: number;
}

export function miningOptionMargins(b: MiningBlock, iv: DispatchInterval, input: DispatchInput, energyPriceUsdPerMwh = iv.priceUsdPerMwh): OptionMargins {
  const h = hours(input);
  const fullMeter = blockMaxItMw(b) * b.overheadFactor;
  const sleepMeter = b.sleepItMw * b.overheadFactor;
  const revenue = miningRevenueUsd(b, blockMaxItMw(b), iv, input);
  const credit = (iv.creditUsdPerMwh ?? 0) * (fullMeter - sleepMeter) * h;
  const mineUsd = revenue - fullMeter * energyPriceUsdPerMwh * h;
  const curtailUsd = -sleepMeter * energyPriceUsdPerMwh * h + credit;
  const breakevenUsdPerMwh = (revenue - credit) / ((fullMeter - sleepMeter) * h);
  return { mineUsd, curtailUsd, breakevenUsdPerMwh };
}
