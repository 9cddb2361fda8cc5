import { leaseRevenueUsdPerMwYear } from '../finance/lease.ts';
import { csvCell, type Cell } from '../lib/csv.ts';
import { ContextError } from '../lib/errors.ts';
import { monthBoundsMs, monthsBetween, type TenantContract } from './contract.ts';

/**
 * A tenant's monthly statement: pure arithmetic on the contract and the month's measured usage.
 * Every line is rounded to the cent (half away from zero) on its own; the total is the sum of
 * the rounded lines, so a statement adds up on paper.
 *
 * colocation: rent = ramped kW × rate × (1 + escalator)^(contract year − 1);
 * gpu-cloud:  capacity = ramped GPUs × hours in the month × rate × escalation;
 * power (pass-through): metered IT kWh × pue × price; included / operator-paid: not billed;
 * SLA credit: the largest step whose threshold the month's availability is below, × the
 *   capacity charge, capped at maxCreditPct;
 * prepayment (gpu-cloud): prepaymentUsd / termMonths drawn down each month of the term.
 */
export interface MonthUsage {
  /** Metered IT energy of the tenant's hosts in the month, kWh. */
  meteredKwh: number;
  /** Measured availability, %, per the contract's definition (availability.ts). */
  availabilityPct: number;
}

export interface StatementLine {
  code: 'rent' | 'gpu-capacity' | 'power-pass-through' | 'sla-credit' | 'prepayment-drawdown';
  description: string;
  quantity: number;
  unit: string;
  unitPriceUsd: number;
  amountUsd: number;
}

export interface Statement {
  contractId: string;
  tenantId: string;
  tenantName: string;
  kind: TenantContract['kind'];
  month: string;
  /** 1-based month of the term. */
  termMonth: number;
  contractYear: number;
  availabilityPct: number;
  slaCommitmentPct: number;
  meteredKwh: number;
  powerTerms: TenantContract['power']['terms'];
  /** operator-paid power: what the operator's energy bill carries for this tenant, USD. */
  operatorPowerCostUsd: number;
  lines: StatementLine[];
  totalUsd: number;
  guarantor: TenantContract['guarantor'] | null;
}

/** Half away from zero, to the cent, robust to binary representation (1.005 → 1.01). */
export function roundCents(usd: number): number {
  const cents = Math.round(Math.abs(usd) * 100 + 1e-7) * Math.sign(usd);
  return cents / 100 || 0;
}

/** The ramp step in force in `month` (the latest whose `from` is not after it); 0 before the first. */
export function rampedQuantity(c: TenantContract, month: string): number {
  let q = 0;
  let best = -Infinity;
  for (const s of c.ramp) {
    const d = monthsBetween(s.from, month);
    if (d >= 0 && -d > best) {
      best = -d;
      q = s.quantity;
    }
  }
  return q;
}

/** The credit share, %, for an availability under the schedule. */
export function creditPctFor(c: TenantContract, availabilityPct: number): number {
  let pct = 0;
  for (const step of c.sla.credits) if (availabilityPct < step.belowPct) pct = Math.max(pct, step.creditPct);
  return Math.min(pct, c.sla.maxCreditPct ?? 100);
}

export function statementFor(c: TenantContract, month: string, usage: MonthUsage): Statement {
  const termMonth = monthsBetween(c.startMonth, month) + 1;
  if (termMonth < 1 || termMonth > c.termMonths) {
    throw new ContextError('E_TENANT_MONTH', `contract ${c.id}: ${month} is outside its term (${c.startMonth}, ${c.termMonths} months)`);
  }
  if (!Number.isFinite(usage.meteredKwh) || usage.meteredKwh < 0) throw new ContextError('E_TENANT_USAGE', `contract ${c.id} ${month}: metered kWh ${usage.meteredKwh} is not a non-negative number`);
  if (!(usage.availabilityPct >= 0 && usage.availabilityPct <= 100)) throw new ContextError('E_TENANT_USAGE', `contract ${c.id} ${month}: availability ${usage.availabilityPct} % is outside 0–100`);
  const contractYear = Math.ceil(termMonth / 12);
  // Reuses finance's escalated lease rate: revenue per MW-year / 12,000 is the $/kW-month rate.
  // Escalated rates are stated to 6 decimals (185 × 1.03² = 196.2665), as a schedule prints them.
  const rate = round6(leaseRevenueUsdPerMwYear(c.rateUsd, c.escalatorPctPerYear ?? 0, contractYear) / 12_000);
  const quantity = rampedQuantity(c, month);
  const lines: StatementLine[] = [];
  let capacityUsd: number;
  if (c.kind === 'colocation') {
    capacityUsd = roundCents(quantity * rate);
    lines.push({ code: 'rent', description: `Critical IT capacity, year ${contractYear} rate`, quantity, unit: 'kW-month', unitPriceUsd: rate, amountUsd: capacityUsd });
  } else {
    const { startMs, endMs } = monthBoundsMs(month);
    const hours = (endMs - startMs) / 3_600_000;
    const gpuHours = quantity * hours;
    capacityUsd = roundCents(gpuHours * rate);
    lines.push({ code: 'gpu-capacity', description: `${quantity} GPUs × ${hours} h, year ${contractYear} rate`, quantity: gpuHours, unit: 'GPU-hour', unitPriceUsd: rate, amountUsd: capacityUsd });
  }
  const price = c.power.priceUsdPerKwh ?? 0;
  let operatorPowerCostUsd = 0;
  if (c.power.terms === 'pass-through') {
    if (c.power.priceUsdPerKwh === undefined) throw new ContextError('E_TENANT_CONTRACT', `contract ${c.id}: pass-through power needs priceUsdPerKwh`);
    const kwh = usage.meteredKwh * (c.power.pue ?? 1);
    lines.push({ code: 'power-pass-through', description: `Metered energy ${usage.meteredKwh} kWh × PUE ${c.power.pue ?? 1}`, quantity: kwh, unit: 'kWh', unitPriceUsd: price, amountUsd: roundCents(kwh * price) });
  } else if (c.power.terms === 'operator-paid') {
    operatorPowerCostUsd = roundCents(usage.meteredKwh * price);
  }
  const creditPct = creditPctFor(c, usage.availabilityPct);
  if (creditPct > 0) {
    lines.push({ code: 'sla-credit', description: `Availability ${usage.availabilityPct} % below ${c.sla.availabilityPct} % commitment: ${creditPct} % credit`, quantity: creditPct / 100, unit: 'share of capacity charge', unitPriceUsd: -capacityUsd, amountUsd: -roundCents((capacityUsd * creditPct) / 100) });
  }
  if (c.kind === 'gpu-cloud' && (c.prepaymentUsd ?? 0) > 0) {
    const draw = roundCents((c.prepaymentUsd as number) / c.termMonths);
    lines.push({ code: 'prepayment-drawdown', description: `Prepayment ${c.prepaymentUsd} USD over ${c.termMonths} months`, quantity: 1, unit: 'month', unitPriceUsd: -draw, amountUsd: -draw });
  }
  const totalCents = lines.reduce((s, l) => s + Math.round(l.amountUsd * 100), 0);
  return {
    contractId: c.id,
    tenantId: c.tenant.id,
    tenantName: c.tenant.name,
    kind: c.kind,
    month,
    termMonth,
    contractYear,
    availabilityPct: usage.availabilityPct,
    slaCommitmentPct: c.sla.availabilityPct,
    meteredKwh: usage.meteredKwh,
    powerTerms: c.power.terms,
    operatorPowerCostUsd,
    lines,
    totalUsd: totalCents / 100,
    guarantor: c.guarantor ?? null,
  };
}

/** CSV: one row per line, then the total; amounts with two decimals (services/lib/csv.ts quoting). */
export function statementCsv(s: Statement): string {
  const row = (cells: readonly Cell[]) => cells.map(csvCell).join(',');
  const rows = [row(['tenant', 'contract', 'month', 'code', 'description', 'quantity', 'unit', 'unit_price_usd', 'amount_usd'])];
  // Amounts keep two decimals as written (toFixed): a number cell, never a formula.
  for (const l of s.lines) rows.push(row([s.tenantId, s.contractId, s.month, l.code, l.description, round6(l.quantity), l.unit, round6(l.unitPriceUsd), l.amountUsd.toFixed(2)]));
  rows.push(row([s.tenantId, s.contractId, s.month, 'total', `availability ${s.availabilityPct} % (commitment ${s.slaCommitmentPct} %)`, null, null, null, s.totalUsd.toFixed(2)]));
  return `${rows.join('\n')}\n`;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
