/**
 * The compiled model a worker runs: plain numbers and typed arrays only (it is copied to each
 * worker by structured clone), built once per run by compile.ts from the company and the
 * scenario. Money in USD, prices in USD per unit named, time in days (index 0 = the first day
 * of the first month) or months (index 0 = the first month).
 */

export interface BtcModel {
  kind: 'gbm' | 'bootstrap';
  startPriceUsd: number;
  /** GBM: drift μ per day (of the price, so E[S_t] = S_0·e^{μt} without jumps). */
  driftPerDay: number;
  /** GBM: σ per √day. */
  volPerSqrtDay: number;
  /** Jumps: probability of a jump on a day, and the jump's log size ~ N(mean, sd). */
  jumpProbPerDay: number;
  jumpLogMean: number;
  jumpLogSd: number;
  /** Bootstrap: historical daily log returns and the block length in days. */
  returns: Float64Array;
  blockDays: number;
  /** A log move added on each day (scenario shocks: "falls 40% in a month"); length = days. */
  shockLogPerDay: Float64Array;
}

export interface ChainModel {
  startDifficulty: number;
  startHeight: number;
  /** Days between a price move and the hashrate's answer to it. */
  lagDays: number;
  /** Hashrate moves elasticity × the lagged log price move. */
  elasticity: number;
  /** Drift of log network hashrate per day (independent of price). */
  hashrateDriftPerDay: number;
  /** Fees per block as a share of the subsidy (used when feesPerBlockBtc is NaN). */
  feeShareOfSubsidy: number;
  /** Fixed fees per block, BTC; NaN when fees are a share of the subsidy. */
  feesPerBlockBtc: number;
  /** Blocks between difficulty adjustments (2016). */
  retargetBlocks: number;
}

export interface PowerModel {
  /** Long-run mean of the daily level, USD/MWh (the level is log-mean-reverting around it). */
  meanLevelUsdPerMwh: number;
  startLevelUsdPerMwh: number;
  /** Mean reversion κ per day and σ per √day of the log level. */
  reversionPerDay: number;
  volPerSqrtDay: number;
  /** Hour multipliers (mean 1 over a day) by calendar month: 12 × 24, month-major. */
  shape: Float64Array;
  /** Storm days: probability a storm starts on a day, its price multiplier and its length. */
  stormProbPerDay: number;
  stormMultiplier: number;
  stormDays: number;
}

export interface MiningBlockModel {
  id: string;
  /** PH/s when hashing. */
  phs: number;
  /** MW drawn at the wall (IT × overhead) when hashing. */
  wallMw: number;
  /** Revenue share kept: uptime × (1 − pool fee). */
  keptShare: number;
  /** USD per restart of the whole block (restart cost per MW × MW). */
  restartCostUsd: number;
  /** Months [from, to) the block mines (to = months when it mines to the end). */
  fromMonth: number;
  toMonth: number;
}

export interface TenantModel {
  contractId: string;
  /** Scheduled revenue by month, USD (0 outside the term). */
  rentUsd: Float64Array;
  /** Monthly default probability (from the annual hazard). */
  defaultProbPerMonth: number;
  /** Month the tenant defaults on every path (scenario), or -1. */
  forcedDefaultMonth: number;
  /** Share of scheduled rent the guarantor or backstop pays from the default month on. */
  recoveryShare: number;
  /** Operator-paid energy load, MW (GPU cloud): billed at the day's mean price. */
  operatorPaidMw: number;
}

export interface ConversionModel {
  blockId: string;
  /** Base capex by month, USD (the finance model's schedule). */
  capexUsd: Float64Array;
  /** Capex overrun ~ N(mean, sd) as a share, floored at -1. */
  overrunMean: number;
  overrunSd: number;
  /** Extra months before ready: uniform integer in [0, maxDelayMonths]. */
  maxDelayMonths: number;
  /** Month the block is ready (base) and the tenant rent that starts then (by month of the base schedule). */
  readyMonth: number;
  rentUsd: Float64Array;
}

export interface BtcLoanModel {
  id: string;
  /** Margin call when the day's price is at or below this, while the loan is outstanding. */
  marginCallPriceUsd: number;
  fromDay: number;
  toDay: number;
}

export type CovenantModel =
  | { instrumentId: string; kind: 'min-dscr'; threshold: number; windowMonths: number; fromMonth: number; toMonth: number }
  | { instrumentId: string; kind: 'max-net-leverage'; threshold: number; fromMonth: number; toMonth: number }
  /** Breach when the day's price is at or below `priceUsd` (LTV above the covenant). */
  | { instrumentId: string; kind: 'max-ltv'; threshold: number; priceUsd: number; fromDay: number; toDay: number };

export interface DecisionModel {
  id: string;
  blockId: string;
  /** Index into mining blocks of the block kept mining. */
  blockIndex: number;
  /** Convert: capex by month from the decision month, USD (before overrun). */
  convertCapexUsd: Float64Array;
  /** Convert: rent by month after ready (index 0 = ready month), USD. */
  convertRentUsd: Float64Array;
  readyMonth: number;
  maxDelayMonths: number;
  overrunMean: number;
  overrunSd: number;
  defaultProbPerMonth: number;
  recoveryShare: number;
}

export interface CompiledModel {
  days: number;
  months: number;
  /** Month index of each day. */
  monthOfDay: Int32Array;
  /** Calendar month (0..11) of each day, for the price shape. */
  calMonthOfDay: Int32Array;
  /** Days in each month. */
  daysInMonth: Int32Array;
  btc: BtcModel;
  chain: ChainModel;
  power: PowerModel;
  blocks: MiningBlockModel[];
  tenants: TenantModel[];
  conversions: ConversionModel[];
  /** Other fixed costs by month (site opex, corporate), USD. */
  fixedCostsUsd: Float64Array;
  /** Interest and scheduled principal paid by month (all instruments), USD. */
  interestUsd: Float64Array;
  principalUsd: Float64Array;
  /** Debt outstanding at each month's end, USD (net leverage). */
  debtOutstandingUsd: Float64Array;
  startCashUsd: number;
  cashFloorUsd: number;
  btcLoans: BtcLoanModel[];
  covenants: CovenantModel[];
  decisions: DecisionModel[];
  /** Discount factor of each month's flows (end of month). */
  discount: Float64Array;
}

/** What one path block returns: arrays by path (row) and month (column). */
export interface PathBlockResult {
  firstPath: number;
  count: number;
  /** count × months each. */
  btcPriceUsd: Float64Array;
  hashpriceUsdPerPhDay: Float64Array;
  marginUsd: Float64Array;
  freeCashUsd: Float64Array;
  cashUsd: Float64Array;
  dscr: Float64Array;
  /** count × covenants × quarters: 1 when breached in that quarter. */
  covenantBreach: Uint8Array;
  /** count × btcLoans: month of the first margin call, or -1. */
  marginCallMonth: Int32Array;
  /** count × decisions × 2: NPV of keep (0) and convert (1), USD. */
  decisionNpvUsd: Float64Array;
  /** count: day the halving (next multiple of 210,000) landed on, or -1; for tests. */
  halvingDay: Int32Array;
}

export function quartersOf(months: number): number {
  return Math.ceil(months / 3);
}
