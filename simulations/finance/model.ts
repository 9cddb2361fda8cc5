/**
 * The compiled model a worker runs: plain numbers and typed arrays only (it is copied to each
 * worker by structured clone), built once per run by compile.ts from the company's forward
 * model (services/finance/forward.ts) and the scenario. The paths move *around* the forward
 * model: BTC price = the outlook's month price × e^X (X a GBM with jumps, or a bootstrap, from
 * 0), network hashrate = the outlook's × e^Y (Y follows X with a lag and an elasticity, plus
 * drift), power level = the outlook's month price × e^Z (Z mean-reverting to 0) × storms. With
 * every volatility at zero the paths are the forward model's, to the cent.
 * Money in USD; days index from the first day of the first month; months from the first month.
 */

export interface BtcModel {
  kind: 'gbm' | 'bootstrap';
  /** The outlook's BTC price by month (constant within a month), USD. */
  basePriceUsd: Float64Array;
  /** GBM: drift of the price around the outlook, per day (E[S] = base × e^{μt} without jumps). */
  driftPerDay: number;
  /** GBM: σ per √day. */
  volPerSqrtDay: number;
  /** Jumps: probability of a jump on a day, and the jump's log size ~ N(mean, sd). */
  jumpProbPerDay: number;
  jumpLogMean: number;
  jumpLogSd: number;
  /** Bootstrap: historical daily log returns (demeaned: the trend is the outlook's) and the block length in days. */
  returns: Float64Array;
  blockDays: number;
  /** A log move added on each day (scenario shocks: "falls 40% in a month"); length = days. */
  shockLogPerDay: Float64Array;
}

export interface ChainModel {
  /** The outlook's hashprice before the reward factor: start × (price trend / difficulty trend)^(m/12), USD/PH/day. */
  hashpriceTrendUsd: Float64Array;
  /** Fees as a share of the start reward (held constant in BTC). */
  feeShare: number;
  /** Subsidy at the start height, BTC. */
  startSubsidyBtc: number;
  /** Height of the next block at the first day's start (the outlook's 144-a-day heights). */
  startHeight: number;
  /** Days between a price move and the hashrate's answer to it. */
  lagDays: number;
  /** log hashrate moves by elasticity × the lagged log price deviation. */
  elasticity: number;
  /** Drift of log network hashrate beyond the outlook's difficulty trend, accumulated to each day's end (length days + 1, [0] = 0). */
  hashrateDriftCum: Float64Array;
  /** Blocks between difficulty adjustments (2016). */
  retargetBlocks: number;
}

export interface PowerModel {
  /** The outlook's power price by month, USD/MWh. */
  basePriceUsdPerMwh: Float64Array;
  /** Mean reversion κ per day and σ per √day of the log level around the outlook. */
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
  /** MW drawn at the wall (gross) × uptime when on. */
  wallMw: number;
  /** Revenue share kept: uptime × (1 − pool fee). */
  keptShare: number;
  /** USD per restart of the whole block (restart cost per MW × gross MW). */
  restartCostUsd: number;
  /** Mining opex of the block, USD per month (paid whether it hashes or not). */
  opexUsdPerMonth: number;
}

export interface TenantModel {
  contractId: string;
  /** Scheduled rent by month, USD (0 outside the term). */
  rentUsd: Float64Array;
  /** Rent by month after the term if the tenant renews, USD. */
  renewalRentUsd: Float64Array;
  renewalProb: number;
  /** Monthly default probability (from the annual hazard). */
  defaultProbPerMonth: number;
  /** Month the tenant defaults on every path (scenario), or -1. */
  forcedDefaultMonth: number;
  /** Share of scheduled rent the guarantor or backstop pays from the default month on. */
  recoveryShare: number;
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
  readyMonth: number;
  /** Tenant (index) whose rent starts when the block is ready, or -1. */
  tenantIndex: number;
}

export interface BtcLoanModel {
  id: string;
  /** Margin call when a day's price is at or below balance / (BTC pledged × margin-call LTV) while the loan is outstanding. */
  balanceUsd: number;
  btcPledged: number;
  /** Margin-call LTV and the LTV a call is cured to, as fractions. */
  marginCallLtv: number;
  cureLtv: number;
  fromDay: number;
  toDay: number;
}

export interface CovenantModel {
  instrumentId: string;
  kind: 'min-dscr' | 'max-net-leverage' | 'min-liquidity-usd' | 'max-ltv';
  threshold: number;
  /** Months it is tested on (quarter ends while outstanding with a full window left). */
  testMonths: Int32Array;
  /** max-ltv: loan balance at each test month's end, USD, and the BTC pledged (as scheduled). */
  balanceUsd: Float64Array;
  btcPledged: number;
  /** max-ltv of a BTC-backed loan the paths cure: its index in btcLoans (the path's balance and pledge are used), or -1. */
  loanIndex: number;
}

export interface DecisionModel {
  id: string;
  blockId: string;
  /** Index into blocks of the block kept mining. */
  blockIndex: number;
  /** Convert: capex by month from the decision month, USD (before overrun). */
  convertCapexUsd: Float64Array;
  /** Convert: rent net of opex by month after ready (index 0 = the ready month), USD. */
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
  monthOfDay: Int32Array;
  /** Calendar month (0..11) of each day, for the price shape. */
  calMonthOfDay: Int32Array;
  daysInMonth: Int32Array;
  btc: BtcModel;
  chain: ChainModel;
  power: PowerModel;
  blocks: MiningBlockModel[];
  tenants: TenantModel[];
  /** AI operating costs as a share of rent received. */
  aiOpexShare: number;
  /** Energy of AI load the operator pays, MWh by month (billed at the path's power level). */
  aiEnergyMwh: Float64Array;
  conversions: ConversionModel[];
  /** Corporate G&A by month, USD. */
  gAndAUsd: Float64Array;
  /** Interest + scheduled principal by month (all instruments, bullets rolled), USD. */
  debtServiceUsd: Float64Array;
  /** Debt outstanding at each month's end, USD. */
  debtOutstandingUsd: Float64Array;
  startCashUsd: number;
  cashFloorUsd: number;
  /** Months in the forward DSCR / leverage window. */
  windowMonths: number;
  btcLoans: BtcLoanModel[];
  /** Treasury BTC not pledged: posted first to cure a margin call, before cash pays the loan down. */
  freeBtc: number;
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
  ebitdaUsd: Float64Array;
  freeCashUsd: Float64Array;
  cashUsd: Float64Array;
  /** Forward-window DSCR; NaN where none is due or no full window is left. */
  dscr: Float64Array;
  /** count × covenants × months: 1 where a test month fails. */
  covenantBreach: Uint8Array;
  /** count × btcLoans: month of the first margin call, or -1. */
  marginCallMonth: Int32Array;
  /** count × btcLoans: cash paid down to cure margin calls over the horizon, USD. */
  cureCashUsd: Float64Array;
  /** count × decisions × 2: NPV of keep (0) and convert (1), USD. */
  decisionNpvUsd: Float64Array;
  /** count: first month with the next halving's subsidy, or -1. */
  halvingMonth: Int32Array;
}

export const RESULT_ARRAYS = [
  'btcPriceUsd',
  'hashpriceUsdPerPhDay',
  'marginUsd',
  'ebitdaUsd',
  'freeCashUsd',
  'cashUsd',
  'dscr',
  'covenantBreach',
  'marginCallMonth',
  'cureCashUsd',
  'decisionNpvUsd',
  'halvingMonth',
] as const;

/** Entries per path of each result array. */
export function perPath(model: Pick<CompiledModel, 'months' | 'covenants' | 'btcLoans' | 'decisions'>, key: (typeof RESULT_ARRAYS)[number]): number {
  if (key === 'covenantBreach') return model.covenants.length * model.months;
  if (key === 'marginCallMonth' || key === 'cureCashUsd') return model.btcLoans.length;
  if (key === 'decisionNpvUsd') return model.decisions.length * 2;
  if (key === 'halvingMonth') return 1;
  return model.months;
}

export function allocateResult(model: CompiledModel, firstPath: number, count: number): PathBlockResult {
  const f = (k: (typeof RESULT_ARRAYS)[number]) => count * perPath(model, k);
  return {
    firstPath,
    count,
    btcPriceUsd: new Float64Array(f('btcPriceUsd')),
    hashpriceUsdPerPhDay: new Float64Array(f('hashpriceUsdPerPhDay')),
    marginUsd: new Float64Array(f('marginUsd')),
    ebitdaUsd: new Float64Array(f('ebitdaUsd')),
    freeCashUsd: new Float64Array(f('freeCashUsd')),
    cashUsd: new Float64Array(f('cashUsd')),
    dscr: new Float64Array(f('dscr')),
    covenantBreach: new Uint8Array(f('covenantBreach')),
    marginCallMonth: new Int32Array(f('marginCallMonth')).fill(-1),
    cureCashUsd: new Float64Array(f('cureCashUsd')),
    decisionNpvUsd: new Float64Array(f('decisionNpvUsd')),
    halvingMonth: new Int32Array(count).fill(-1),
  };
}
