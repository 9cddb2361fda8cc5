// A bare compiled model for engine tests: BTC only unless a test adds blocks, tenants or loans.
// The outlook is flat (constant BTC price, hashprice trend and power price), so the paths'
// own drift and volatility are all there is.
import { calendar } from '../../simulations/finance/calendar.ts';
import type { CompiledModel } from '../../simulations/finance/model.ts';

export interface BareOptions {
  startMonth?: string;
  months?: number;
  priceUsd?: number;
  driftPerYear?: number;
  volPerYear?: number;
}

export const DAYS_PER_YEAR = 365.25;

/** A hashrate drift of `perDay` (log) from the first day. */
export function driftCum(days: number, perDay: number): Float64Array {
  return Float64Array.from({ length: days + 1 }, (_, d) => d * perDay);
}

export function bareModel(o: BareOptions = {}): CompiledModel {
  const cal = calendar(o.startMonth ?? '2026-01', o.months ?? 12);
  const M = cal.months;
  return {
    days: cal.days,
    months: M,
    monthOfDay: cal.monthOfDay,
    calMonthOfDay: cal.calMonthOfDay,
    daysInMonth: cal.daysInMonth,
    btc: {
      kind: 'gbm',
      basePriceUsd: new Float64Array(M).fill(o.priceUsd ?? 100_000),
      driftPerDay: (o.driftPerYear ?? 0) / DAYS_PER_YEAR,
      volPerSqrtDay: (o.volPerYear ?? 0) / Math.sqrt(DAYS_PER_YEAR),
      jumpProbPerDay: 0,
      jumpLogMean: 0,
      jumpLogSd: 0,
      returns: new Float64Array(0),
      blockDays: 1,
      shockLogPerDay: new Float64Array(cal.days),
    },
    chain: {
      hashpriceTrendUsd: new Float64Array(M).fill(50),
      feeShare: 0,
      startSubsidyBtc: 3.125,
      startHeight: 930_000,
      lagDays: 0,
      elasticity: 0,
      hashrateDriftCum: new Float64Array(cal.days + 1),
      retargetBlocks: 2016,
    },
    power: {
      basePriceUsdPerMwh: new Float64Array(M).fill(40),
      reversionPerDay: 0,
      volPerSqrtDay: 0,
      shape: new Float64Array(12 * 24).fill(1),
      stormProbPerDay: 0,
      stormMultiplier: 1,
      stormDays: 1,
    },
    blocks: [],
    tenants: [],
    aiOpexShare: 0,
    aiEnergyMwh: new Float64Array(M),
    conversions: [],
    gAndAUsd: new Float64Array(M),
    debtServiceUsd: new Float64Array(M),
    debtOutstandingUsd: new Float64Array(M),
    startCashUsd: 0,
    cashFloorUsd: 0,
    windowMonths: 12,
    btcLoans: [],
    freeBtc: 0,
    covenants: [],
    decisions: [],
    discount: new Float64Array(M).fill(1),
  };
}
