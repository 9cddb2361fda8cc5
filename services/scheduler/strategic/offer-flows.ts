import { leaseMonthlySchedule } from '../../finance/lease.ts';
import type { Candidate } from './site-flows.ts';
import type { CapexFinancing, ContractOffer, OffersFile } from './offers-schema.ts';
import { HOURS_PER_MONTH } from '../../finance/months.ts';
import { projectLoanServiceUsd } from '../../finance/project-loan.ts';

/**
 * What converting one block for one offer does, month by month. Pure.
 * - The block stops mining in the decision month (month 0) and earns nothing while built.
 * - Capex = capex per MW critical IT × critical IT MW (capacity × criticalItShare), spent
 *   evenly over the lead time (construction draws) or all in month 0 (`capexTiming`).
 * - Lease NOI from month leadTimeMonths for termMonths: rate × 1000 × MW × (1 + esc)^(year − 1)
 *   × (1 − opex), less, when the operator pays the power (powerCost included / operator-paid),
 *   critical IT MW × expected load / criticalItShare (gross) × hours × the month's power price. Months past the horizon are dropped, and so is mining past the horizon:
 *   no terminal value on either side — lengthen the horizon to value a whole lease.
 *   After the term the block earns nothing (no renewal assumed).
 */

export interface ConversionOption {
  candidate: number;
  blockId: string;
  offer: number;
  offerId: string;
  criticalItMw: number;
  capexTotalUsd: number;
  capexUsd: number[];
  leaseNoiUsd: number[];
  /** Capex drawn on the project loan (not paid from operating cash), USD. */
  financedCapexUsd: number[];
  /** The project loan's interest and repayments, USD. */
  loanServiceUsd: number[];
}

export function conversionOption(
  cand: Candidate,
  candidate: number,
  offer: ContractOffer,
  offerIndex: number,
  months: number,
  capexTiming: OffersFile['capexTiming'],
  financing: CapexFinancing | undefined,
  powerUsdPerMwh: readonly number[] = [],
): ConversionOption {
  const criticalItMw = cand.capacityMw * offer.criticalItShare;
  const perMw = cand.aiCapable ? (offer.capexUsdPerMwCriticalItAiReady ?? offer.capexUsdPerMwCriticalIt) : offer.capexUsdPerMwCriticalIt;
  const capexTotalUsd = perMw * criticalItMw;

  const capexUsd = new Array<number>(months).fill(0);
  const buildMonths = capexTiming === 'at-decision' ? 1 : Math.max(1, offer.leadTimeMonths);
  for (let m = 0; m < buildMonths && m < months; m++) capexUsd[m] = capexTotalUsd / buildMonths;

  const leaseNoiUsd = new Array<number>(months).fill(0);
  const keep = 1 - offer.opexPctOfRevenue / 100;
  const schedule = leaseMonthlySchedule({
    rateUsdPerKwMonth: offer.rateUsdPerKwMonth,
    criticalItMw,
    termMonths: offer.termMonths,
    escalatorPctPerYear: offer.escalatorPctPerYear,
  });
  const grossMw = offer.powerCost === 'pass-through' ? 0 : (criticalItMw * (offer.expectedItLoadPct / 100)) / offer.criticalItShare;
  for (const row of schedule) {
    const m = offer.leadTimeMonths + row.month - 1;
    if (m >= months) continue;
    const power = grossMw > 0 ? grossMw * HOURS_PER_MONTH * (powerUsdPerMwh[m] ?? powerUsdPerMwh[powerUsdPerMwh.length - 1] ?? 0) : 0;
    leaseNoiUsd[m] = row.revenueUsd * keep - power;
  }

  const loan = financing
    ? projectLoanServiceUsd(capexUsd, financing.sharePct, financing.couponPct, financing.termMonths, offer.leadTimeMonths)
    : { drawUsd: new Array<number>(months).fill(0), serviceUsd: new Array<number>(months).fill(0) };

  return {
    candidate,
    blockId: cand.blockId,
    offer: offerIndex,
    offerId: offer.id,
    criticalItMw,
    capexTotalUsd,
    capexUsd,
    leaseNoiUsd,
    financedCapexUsd: loan.drawUsd,
    loanServiceUsd: loan.serviceUsd,
  };
}

/** Unlevered incremental flows of converting vs keeping the block mining: lease − capex − mining. */
export function incrementalFlowsUsd(o: ConversionOption, cand: Candidate): number[] {
  return o.leaseNoiUsd.map((lease, m) => lease - o.capexUsd[m]! - cand.miningMarginUsd[m]!);
}
