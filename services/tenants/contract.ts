import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../lib/strict.ts';

/**
 * A tenant contract as the ledger keeps it (richer than the site file's planning view):
 * term, ramp (kW or GPUs delivered by month), rent with an annual escalator, power terms,
 * the SLA commitment with its credit schedule, and a guarantor.
 *
 * Two kinds, as the converted sites sign them:
 * - colocation: rent in $/kW-month on the ramped critical IT kW (the TeraWulf–Fluidstack kind,
 *   with a backstop guarantor); power usually passed through at metered kWh;
 * - gpu-cloud: GPU capacity sold by the GPU-hour (the IREN–Microsoft kind), with a prepayment
 *   drawn down evenly over the term; power included.
 */
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' });

export const RampStep = Strict({
  /** First month (YYYY-MM) this quantity is delivered and billed. */
  from: Month,
  /** Colocation: critical IT kW; gpu-cloud: GPUs. */
  quantity: Type.Number({ minimum: 0 }),
});
export type RampStep = Static<typeof RampStep>;

export const PowerTerms = Strict({
  /**
   * pass-through: the tenant pays metered kWh × price × (pue);
   * included: the rent covers power, nothing is billed;
   * operator-paid: the operator buys the power and bills nothing (shown as operator cost).
   */
  terms: Type.Union([Type.Literal('pass-through'), Type.Literal('included'), Type.Literal('operator-paid')]),
  /** Price per kWh, USD (pass-through and operator cost). */
  priceUsdPerKwh: Type.Optional(Type.Number({ minimum: 0 })),
  /** Facility overhead multiplier applied to the tenant's metered IT kWh (pass-through), default 1. */
  pue: Type.Optional(Type.Number({ minimum: 1, maximum: 3 })),
});
export type PowerTerms = Static<typeof PowerTerms>;

export const CreditStep = Strict({
  /** Applies when monthly availability is strictly below this, %. */
  belowPct: Type.Number({ minimum: 0, maximum: 100 }),
  /** Credit as a share of the month's rent (capacity charge), %. */
  creditPct: Type.Number({ minimum: 0, maximum: 100 }),
});

export const Sla = Strict({
  /** Committed monthly availability, %. */
  availabilityPct: Type.Number({ minimum: 0, maximum: 100 }),
  /** Credit schedule; the largest credit whose threshold is missed applies (not cumulative). */
  credits: Type.Array(CreditStep, { minItems: 1 }),
  /** Credits in a month never exceed this share of its rent, %. */
  maxCreditPct: Type.Number({ minimum: 0, maximum: 100, default: 100 }),
  /**
   * What "available" means, per the contract: in each interval each of the tenant's GPU hosts
   * answered (power delivered) with its hottest GPU at or below maxGpuTempC (cooling within
   * limits). An interval with no reading from a host is unavailable for that host: the
   * operator must prove delivery.
   */
  intervalMinutes: Type.Integer({ minimum: 1, maximum: 60, default: 5 }),
  maxGpuTempC: Type.Number({ exclusiveMinimum: 0, default: 85 }),
});
export type Sla = Static<typeof Sla>;

export const Guarantor = Strict({
  name: Type.String({ minLength: 1 }),
  /** What the guarantor backs, USD (e.g. a backstop of lease obligations). */
  capUsd: Type.Number({ minimum: 0 }),
});

export const TenantContract = Strict({
  id: Id,
  tenant: Strict({ id: Id, name: Type.String({ minLength: 1 }) }),
  kind: Type.Union([Type.Literal('colocation'), Type.Literal('gpu-cloud')]),
  /** Blocks whose GPU hosts serve this contract. */
  blockIds: Type.Array(Id, { minItems: 1 }),
  /** First billed month, YYYY-MM. */
  startMonth: Month,
  termMonths: Type.Integer({ minimum: 1 }),
  ramp: Type.Array(RampStep, { minItems: 1 }),
  /** colocation: USD per kW-month; gpu-cloud: USD per GPU-hour. Contract-year-1 price. */
  rateUsd: Type.Number({ exclusiveMinimum: 0 }),
  /** Compounds once per contract year (months 13–24 pay rate × (1 + e)). */
  escalatorPctPerYear: Type.Number({ minimum: 0, maximum: 20, default: 0 }),
  power: PowerTerms,
  sla: Sla,
  /** gpu-cloud: paid up front, drawn down evenly over the term, USD. */
  prepaymentUsd: Type.Optional(Type.Number({ minimum: 0 })),
  guarantor: Type.Optional(Guarantor),
});
export type TenantContract = Static<typeof TenantContract>;

export const TenantFile = Strict({ contracts: Type.Array(TenantContract) });
export type TenantFile = Static<typeof TenantFile>;

/** Months between two YYYY-MM (b − a). */
export function monthsBetween(a: string, b: string): number {
  const [ya, ma] = a.split('-').map(Number) as [number, number];
  const [yb, mb] = b.split('-').map(Number) as [number, number];
  return (yb - ya) * 12 + (mb - ma);
}

/** [start, end) of a YYYY-MM month, UTC ms. */
export function monthBoundsMs(month: string): { startMs: number; endMs: number } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return { startMs: Date.UTC(y, m - 1, 1), endMs: Date.UTC(y, m, 1) };
}

export function isMonth(s: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(s);
}
