import { Type, type Static } from '@sinclair/typebox';
import { HashpriceOutlook } from '../../finance/hashprice-outlook.ts';
import { Strict } from '../../lib/strict.ts';

/**
 * The strategic-allocation input ("offers file"): contract offers on the table, the hashprice
 * and power outlook, and how to discount and test debt coverage. Unknown keys are rejected.
 */

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const IsoDate = Type.String({ format: 'date' });
const Pct = Type.Number({ minimum: 0, maximum: 100 });
/** A growth rate: −100 % would be a price of zero, so it is excluded. */
const growthPct = () => Type.Number({ exclusiveMinimum: -100, maximum: 1000, default: 0 });

export const ContractOffer = Strict({
  id: Id,
  counterparty: Type.String({ minLength: 1 }),
  rateUsdPerKwMonth: Type.Number({ exclusiveMinimum: 0 }),
  termMonths: Type.Integer({ minimum: 1 }),
  escalatorPctPerYear: Type.Number({ minimum: 0, maximum: 20, default: 0 }),
  /** Conversion capex per MW of critical IT, USD: makes a mining shell AI-capable and fits it out. */
  capexUsdPerMwCriticalIt: Type.Number({ minimum: 0 }),
  /** Capex per MW critical IT for a block whose capability already includes ai (defaults to capexUsdPerMwCriticalIt). */
  capexUsdPerMwCriticalItAiReady: Type.Optional(Type.Number({ minimum: 0 })),
  /** Months from decision to the first lease month; the block earns nothing meanwhile. */
  leadTimeMonths: Type.Integer({ minimum: 0, maximum: 120 }),
  /** Critical IT MW delivered per gross MW of block capacity, e.g. 0.75. */
  criticalItShare: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
  maxCriticalItMw: Type.Number({ exclusiveMinimum: 0 }),
  /** The tenant takes at least this much or nothing at all. */
  minCriticalItMw: Type.Number({ minimum: 0, default: 0 }),
  /** Carried for reporting; the model assumes the tenant is billed for the full capacity. */
  takeOrPayPct: Type.Optional(Pct),
  /** Operating cost besides power (staff, maintenance) as a share of lease revenue. */
  opexPctOfRevenue: Type.Number({ minimum: 0, maximum: 100, default: 15 }),
  /**
   * Who pays the tenant's energy (as for signed contracts): pass-through (default) costs the
   * operator nothing; included / operator-paid cost the expected load at the power price.
   */
  powerCost: Type.Union([Type.Literal('pass-through'), Type.Literal('included'), Type.Literal('operator-paid')], { default: 'pass-through' }),
  /** Expected IT load as a share of the critical IT leased (prices the energy when the operator pays). */
  expectedItLoadPct: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 80 }),
});
export type ContractOffer = Static<typeof ContractOffer>;

export const CapexFinancing = Strict({
  /** Share of each month's capex drawn on a project loan instead of paid from operating cash. */
  sharePct: Pct,
  couponPct: Type.Number({ minimum: 0, maximum: 50 }),
  /** Monthly level repayment over this many months, starting when the lease starts. */
  termMonths: Type.Integer({ minimum: 1, maximum: 600 }),
});
export type CapexFinancing = Static<typeof CapexFinancing>;

export const Coverage = Strict({
  /**
   * Cash available ÷ debt service must reach this every month (with no debt service due:
   * cash ≥ 0). Only where the debt book has no min-dscr covenant: covenants come from the
   * instruments (their tightest min-dscr threshold); without either, 1.
   */
  minDscr: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
  /**
   * Months of cash and debt service summed for each month's test, ending that month: 1 tests
   * each month alone; 3 a quarter; 12 the trailing twelve months, as most covenants are written
   * (a quarterly payment is then met from the quarter's cash, not one month's).
   */
  windowMonths: Type.Integer({ minimum: 1, maximum: 24, default: 1 }),
  /** NPV given up to cover one more USD of debt service; large, so coverage comes first when it can. */
  shortfallPenaltyPerUsd: Type.Number({ exclusiveMinimum: 0, default: 1000 }),
  /** Leave bullet principal at maturity out of the test (it is refinanced, not paid from operations). */
  refinanceBulletPrincipal: Type.Boolean({ default: false }),
  /**
   * Rate a rolled bullet keeps paying, %/yr, for instruments without their own
   * refinanceCouponPct (a stated assumption; without it, the instrument's coupon).
   */
  refinanceCouponPct: Type.Optional(Type.Number({ minimum: 0, maximum: 50 })),
}, { default: {} });

export const ExistingContracts = Strict({
  colocationOpexPctOfRevenue: Type.Number({ minimum: 0, maximum: 100, default: 15 }),
  /**
   * GPU cloud carries the GPUs' upkeep, so its margin is thinner than a lease's. Power is not in
   * here: it is counted from the contract's load at the power price (powerCost operator-paid).
   */
  gpuCloudOpexPctOfRevenue: Type.Number({ minimum: 0, maximum: 100, default: 25 }),
}, { default: {} });

export const SolverSettings = Strict({
  timeLimitS: Type.Number({ exclusiveMinimum: 0, maximum: 3600, default: 30 }),
  mipRelGap: Type.Number({ minimum: 0, maximum: 0.5, default: 1e-4 }),
}, { default: {} });

export const OffersFile = Strict({
  /** Decision month, YYYY-MM (month 0 of the plan). */
  startMonth: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }),
  horizonMonths: Type.Integer({ minimum: 1, maximum: 600 }),
  discountRatePctPerYear: Type.Number({ minimum: 0, maximum: 100 }),
  /** Flat, or one value per month from startMonth (the last value holds to the horizon). */
  powerPriceUsdPerMwh: Type.Union([Type.Number({ minimum: 0 }), Type.Array(Type.Number({ minimum: 0 }), { minItems: 1 })]),
  /** Overrides the site's pool fee (fraction). */
  poolFee: Type.Optional(Type.Number({ minimum: 0, maximum: 0.2 })),
  /** Share of the month mining blocks hash (maintenance, grid curtailment). */
  miningUptime: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
  hashprice: HashpriceOutlook,
  capexTiming: Type.Union([Type.Literal('spread-over-lead-time'), Type.Literal('at-decision')], { default: 'spread-over-lead-time' }),
  capexFinancing: Type.Optional(CapexFinancing),
  coverage: Coverage,
  existingContracts: ExistingContracts,
  solver: SolverSettings,
  offers: Type.Array(ContractOffer, { minItems: 1 }),
});
export type OffersFile = Static<typeof OffersFile>;

export { HashpriceOutlook };
