import type { DebtInstrument } from '../domain/site-schema.ts';
import { balanceAt, forwardAt, isQuarterEnd, type ForwardBase, type ForwardMonth } from './forward.ts';
import { monthStartMs } from './months.ts';

/**
 * Covenants read from each instrument's `covenants` in the debt book, tested on the forward
 * model, and the headroom as a price: the BTC price (and hashprice) at which each one breaks.
 * Pure.
 *
 * Tests fall at calendar quarter ends while the instrument is outstanding (issued before the
 * quarter ends, maturing after it) and a full forward window is left in the horizon. A covenant holds over the horizon when every test passes:
 *   min-dscr           DSCR ≥ threshold (no debt service in the window: passes)
 *   max-net-leverage   (debt − cash) / annualised EBITDA ≤ threshold (EBITDA ≤ 0 with net debt: breach)
 *   min-liquidity-usd  cash ≥ threshold
 *   max-ltv            loan balance / (BTC pledged × BTC price) × 100 ≤ threshold
 *
 * Headroom: k* = the smallest scale of today's BTC price path (hashprice moves with it) at
 * which the covenant holds over the whole horizon; breaksAtBtcUsd = k* × BTC price today and
 * breaksAtHashpriceUsdPerPhDay = k* × hashprice today. Everything in the model rises with k
 * (mining margin never falls as hashprice rises), so a bisection finds k*. Null with a reason
 * where it holds even at a zero price, or breaks even at MAX_SCALE × today.
 */

export type CovenantKind = DebtInstrument['covenants'][number]['kind'];

export interface CovenantTest {
  month: string;
  value: number | null;
  ok: boolean;
}

export interface CovenantResult {
  instrumentId: string;
  kind: CovenantKind;
  threshold: number;
  tests: CovenantTest[];
  /** First quarter end it fails on at today's prices; null when it holds. */
  firstBreach: string | null;
  /** Smallest value (or largest, for max-covenants) over the tests, at today's prices. */
  worst: number | null;
  breaksAtBtcUsd: number | null;
  breaksAtHashpriceUsdPerPhDay: number | null;
  /** (BTC price today − breaksAtBtcUsd) / BTC price today × 100: how far the price may fall. */
  headroomPct: number | null;
  note?: string;
}

export const MAX_SCALE = 20;

/** The tightest min-dscr covenant in the debt book, or null when none has one. */
export function minDscrCovenant(debt: readonly DebtInstrument[]): { instrumentId: string; threshold: number } | null {
  let best: { instrumentId: string; threshold: number } | null = null;
  for (const d of debt) {
    for (const c of d.covenants) {
      if (c.kind === 'min-dscr' && (best === null || c.threshold > best.threshold)) best = { instrumentId: d.id, threshold: c.threshold };
    }
  }
  return best;
}

/** Months (indices) a covenant of `d` is tested on: quarter ends inside the instrument's life. */
export function testMonths(base: ForwardBase, d: DebtInstrument): number[] {
  const out: number[] = [];
  base.months.forEach((label, m) => {
    if (!isQuarterEnd(label) || m + base.windowMonths > base.months.length) return;
    const endMs = monthStartMs(base.startMonth, m + 1);
    if (Date.parse(`${d.issueDate}T00:00:00Z`) < endMs && Date.parse(`${d.maturityDate}T00:00:00Z`) >= endMs) out.push(m);
  });
  return out;
}

function measure(base: ForwardBase, rows: readonly ForwardMonth[], d: DebtInstrument, kind: CovenantKind, m: number): number | null {
  const r = rows[m]!;
  if (kind === 'min-dscr') return r.dscr;
  if (kind === 'min-liquidity-usd') return r.cashUsd;
  if (kind === 'max-net-leverage') return r.netLeverage;
  const balance = balanceAt(d.principalUsd, d.issueDate, base.schedules.get(d.id) ?? [], monthStartMs(base.startMonth, m + 1));
  return ltvPct(balance, d.btcPledged ?? 0, r.btcPriceUsd);
}

function passes(kind: CovenantKind, threshold: number, value: number | null, r: ForwardMonth): boolean {
  if (kind === 'min-dscr') return value === null || value >= threshold;
  if (kind === 'min-liquidity-usd') return value! >= threshold;
  if (kind === 'max-net-leverage') return value === null ? r.debtOutstandingUsd - r.cashUsd <= 0 : value <= threshold;
  return value === null ? false : value <= threshold;
}

function run(base: ForwardBase, rows: readonly ForwardMonth[], d: DebtInstrument, kind: CovenantKind, threshold: number): CovenantTest[] {
  return testMonths(base, d).map((m) => {
    const value = measure(base, rows, d, kind, m);
    return { month: base.months[m]!, value, ok: passes(kind, threshold, value, rows[m]!) };
  });
}

/** Every covenant in the debt book, tested on the model at today's prices, with its break price. */
export function covenantResults(base: ForwardBase, debt: readonly DebtInstrument[]): CovenantResult[] {
  const today = forwardAt(base, 1);
  const out: CovenantResult[] = [];
  for (const d of debt) {
    for (const c of d.covenants) {
      const tests = run(base, today, d, c.kind, c.threshold);
      const values = tests.map((t) => t.value).filter((v): v is number => v !== null);
      const max = c.kind === 'max-net-leverage' || c.kind === 'max-ltv';
      const result: CovenantResult = {
        instrumentId: d.id,
        kind: c.kind,
        threshold: c.threshold,
        tests,
        firstBreach: tests.find((t) => !t.ok)?.month ?? null,
        worst: values.length === 0 ? null : max ? Math.max(...values) : Math.min(...values),
        breaksAtBtcUsd: null,
        breaksAtHashpriceUsdPerPhDay: null,
        headroomPct: null,
      };
      if (tests.length === 0) {
        result.note = 'not tested inside the horizon (the instrument is not outstanding at any quarter end in it)';
        out.push(result);
        continue;
      }
      const holds = (k: number) => run(base, forwardAt(base, k), d, c.kind, c.threshold).every((t) => t.ok);
      const k = breakScale(holds);
      if (k.scale === null) result.note = k.note;
      else {
        result.breaksAtBtcUsd = k.scale * base.btcPriceUsd[0]!;
        result.breaksAtHashpriceUsdPerPhDay = k.scale * base.hashpriceUsdPerPhDay[0]!;
        result.headroomPct = (1 - k.scale) * 100;
      }
      out.push(result);
    }
  }
  return out;
}

/**
 * Smallest k in [0, MAX_SCALE] with holds(k), by bisection to 1e-10 (a cent on a $100k price
 * is 1e-7); `holds` must not fall as k rises.
 */
export function breakScale(holds: (k: number) => boolean): { scale: number | null; note?: string } {
  if (holds(0)) return { scale: null, note: 'holds even at a zero BTC price: it does not depend on mining' };
  if (!holds(MAX_SCALE)) return { scale: null, note: `breaks even at ${MAX_SCALE}× today's BTC price` };
  let lo = 0;
  let hi = MAX_SCALE;
  while (hi - lo > 1e-10) {
    const mid = (lo + hi) / 2;
    if (holds(mid)) hi = mid;
    else lo = mid;
  }
  return { scale: hi };
}

/** LTV of a BTC-backed loan, %: balance / (BTC pledged × BTC price) × 100. */
export function ltvPct(balanceUsd: number, btcPledged: number, btcPriceUsd: number): number | null {
  const collateral = btcPledged * btcPriceUsd;
  return collateral > 0 ? (balanceUsd / collateral) * 100 : null;
}

/** BTC price at which a loan reaches `ltvPct`: balance / (BTC pledged × LTV / 100). */
export function priceAtLtv(balanceUsd: number, btcPledged: number, ltvPctValue: number): number {
  return balanceUsd / (btcPledged * (ltvPctValue / 100));
}

export interface BtcLoanExposure {
  instrumentId: string;
  balanceUsd: number;
  btcPledged: number;
  ltvPct: number | null;
  marginCallLtvPct: number;
  marginCallBtcUsd: number;
  /** Pledged BTC beyond what keeps the loan at its margin-call LTV at today's price (negative: short). */
  btcFree: number;
}

/**
 * marginCallBtcUsd = balance / (pledged × margin-call LTV); btcFree = pledged − balance /
 * (BTC price × margin-call LTV): what could be withdrawn before today's price would call margin.
 */
export function btcLoanExposure(d: DebtInstrument, balanceUsd: number, btcPriceUsd: number): BtcLoanExposure {
  const pledged = d.btcPledged ?? 0;
  const callLtv = d.marginCallLtvPct ?? 100;
  return {
    instrumentId: d.id,
    balanceUsd,
    btcPledged: pledged,
    ltvPct: ltvPct(balanceUsd, pledged, btcPriceUsd),
    marginCallLtvPct: callLtv,
    marginCallBtcUsd: priceAtLtv(balanceUsd, pledged, callLtv),
    btcFree: pledged - balanceUsd / (btcPriceUsd * (callLtv / 100)),
  };
}

export interface ConvertibleExposure {
  instrumentId: string;
  principalUsd: number;
  conversionPriceUsd: number;
  sharePriceUsd: number | null;
  /** Shares issued if all converts: principal / conversion price. */
  sharesOnConversion: number;
  inTheMoney: boolean | null;
  maturityDate: string;
  /** At maturity, at today's share price: converts (0) or must be refinanced (principal). */
  refinanceNeedUsd: number | null;
}

export function convertibleExposure(d: DebtInstrument, sharePriceUsd: number | undefined): ConvertibleExposure {
  const conv = d.conversionPriceUsd ?? Number.POSITIVE_INFINITY;
  const itm = sharePriceUsd === undefined ? null : sharePriceUsd >= conv;
  return {
    instrumentId: d.id,
    principalUsd: d.principalUsd,
    conversionPriceUsd: conv,
    sharePriceUsd: sharePriceUsd ?? null,
    sharesOnConversion: d.principalUsd / conv,
    inTheMoney: itm,
    maturityDate: d.maturityDate,
    refinanceNeedUsd: itm === null ? null : itm ? 0 : d.principalUsd,
  };
}
