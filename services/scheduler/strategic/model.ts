import type { SiteFile } from '../../domain/site-schema.ts';
import type { Catalogs } from '../../domain/site.ts';
import { committedConversionCapexUsd } from '../../finance/conversion.ts';
import { minDscrCovenant } from '../../finance/covenants.ts';
import { monthlyDebtService } from '../../finance/debt-schedule.ts';
import { hashpricePath, type HashpricePath } from '../../finance/hashprice-outlook.ts';
import { monthLabel, monthlyRate } from '../../finance/months.ts';
import { conversionOption, type ConversionOption } from './offer-flows.ts';
import type { ContractOffer, OffersFile } from './offers-schema.ts';
import { existingContractNoiUsd, siteCandidates, type Candidate, type ExcludedBlock } from './site-flows.ts';

/**
 * Every number the optimiser and the evaluator need, computed once from the site and the
 * offers file. Pure. Options exist only where a block fits an offer (its critical IT is not
 * above the offer's maximum); a block is indivisible.
 */
export interface StrategicModel {
  startMonth: string;
  /** Month labels, YYYY-MM, index 0 = decision month. */
  months: string[];
  /** 1 / (1 + monthly rate)^m. */
  discount: number[];
  hashprice: HashpricePath;
  powerUsdPerMwh: number[];
  offers: ContractOffer[];
  candidates: Candidate[];
  options: ConversionOption[];
  excluded: ExcludedBlock[];
  /** NOI of the site's signed contracts, USD by month. */
  existingNoiUsd: number[];
  /** Capex of blocks already converting, spread to their ready date, USD by month (paid from cash). */
  committedCapexUsd: number[];
  /** Debt service the coverage test counts (before any project loan), USD by month. */
  debtServiceUsd: number[];
  /** Bullet principal left out of the test because it is refinanced, USD by month. */
  refinancedUsd: number[];
  minDscr: number;
  /** Where minDscr came from: an instrument's covenant, the offers file, or the default. */
  minDscrSource: string;
  coverageWindowMonths: number;
  shortfallPenaltyPerUsd: number;
  input: OffersFile;
}

export function buildModel(site: SiteFile, input: OffersFile, catalogs?: Catalogs): StrategicModel {
  const n = input.horizonMonths;
  const months = Array.from({ length: n }, (_, m) => monthLabel(input.startMonth, m));
  const r = monthlyRate(input.discountRatePctPerYear);
  const discount = months.map((_, m) => (1 + r) ** -m);
  const hashprice = hashpricePath(input.hashprice, input.startMonth, n);
  const prices = typeof input.powerPriceUsdPerMwh === 'number' ? [input.powerPriceUsdPerMwh] : input.powerPriceUsdPerMwh;
  const powerUsdPerMwh = months.map((_, m) => prices[Math.min(m, prices.length - 1)]!);

  const { candidates, excluded } = siteCandidates(
    site,
    { hashpriceUsdPerPhDay: hashprice.usdPerPhDay, powerUsdPerMwh, poolFee: input.poolFee ?? site.site.poolFee, uptime: input.miningUptime },
    n,
    catalogs,
  );
  const options: ConversionOption[] = [];
  candidates.forEach((c, ci) => {
    input.offers.forEach((o, oi) => {
      if (c.capacityMw * o.criticalItShare <= o.maxCriticalItMw + 1e-9) {
        options.push(conversionOption(c, ci, o, oi, n, input.capexTiming, input.capexFinancing, powerUsdPerMwh));
      }
    });
  });

  // Rolled bullets keep paying interest at the refinancing rate (finance/debt-schedule.ts).
  const debt = monthlyDebtService(site.debt, input.startMonth, n, {
    refinanceBullets: input.coverage.refinanceBulletPrincipal,
    ...(input.coverage.refinanceCouponPct !== undefined ? { defaultRefinanceCouponPct: input.coverage.refinanceCouponPct } : {}),
  });
  const debtServiceUsd = months.map((_, m) => debt.interestUsd[m]! + debt.principalUsd[m]!);
  const refinancedUsd = debt.refinancedUsd;
  const covenant = minDscrCovenant(site.debt);
  const committed = committedConversionCapexUsd(site, input.startMonth, n);

  return {
    startMonth: input.startMonth,
    months,
    discount,
    hashprice,
    powerUsdPerMwh,
    offers: input.offers,
    candidates,
    options,
    excluded,
    existingNoiUsd: existingContractNoiUsd(site, input.startMonth, n, input.existingContracts, powerUsdPerMwh, catalogs),
    committedCapexUsd: committed,
    debtServiceUsd,
    refinancedUsd,
    minDscr: covenant?.threshold ?? input.coverage.minDscr ?? 1,
    minDscrSource: covenant ? `covenant of ${covenant.instrumentId}` : input.coverage.minDscr !== undefined ? 'offers file coverage.minDscr' : 'default 1 (no covenant)',
    coverageWindowMonths: input.coverage.windowMonths,
    shortfallPenaltyPerUsd: input.coverage.shortfallPenaltyPerUsd,
    input,
  };
}
