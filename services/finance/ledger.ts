import { nonNegative } from '../lib/guard.ts';
import { slaCreditUsd } from './contracts.ts';
import { miningRevenueUsd } from './mining.ts';

/**
 * The realised margin ledger's arithmetic: one block over one period (a UTC day, or an hour of
 * the current day), from what was measured. Pure.
 *
 *   mining revenue = hashprice × measured PH/s (mean over the hours measured) × hours / 24 × (1 − pool fee)
 *   BTC earned     = mining revenue / BTC price
 *   energy cost    = Σ_hours metered MWh_h × price paid_h
 *   AI revenue     = rent for the period − SLA credit + energy pass-through (metered MWh × price paid)
 *   margin         = mining + AI revenue + curtailment/DR credits − energy cost − restart costs
 *   $/MW-day       = margin / block MW / (hours / 24);  $/MWh = margin / metered MWh
 *
 * Hours without telemetry are absent, not zero: the row says how many hours were measured.
 */

export interface HourReading {
  /** Hour start, UTC ms. */
  atMs: number;
  /** Mean block power over the hour, W (absent hour: no row). */
  powerW: number;
  /** Mean measured hashrate over the hour, H/s (null: none reported, e.g. an AI block). */
  hashrateHs: number | null;
  /** Price paid for this hour's energy, USD/MWh. */
  priceUsdPerMwh: number;
}

export interface AiTerms {
  contractId: string;
  /** Rent due for the period at full availability, USD (in term only; 0 outside). */
  rentUsd: number;
  slaUptimePct: number;
  slaCreditPctPerPoint: number;
  passThrough: boolean;
}

export interface LedgerInputs {
  blockId: string;
  /** Period start, UTC ms, and its length in hours (24 for a day, 1 for an hour). */
  startMs: number;
  periodHours: number;
  capacityMw: number;
  hours: readonly HourReading[];
  hashpriceUsdPerPhDay: number;
  btcPriceUsd: number | null;
  poolFee: number;
  ai?: AiTerms;
  creditsUsd: number;
  restartCostUsd: number;
}

export interface LedgerRow {
  blockId: string;
  startMs: number;
  periodHours: number;
  hoursMeasured: number;
  capacityMw: number;
  meteredMwh: number;
  hashratePhs: number | null;
  hashpriceUsdPerPhDay: number;
  btcEarned: number | null;
  miningRevenueUsd: number;
  contractId: string | null;
  aiRentUsd: number;
  slaCreditUsd: number;
  passThroughUsd: number;
  aiRevenueUsd: number;
  energyCostUsd: number;
  creditsUsd: number;
  restartCostUsd: number;
  marginUsd: number;
  marginUsdPerMwDay: number;
  marginUsdPerMwh: number | null;
  /** Energy cost / metered MWh: the price actually paid. */
  priceUsdPerMwh: number | null;
}

export function ledgerRow(i: LedgerInputs): LedgerRow {
  const fn = 'ledgerRow';
  nonNegative(fn, 'capacityMw', i.capacityMw);
  let mwh = 0;
  let energy = 0;
  let phsHours = 0;
  let hashHours = 0;
  for (const h of i.hours) {
    const e = nonNegative(fn, 'powerW', h.powerW) / 1e6; // mean MW over one hour = MWh
    mwh += e;
    energy += e * h.priceUsdPerMwh;
    if (h.hashrateHs !== null) {
      phsHours += nonNegative(fn, 'hashrateHs', h.hashrateHs) / 1e15;
      hashHours += 1;
    }
  }
  const hashratePhs = hashHours > 0 ? phsHours / hashHours : null;
  const mining = hashratePhs === null ? 0 : miningRevenueUsd(i.hashpriceUsdPerPhDay, hashratePhs, hashHours / 24, i.poolFee);
  let rent = 0;
  let credit = 0;
  let pass = 0;
  if (i.ai) {
    rent = i.ai.rentUsd;
    // Availability: hours the hall drew power among the hours measured.
    const measured = i.hours.length;
    const up = i.hours.filter((h) => h.powerW > 0).length;
    const availabilityPct = measured > 0 ? (up / measured) * 100 : 100;
    credit = slaCreditUsd(rent, i.ai.slaUptimePct, availabilityPct, i.ai.slaCreditPctPerPoint);
    if (i.ai.passThrough) pass = energy;
  }
  const ai = rent - credit + pass;
  const margin = mining + ai + i.creditsUsd - energy - i.restartCostUsd;
  return {
    blockId: i.blockId,
    startMs: i.startMs,
    periodHours: i.periodHours,
    hoursMeasured: i.hours.length,
    capacityMw: i.capacityMw,
    meteredMwh: mwh,
    hashratePhs,
    hashpriceUsdPerPhDay: i.hashpriceUsdPerPhDay,
    btcEarned: i.btcPriceUsd && i.btcPriceUsd > 0 ? mining / i.btcPriceUsd : null,
    miningRevenueUsd: mining,
    contractId: i.ai?.contractId ?? null,
    aiRentUsd: rent,
    slaCreditUsd: credit,
    passThroughUsd: pass,
    aiRevenueUsd: ai,
    energyCostUsd: energy,
    creditsUsd: i.creditsUsd,
    restartCostUsd: i.restartCostUsd,
    marginUsd: margin,
    marginUsdPerMwDay: i.capacityMw > 0 ? margin / i.capacityMw / (i.periodHours / 24) : 0,
    marginUsdPerMwh: mwh > 0 ? margin / mwh : null,
    priceUsdPerMwh: mwh > 0 ? energy / mwh : null,
  };
}
