import type { DebtInstrument } from '../domain/site-schema.ts';
import { addMonthsToDate, calendarMonthsBetween, monthIndexOfDate } from './months.ts';

/**
 * Debt service (interest + principal) from the site's debt book. Pure.
 *
 * Periods: N = round(months from issue to maturity × paymentsPerYear / 12), at least 1;
 * payment k falls round(k × 12 / paymentsPerYear) months after issue and the last one on the
 * maturity date. Interest per period is balance × coupon / paymentsPerYear (no day count:
 * a strategic model over years does not need actual/360 precision).
 * - bullet: interest each period, all principal with the last payment;
 * - straight-line: equal principal each period, interest on the falling balance;
 * - annuity: a level payment P·r / (1 − (1 + r)^−N), r the period rate.
 */

export type DebtTerms = Pick<DebtInstrument, 'principalUsd' | 'couponPct' | 'issueDate' | 'maturityDate' | 'amortization' | 'paymentsPerYear'> &
  Partial<Pick<DebtInstrument, 'refinanceCouponPct'>>;

export interface DebtPayment {
  /** ISO date of the payment. */
  date: string;
  interestUsd: number;
  principalUsd: number;
  /** Outstanding principal after this payment, USD. */
  balanceAfterUsd: number;
}

export function debtSchedule(d: DebtTerms): DebtPayment[] {
  const months = calendarMonthsBetween(d.issueDate, d.maturityDate);
  if (months <= 0) throw new RangeError(`debt: maturityDate ${d.maturityDate} must be at least a month after issueDate ${d.issueDate}`);
  const perYear = d.paymentsPerYear;
  const periods = Math.max(1, Math.round((months * perYear) / 12));
  const rate = d.couponPct / 100 / perYear;
  const level = d.amortization === 'annuity' ? annuityPayment(d.principalUsd, rate, periods) : 0;

  const out: DebtPayment[] = [];
  let balance = d.principalUsd;
  for (let k = 1; k <= periods; k++) {
    const last = k === periods;
    const interestUsd = balance * rate;
    let principalUsd: number;
    if (last) principalUsd = balance; // clears rounding drift in every kind
    else if (d.amortization === 'bullet') principalUsd = 0;
    else if (d.amortization === 'straight-line') principalUsd = d.principalUsd / periods;
    else principalUsd = level - interestUsd;
    balance = last ? 0 : balance - principalUsd;
    const date = last ? d.maturityDate : addMonthsToDate(d.issueDate, Math.round((k * 12) / perYear));
    out.push({ date, interestUsd, principalUsd, balanceAfterUsd: balance });
  }
  return out;
}

/** Level payment that retires `principal` over `periods` at `rate` per period. */
export function annuityPayment(principal: number, rate: number, periods: number): number {
  if (rate === 0) return principal / periods;
  return (principal * rate) / (1 - (1 + rate) ** -periods);
}

export interface RolledPayment extends DebtPayment {
  /** Principal due at maturity that is refinanced rather than paid: a refinancing need, USD. */
  refinancedUsd: number;
  /** True for payments after maturity, on the rolled principal at the refinancing rate. */
  rolled: boolean;
}

/**
 * The schedule with a bullet rolled at maturity (a stated assumption): the final principal is
 * not paid but shown as a refinancing need, and the same principal keeps paying interest at
 * `refinanceCouponPct` (the instrument's, else `defaultRefinanceCouponPct`) every period until
 * `untilDate` (inclusive), as a new bullet would. Amortising loans are unchanged.
 */
export function rolledSchedule(d: DebtTerms, untilDate: string, defaultRefinanceCouponPct?: number): RolledPayment[] {
  const base: RolledPayment[] = debtSchedule(d).map((p) => ({ ...p, refinancedUsd: 0, rolled: false }));
  if (d.amortization !== 'bullet' || d.maturityDate >= untilDate) return base;
  const last = base[base.length - 1]!;
  const rolledUsd = last.principalUsd;
  last.refinancedUsd = rolledUsd;
  last.principalUsd = 0;
  last.balanceAfterUsd = rolledUsd;
  const couponPct = d.refinanceCouponPct ?? defaultRefinanceCouponPct ?? d.couponPct;
  const rate = couponPct / 100 / d.paymentsPerYear;
  for (let k = 1; ; k++) {
    const date = addMonthsToDate(d.maturityDate, Math.round((k * 12) / d.paymentsPerYear));
    if (date > untilDate) break;
    base.push({ date, interestUsd: rolledUsd * rate, principalUsd: 0, balanceAfterUsd: rolledUsd, refinancedUsd: 0, rolled: true });
  }
  return base;
}

/** The refinancing rate a rolled bullet pays: the instrument's, else the stated default, else its coupon. */
export function refinanceCouponPctOf(d: DebtTerms, defaultRefinanceCouponPct?: number): number {
  return d.refinanceCouponPct ?? defaultRefinanceCouponPct ?? d.couponPct;
}

export interface MonthlyDebtService {
  interestUsd: number[];
  principalUsd: number[];
  /** Principal of bullet instruments at maturity (a balloon usually refinanced rather than paid from cash). */
  bulletPrincipalUsd: number[];
  /** Bullet principal rolled at maturity (only with refinance): a refinancing need, not paid. */
  refinancedUsd: number[];
}

export interface RefinanceOptions {
  /** Roll bullets at maturity; rolled principal keeps paying interest at the refinancing rate. */
  refinanceBullets: boolean;
  /** Refinancing rate for instruments that state none (a stated assumption), %/yr. */
  defaultRefinanceCouponPct?: number;
}

/**
 * Debt service of every instrument, summed by month for `months` months from `startMonth`.
 * With refinance, a bullet's principal at maturity moves to refinancedUsd and interest on it
 * continues at the refinancing rate to the end of the horizon.
 */
export function monthlyDebtService(debt: readonly DebtTerms[], startMonth: string, months: number, refinance?: RefinanceOptions): MonthlyDebtService {
  const zeros = () => new Array<number>(months).fill(0);
  const out: MonthlyDebtService = { interestUsd: zeros(), principalUsd: zeros(), bulletPrincipalUsd: zeros(), refinancedUsd: zeros() };
  const until = addMonthsToDate(`${startMonth}-01`, months);
  for (const d of debt) {
    const rows: RolledPayment[] = refinance?.refinanceBullets
      ? rolledSchedule(d, until, refinance.defaultRefinanceCouponPct)
      : debtSchedule(d).map((p) => ({ ...p, refinancedUsd: 0, rolled: false }));
    for (const p of rows) {
      const m = monthIndexOfDate(startMonth, p.date);
      if (m < 0 || m >= months) continue;
      out.interestUsd[m]! += p.interestUsd;
      out.principalUsd[m]! += p.principalUsd;
      out.refinancedUsd[m]! += p.refinancedUsd;
      if (d.amortization === 'bullet') out.bulletPrincipalUsd[m]! += p.principalUsd + p.refinancedUsd;
    }
  }
  return out;
}
