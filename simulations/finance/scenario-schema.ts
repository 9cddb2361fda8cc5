import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../../services/lib/strict.ts';

/**
 * A what-if scenario (YAML): the risks laid over the company's forward model. Every key is
 * optional except `name`; an absent risk is the forward model's (zero volatility). Unknown
 * keys are rejected. Percentages are percent (40 = 40 %), per year unless the name says month.
 */

const Pct = (opts: { minimum?: number; maximum?: number; default?: number } = {}) => Type.Number({ minimum: 0, maximum: 1000, ...opts });
/** A string from a list, as a JSON Schema enum (so an error reads "must be one of ..."). */
const OneOf = <T extends string>(values: readonly T[], fallback: T) => Type.Unsafe<T>({ type: 'string', enum: [...values], default: fallback });
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });

export const BtcRisk = Strict(
  {
    /** gbm: geometric Brownian motion with jumps around the outlook; bootstrap: blocks of historical daily returns. */
    model: OneOf(['gbm', 'bootstrap'] as const, 'gbm'),
    volatilityPctPerYear: Pct({ default: 0 }),
    /** BTC price today, USD, instead of the outlook's (hashprice moves with it). */
    startPriceUsd: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Start from the last price in historyFiles (a bootstrap's history) instead of the outlook's. */
    startFromHistory: Type.Boolean({ default: false }),
    /** Drift beyond the outlook's BTC growth, %/yr (may be negative). */
    driftPctPerYear: Type.Number({ minimum: -100, maximum: 1000, default: 0 }),
    jumps: Type.Optional(
      Strict({
        perYear: Type.Number({ minimum: 0, maximum: 365 }),
        /** Mean jump, % of the price (−20 = a 20 % fall). */
        meanPct: Type.Number({ minimum: -99, maximum: 1000 }),
        sdPct: Pct({ default: 0 }),
      }),
    ),
    /** blockchain.com chart exports (market-price) whose daily returns the bootstrap draws. */
    historyFiles: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    blockDays: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
    /** Deterministic moves on every path: "falls 40 % in month 1". */
    shocks: Type.Array(Strict({ month: Type.Integer({ minimum: 1 }), pct: Type.Number({ minimum: -99, maximum: 1000 }) }), { default: [] }),
  },
  { default: {} },
);

export const DifficultyRisk = Strict(
  {
    /** Days before the network hashrate answers a price move. */
    lagDays: Type.Integer({ minimum: 0, maximum: 730, default: 90 }),
    /** Share of a (lagged) log price move the hashrate follows. */
    elasticity: Type.Number({ minimum: 0, maximum: 5, default: 0 }),
    /** Hashrate growth beyond the outlook's difficulty trend, % per month. */
    extraGrowthPctPerMonth: Type.Number({ minimum: -50, maximum: 100, default: 0 }),
    /** From when the extra growth applies: the start, or the next halving (by the outlook's date). */
    extraGrowthFrom: OneOf(['start', 'halving'] as const, 'start'),
  },
  { default: {} },
);

export const PowerRisk = Strict(
  {
    volatilityPctPerYear: Pct({ default: 0 }),
    /** Speed of mean reversion of the log level, per year (12: a shock halves in ~3 weeks). */
    reversionPerYear: Type.Number({ minimum: 0, maximum: 1000, default: 12 }),
    /** Hour shape: flat, the site's dispatch price profile (one day, every month), or by month from priceFile's history. */
    shape: OneOf(['flat', 'site', 'file'] as const, 'flat'),
    /** ERCOT posting or timestamp,price_usd_per_mwh CSV (shape: file); relative to the scenario file. */
    priceFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Settlement point to read from priceFile (default: the first site's). */
    settlementPoint: Type.Optional(Type.String({ minLength: 1 })),
    storms: Type.Optional(
      Strict({
        perYear: Type.Number({ minimum: 0, maximum: 365 }),
        /** Price multiplier on storm days. */
        multiplier: Type.Number({ minimum: 1, maximum: 1000 }),
        days: Type.Integer({ minimum: 1, maximum: 60 }),
      }),
    ),
  },
  { default: {} },
);

export const TenantRisk = Strict({
  contractId: Id,
  defaultPctPerYear: Pct({ maximum: 100, default: 0 }),
  /** The tenant defaults in this month on every path (1 = the first month). */
  defaultMonth: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Share of rent the guarantor or backstop pays after a default. */
  recoveryPct: Pct({ maximum: 100, default: 0 }),
  /** Probability the tenant renews when its term ends inside the horizon. */
  renewalPct: Pct({ maximum: 100, default: 0 }),
  /** Rent at renewal, % of the rent in force at the end of the term. */
  renewalRatePct: Pct({ default: 100 }),
});

export const ConversionRisk = Strict({
  blockId: Id,
  maxDelayMonths: Type.Integer({ minimum: 0, maximum: 60, default: 0 }),
  overrunMeanPct: Type.Number({ minimum: -50, maximum: 500, default: 0 }),
  overrunSdPct: Pct({ default: 0 }),
});

export const Decision = Strict({
  /** The mining block to keep mining or convert. */
  blockId: Id,
  rateUsdPerKwMonth: Type.Number({ exclusiveMinimum: 0, default: 140 }),
  termMonths: Type.Integer({ minimum: 1, maximum: 360, default: 180 }),
  escalatorPctPerYear: Pct({ maximum: 20, default: 3 }),
  capexUsdPerMwCriticalIt: Type.Number({ minimum: 0, default: 10_000_000 }),
  leadTimeMonths: Type.Integer({ minimum: 0, maximum: 60, default: 18 }),
  /** Critical IT MW per gross MW of the block. */
  criticalItShare: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.75 }),
  opexPctOfRent: Pct({ maximum: 100, default: 10 }),
  maxDelayMonths: Type.Integer({ minimum: 0, maximum: 60, default: 0 }),
  overrunMeanPct: Type.Number({ minimum: -50, maximum: 500, default: 0 }),
  overrunSdPct: Pct({ default: 0 }),
  defaultPctPerYear: Pct({ maximum: 100, default: 0 }),
  recoveryPct: Pct({ maximum: 100, default: 0 }),
});

export const Scenario = Strict({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  /** Months simulated (default: the company outlook's horizon). */
  horizonMonths: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
  btc: BtcRisk,
  difficulty: DifficultyRisk,
  power: PowerRisk,
  tenants: Type.Array(TenantRisk, { default: [] }),
  conversions: Type.Array(ConversionRisk, { default: [] }),
  decisions: Type.Array(Decision, { default: [] }),
  /** Restart cost of a mining block, USD per MW (default: each site's dispatch setting). */
  restartCostUsdPerMw: Type.Optional(Type.Number({ minimum: 0 })),
  /** LTV a margin call is cured to (default: today's LTV at the outlook price, at most 90 % of the call LTV). */
  marginCallCureLtvPct: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
  /** Cash floor: the probability cash falls below it is reported. */
  cashFloorUsd: Type.Number({ default: 0 }),
  discountRatePctPerYear: Pct({ maximum: 100, default: 10 }),
});
export type Scenario = Static<typeof Scenario>;
