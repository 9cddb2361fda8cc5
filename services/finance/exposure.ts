import type { DebtInstrument } from '../domain/site-schema.ts';
import { btcLoanExposure, convertibleExposure, covenantResults, type BtcLoanExposure, type ConvertibleExposure, type CovenantResult } from './covenants.ts';
import { debtSchedule } from './debt-schedule.ts';
import { balanceAt, forwardAt, forwardBase, type ForwardBase, type ForwardMonth, type ForwardPaths } from './forward.ts';
import type { Company } from './load-company.ts';
import { monthStartMs } from './months.ts';

/**
 * Debt exposure of a company, per instrument and in total (finance issue 11): the maturities
 * ladder by quarter, the debt service schedule (bullets rolled at the refinancing rate), the
 * forward DSCR, every covenant with its break price, BTC-backed loans (LTV, margin-call price,
 * free BTC) and convertibles. Pure apart from the clock (`nowMs`).
 */

export interface LadderRow {
  /** Calendar quarter, e.g. 2026-Q3. */
  quarter: string;
  /** Principal falling due per instrument (scheduled amortisation and maturities), USD. */
  byInstrument: Record<string, number>;
  totalUsd: number;
}

export interface ServiceRow {
  instrumentId: string;
  date: string;
  interestUsd: number;
  principalUsd: number;
  /** Principal rolled at maturity: a refinancing need. */
  refinancedUsd: number;
  rolled: boolean;
  balanceAfterUsd: number;
}

export interface InstrumentSummary {
  id: string;
  name: string;
  kind: DebtInstrument['kind'];
  balanceUsd: number;
  couponPct: number;
  maturityDate: string;
  refinanceCouponPct: number | null;
}

export interface DebtExposure {
  company: { id: string; name: string };
  asOf: string;
  startMonth: string;
  btcPriceUsd: number;
  hashpriceUsdPerPhDay: number;
  totalDebtUsd: number;
  instruments: InstrumentSummary[];
  ladder: LadderRow[];
  schedule: ServiceRow[];
  forward: ForwardMonth[];
  covenants: CovenantResult[];
  btcLoans: BtcLoanExposure[];
  convertibles: ConvertibleExposure[];
  /** BTC the company holds that no loan has pledged. */
  treasuryBtcUnpledged: number;
  /** Trailing DSCR from the realised ledger, when one was given. */
  trailing: TrailingDscr | null;
  assumptions: string[];
}

/** What the realised ledger says about the last year (sum of daily margins over the days it covers). */
export interface Realised {
  days: number;
  marginUsd: number;
}

export interface TrailingDscr {
  ledgerDays: number;
  marginUsd: number;
  /** (Σ margin − G&A for those days) × 365 / days. */
  ebitdaAnnualisedUsd: number;
  /** Interest and principal paid in the 12 months before the start (refinanced principal excluded). */
  debtServiceUsd: number;
  dscr: number | null;
  note: string;
}

/**
 * Trailing DSCR: the realised ledger's margin over the days it covers, less G&A for those days,
 * annualised (× 365 / days), over the debt service actually due in the 12 months before now.
 * With fewer than 365 ledger days it is an annualised estimate, and says so.
 */
export function trailingDscr(company: Company, base: ForwardBase, realised: Realised): TrailingDscr {
  const startMs = monthStartMs(base.startMonth, 0);
  const yearAgo = new Date(startMs);
  yearAgo.setUTCFullYear(yearAgo.getUTCFullYear() - 1);
  const from = yearAgo.toISOString().slice(0, 10);
  const to = new Date(startMs).toISOString().slice(0, 10);
  let debtService = 0;
  for (const d of company.debt) {
    for (const p of base.schedules.get(d.id) ?? []) if (p.date >= from && p.date < to) debtService += p.interestUsd + p.principalUsd;
  }
  const gAndA = (company.file.corporateCosts.gAndAUsdPerMonth * 12 * realised.days) / 365;
  const ebitda = realised.days > 0 ? ((realised.marginUsd - gAndA) * 365) / realised.days : 0;
  return {
    ledgerDays: realised.days,
    marginUsd: realised.marginUsd,
    ebitdaAnnualisedUsd: ebitda,
    debtServiceUsd: debtService,
    dscr: realised.days > 0 && debtService > 0 ? ebitda / debtService : null,
    note:
      realised.days === 0
        ? 'no realised ledger days in the last year'
        : realised.days < 365
          ? `annualised from ${realised.days} ledger day${realised.days === 1 ? '' : 's'} (fewer than a year)`
          : 'the last 365 ledger days',
  };
}

export function quarterOf(date: string): string {
  return `${date.slice(0, 4)}-Q${Math.ceil(Number(date.slice(5, 7)) / 3)}`;
}

/** Principal due by calendar quarter, from today to the last maturity (original schedules). */
export function maturityLadder(debt: readonly DebtInstrument[], fromDate: string): LadderRow[] {
  const rows = new Map<string, LadderRow>();
  for (const d of debt) {
    for (const p of debtSchedule(d)) {
      if (p.date < fromDate || p.principalUsd === 0) continue;
      const q = quarterOf(p.date);
      const row = rows.get(q) ?? { quarter: q, byInstrument: {}, totalUsd: 0 };
      row.byInstrument[d.id] = (row.byInstrument[d.id] ?? 0) + p.principalUsd;
      row.totalUsd += p.principalUsd;
      rows.set(q, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.quarter.localeCompare(b.quarter));
}

export function debtExposure(company: Company, opts: { nowMs?: number; paths?: ForwardPaths; base?: ForwardBase; realised?: Realised } = {}): DebtExposure {
  const nowMs = opts.nowMs ?? Date.now();
  const base = opts.base ?? forwardBase(company, { nowMs, ...(opts.paths ? { paths: opts.paths } : {}) });
  const asOf = new Date(monthStartMs(base.startMonth, 0)).toISOString().slice(0, 10);
  const startMs = monthStartMs(base.startMonth, 0);
  const btc = base.btcPriceUsd[0]!;
  const instruments = company.debt.map((d) => ({
    id: d.id,
    name: d.name,
    kind: d.kind,
    balanceUsd: balanceAt(d.principalUsd, d.issueDate, base.schedules.get(d.id)!, startMs),
    couponPct: d.couponPct,
    maturityDate: d.maturityDate,
    refinanceCouponPct: d.amortization === 'bullet' ? (d.refinanceCouponPct ?? company.file.outlook.refinanceCouponPct) : null,
  }));
  const schedule: ServiceRow[] = [];
  for (const d of company.debt) {
    for (const p of base.schedules.get(d.id)!) {
      if (p.date < asOf) continue;
      schedule.push({ instrumentId: d.id, date: p.date, interestUsd: p.interestUsd, principalUsd: p.principalUsd, refinancedUsd: p.refinancedUsd, rolled: p.rolled, balanceAfterUsd: p.balanceAfterUsd });
    }
  }
  schedule.sort((a, b) => a.date.localeCompare(b.date) || a.instrumentId.localeCompare(b.instrumentId));
  const pledged = company.debt.reduce((s, d) => s + (d.btcPledged ?? 0), 0);
  return {
    company: { id: company.file.company.id, name: company.file.company.name },
    asOf,
    startMonth: base.startMonth,
    btcPriceUsd: btc,
    hashpriceUsdPerPhDay: base.hashpriceUsdPerPhDay[0]!,
    totalDebtUsd: instruments.reduce((s, i) => s + i.balanceUsd, 0),
    instruments,
    ladder: maturityLadder(company.debt, asOf),
    schedule,
    forward: forwardAt(base, 1),
    covenants: covenantResults(base, company.debt),
    btcLoans: company.debt
      .filter((d) => d.kind === 'btc-backed-loan')
      .map((d) => btcLoanExposure(d, instruments.find((i) => i.id === d.id)!.balanceUsd, btc)),
    convertibles: company.debt.filter((d) => d.kind === 'convertible-note').map((d) => convertibleExposure(d, company.file.treasury.sharePriceUsd)),
    treasuryBtcUnpledged: company.file.treasury.btcHeld - pledged,
    trailing: opts.realised ? trailingDscr(company, base, opts.realised) : null,
    assumptions: base.assumptions,
  };
}
