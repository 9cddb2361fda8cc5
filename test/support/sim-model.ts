// A bare compiled model for engine tests: BTC only unless a test adds blocks, tenants or loans.
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

export function bareModel(o: BareOptions = {}): CompiledModel {
  const cal = calendar(o.startMonth ?? '2026-01', o.months ?? 12);
  const M = cal.months;
  const shape = new Float64Array(12 * 24).fill(1);
  return {
    days: cal.days,
    months: M,
    monthOfDay: cal.monthOfDay,
    calMonthOfDay: cal.calMonthOfDay,
    daysInMonth: cal.daysInMonth,
    btc: {
      kind: 'gbm',
      startPriceUsd: o.priceUsd ?? 100_000,
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
      startDifficulty: 1.5e14,
      startHeight: 930_000,
      lagDays: 0,
      elasticity: 0,
      hashrateDriftPerDay: 0,
      feeShareOfSubsidy: 0,
      feesPerBlockBtc: Number.NaN,
      retargetBlocks: 2016,
    },
    power: {
      meanLevelUsdPerMwh: 40,
      startLevelUsdPerMwh: 40,
      reversionPerDay: 0,
      volPerSqrtDay: 0,
      shape,
      stormProbPerDay: 0,
      stormMultiplier: 1,
      stormDays: 1,
    },
    blocks: [],
    tenants: [],
    conversions: [],
    fixedCostsUsd: new Float64Array(M),
    interestUsd: new Float64Array(M),
    principalUsd: new Float64Array(M),
    debtOutstandingUsd: new Float64Array(M),
    startCashUsd: 0,
    cashFloorUsd: 0,
    btcLoans: [],
    covenants: [],
    decisions: [],
    discount: new Float64Array(M).fill(1),
  };
}
