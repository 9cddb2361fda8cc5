import { hashcostUsdPerPhDay, phsPerMw } from '../finance/mining.ts';
import { nonNegative, positive, fraction } from '../lib/guard.ts';
import type { Accelerator } from './catalog.ts';

/**
 * What a megawatt earns serving tokens, beside mining and leasing. Pure.
 *
 * For an accelerator filling a block of `itMw` of IT load:
 *   systems         = ⌊itMw × 10⁶ / systemPowerW⌋
 *   tokens/h        = systems × accelerators × tokens/s × utilisation × 3600
 *   depreciation/h  = systems × price / (years × 8760)
 *   energy/h        = systems × systemPowerW × load × overhead / 10⁶ MW × $/MWh
 *   opex/h          = systems × price × opex % / 8760
 *   $/M tokens      = (depreciation + energy + opex) per hour / (tokens per hour / 10⁶)
 * load = utilisation × (1 − idleShare) + idleShare: idle GPUs still draw part of their power.
 *
 * Mining margin per MW-month: PH/s per MW × (hashprice × (1 − fee) − power cost per PH-day) × 30.4375.
 * Lease rent per MW-month: $/kW-month × 1,000 (of critical IT).
 */
export interface TokenInputs {
  itMw: number;
  overheadFactor: number;
  powerPriceUsdPerMwh: number;
  utilization: number;
  depreciationYears: number;
  opexPctOfCapexPerYear: number;
  /** Share of full power an idle accelerator still draws (default 0.3). */
  idlePowerShare?: number;
}

export interface TokenCost {
  accelerator: string;
  name: string;
  model: string;
  throughputKind: 'published' | 'estimate';
  systems: number;
  accelerators: number;
  tokensPerSecond: number;
  depreciationUsdPerHour: number;
  energyUsdPerHour: number;
  opexUsdPerHour: number;
  /** null when not one system fits in the block (a rack-scale system in a small block). */
  costUsdPerMillionTokens: number | null;
  /** The three parts of the cost per million tokens. */
  split: { depreciation: number; energy: number; opex: number } | null;
  capexUsd: number;
}

export function tokenCost(key: string, a: Accelerator, i: TokenInputs): TokenCost {
  const fn = 'tokenCost';
  positive(fn, 'itMw', i.itMw);
  positive(fn, 'overheadFactor', i.overheadFactor);
  nonNegative(fn, 'powerPriceUsdPerMwh', i.powerPriceUsdPerMwh);
  fraction(fn, 'utilization', i.utilization);
  positive(fn, 'depreciationYears', i.depreciationYears);
  nonNegative(fn, 'opexPctOfCapexPerYear', i.opexPctOfCapexPerYear);
  const systems = Math.floor((i.itMw * 1e6) / a.systemPowerW.value);
  const accelerators = systems * a.acceleratorsPerSystem;
  const tokensPerSecond = accelerators * a.tokensPerSecPerAccelerator.value * i.utilization;
  const capexUsd = systems * a.systemPriceUsd.value;
  const idle = i.idlePowerShare ?? 0.3;
  const load = i.utilization * (1 - idle) + idle;
  const depreciationUsdPerHour = capexUsd / (i.depreciationYears * 8760);
  const energyUsdPerHour = ((systems * a.systemPowerW.value * load * i.overheadFactor) / 1e6) * i.powerPriceUsdPerMwh;
  const opexUsdPerHour = (capexUsd * i.opexPctOfCapexPerYear) / 100 / 8760;
  const mTokensPerHour = (tokensPerSecond * 3600) / 1e6;
  const per = (usdPerHour: number) => usdPerHour / mTokensPerHour;
  const fits = mTokensPerHour > 0;
  return {
    accelerator: key,
    name: a.name,
    model: a.tokensPerSecPerAccelerator.model,
    throughputKind: a.tokensPerSecPerAccelerator.kind,
    systems,
    accelerators,
    tokensPerSecond,
    depreciationUsdPerHour,
    energyUsdPerHour,
    opexUsdPerHour,
    costUsdPerMillionTokens: fits ? per(depreciationUsdPerHour + energyUsdPerHour + opexUsdPerHour) : null,
    split: fits ? { depreciation: per(depreciationUsdPerHour), energy: per(energyUsdPerHour), opex: per(opexUsdPerHour) } : null,
    capexUsd,
  };
}

export const DAYS_PER_MONTH = 30.4375;

/** Mining margin per MW of miners per month, USD (negative when power costs more than hashing pays). */
export function miningMarginUsdPerMwMonth(i: { hashpriceUsdPerPhDay: number; efficiencyJPerTh: number; poolFee: number; powerPriceUsdPerMwh: number; overheadFactor: number }): number {
  const perPhDay = i.hashpriceUsdPerPhDay * (1 - i.poolFee) - hashcostUsdPerPhDay(i.efficiencyJPerTh, i.powerPriceUsdPerMwh, i.overheadFactor);
  return phsPerMw(i.efficiencyJPerTh) * perPhDay * DAYS_PER_MONTH;
}

export function leaseRentUsdPerMwMonth(rateUsdPerKwMonth: number): number {
  return rateUsdPerKwMonth * 1000;
}
