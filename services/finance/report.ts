import type { CovenantResult } from './covenants.ts';
import { toCsv } from '../lib/csv.ts';
import { cents } from './cents.ts';
import type { DebtExposure } from './exposure.ts';
import type { GroupBy, MarginGroup } from './ledger-store.ts';

/**
 * The finance reports as the API and the CLI give them: money rounded to the cent once, here,
 * so the page, the JSON and the CSV show the same figures.
 */

export class RangeProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RangeProblem';
  }
}

const DAY = 86_400_000;
export const MAX_RANGE_DAYS = 3_660;

/** One date (YYYY-MM-DD or a date-time) → its UTC day start, ms. Throws RangeProblem. */
export function dayStart(v: string, name: string): number {
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(v)) throw new RangeProblem(`${name} must be a date (YYYY-MM-DD), got "${v}"`);
  const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  // Date.parse takes 2026-02-30 as 2026-03-02: a date must read back as itself.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== v.slice(0, 10)) throw new RangeProblem(`${name} is not a real date: "${v}"`);
  return Math.floor(ms / DAY) * DAY;
}

/** A day range [from, to): ISO dates (YYYY-MM-DD) or date-times, UTC days. Throws RangeProblem with the reason. */
export function dayRange(from: string, to: string): { fromMs: number; toMs: number } {
  const fromMs = dayStart(from, 'from');
  const toMs = dayStart(to, 'to');
  if (toMs <= fromMs) throw new RangeProblem(`to (${to}) must be after from (${from}): the range is [from, to), whole UTC days`);
  if ((toMs - fromMs) / DAY > MAX_RANGE_DAYS) throw new RangeProblem(`the range is ${(toMs - fromMs) / DAY} days; at most ${MAX_RANGE_DAYS}`);
  return { fromMs, toMs };
}

export interface MarginsReport {
  from: string;
  to: string;
  groupBy: GroupBy;
  groups: MarginGroup[];
  total: MarginGroup | null;
}

const MONEY: (keyof MarginGroup)[] = ['miningRevenueUsd', 'aiRevenueUsd', 'passThroughUsd', 'slaCreditUsd', 'energyCostUsd', 'creditsUsd', 'restartCostUsd', 'marginUsd', 'marginUsdPerMwDay', 'marginUsdPerMwh', 'revenueUsdPerMwh', 'priceUsdPerMwh'];

function roundGroup(g: MarginGroup): MarginGroup {
  const out = { ...g } as Record<string, unknown>;
  for (const k of MONEY) out[k] = cents(g[k] as number | null);
  out.meteredMwh = Math.round(g.meteredMwh * 1000) / 1000;
  out.capacityMw = Math.round(g.capacityMw * 1000) / 1000;
  out.btcEarned = Math.round(g.btcEarned * 1e8) / 1e8;
  return out as unknown as MarginGroup;
}

export function marginsReport(fromMs: number, toMs: number, groupBy: GroupBy, groups: MarginGroup[]): MarginsReport {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  let total: MarginGroup | null = null;
  if (groups.length > 0) {
    const sum = (k: keyof MarginGroup) => groups.reduce((s, g) => s + (g[k] as number), 0);
    const mwDays = groups.reduce((s, g) => s + g.capacityMw * g.days, 0);
    const days = groupBy === 'day' ? groups.length : Math.max(...groups.map((g) => g.days));
    const mwh = sum('meteredMwh');
    const margin = sum('marginUsd');
    total = {
      key: 'total',
      days,
      capacityMw: days > 0 ? mwDays / days : 0,
      meteredMwh: mwh,
      btcEarned: sum('btcEarned'),
      miningRevenueUsd: sum('miningRevenueUsd'),
      aiRevenueUsd: sum('aiRevenueUsd'),
      passThroughUsd: sum('passThroughUsd'),
      slaCreditUsd: sum('slaCreditUsd'),
      energyCostUsd: sum('energyCostUsd'),
      creditsUsd: sum('creditsUsd'),
      restartCostUsd: sum('restartCostUsd'),
      marginUsd: margin,
      marginUsdPerMwDay: mwDays > 0 ? margin / mwDays : null,
      marginUsdPerMwh: mwh > 0 ? margin / mwh : null,
      revenueUsdPerMwh: mwh > 0 ? (sum('miningRevenueUsd') + sum('aiRevenueUsd') + sum('creditsUsd')) / mwh : null,
      priceUsdPerMwh: mwh > 0 ? sum('energyCostUsd') / mwh : null,
      provisional: groups.some((g) => g.provisional),
    };
  }
  return { from: day(fromMs), to: day(toMs), groupBy, groups: groups.map(roundGroup), total: total && roundGroup(total) };
}

export function marginsCsv(r: MarginsReport): string {
  const cols: (keyof MarginGroup)[] = ['key', 'days', 'capacityMw', 'meteredMwh', 'btcEarned', 'miningRevenueUsd', 'aiRevenueUsd', 'passThroughUsd', 'slaCreditUsd', 'energyCostUsd', 'creditsUsd', 'restartCostUsd', 'marginUsd', 'marginUsdPerMwDay', 'marginUsdPerMwh', 'revenueUsdPerMwh', 'priceUsdPerMwh', 'provisional'];
  const rows = [...r.groups, ...(r.total ? [r.total] : [])].map((g) => cols.map((c) => g[c] as string | number | boolean | null));
  return toCsv([r.groupBy, ...cols.slice(1)], rows);
}

export interface CovenantReport {
  instrumentId: string;
  kind: CovenantResult['kind'];
  threshold: number;
  worst: number | null;
  firstBreach: string | null;
  breaksAtBtcUsd: number | null;
  breaksAtHashpriceUsdPerPhDay: number | null;
  headroomPct: number | null;
  tests: CovenantResult['tests'];
  note?: string;
}

export function covenantReport(c: CovenantResult): CovenantReport {
  return {
    instrumentId: c.instrumentId,
    kind: c.kind,
    threshold: c.threshold,
    worst: c.worst === null ? null : Math.round(c.worst * 10_000) / 10_000,
    firstBreach: c.firstBreach,
    breaksAtBtcUsd: cents(c.breaksAtBtcUsd),
    breaksAtHashpriceUsdPerPhDay: cents(c.breaksAtHashpriceUsdPerPhDay),
    headroomPct: c.headroomPct === null ? null : Math.round(c.headroomPct * 100) / 100,
    tests: c.tests.map((t) => ({ ...t, value: t.value === null ? null : Math.round(t.value * 10_000) / 10_000 })),
    ...(c.note ? { note: c.note } : {}),
  };
}

/** The debt exposure with money to the cent (what `finance debt --json` and /api/finance/debt give). */
export function debtReport(e: DebtExposure) {
  return {
    company: e.company,
    asOf: e.asOf,
    startMonth: e.startMonth,
    btcPriceUsd: e.btcPriceUsd,
    hashpriceUsdPerPhDay: e.hashpriceUsdPerPhDay,
    totalDebtUsd: cents(e.totalDebtUsd),
    instruments: e.instruments.map((i) => ({ ...i, balanceUsd: cents(i.balanceUsd) })),
    ladder: e.ladder.map((q) => ({ quarter: q.quarter, totalUsd: cents(q.totalUsd), byInstrument: Object.fromEntries(Object.entries(q.byInstrument).map(([k, v]) => [k, cents(v)])) })),
    schedule: e.schedule.map((s) => ({ ...s, interestUsd: cents(s.interestUsd), principalUsd: cents(s.principalUsd), refinancedUsd: cents(s.refinancedUsd), balanceAfterUsd: cents(s.balanceAfterUsd) })),
    forward: e.forward.map((f) => ({
      month: f.month,
      btcPriceUsd: cents(f.btcPriceUsd),
      hashpriceUsdPerPhDay: cents(f.hashpriceUsdPerPhDay),
      miningMarginUsd: cents(f.miningMarginUsd),
      aiUsd: cents(f.aiUsd),
      ebitdaUsd: cents(f.ebitdaUsd),
      debtServiceUsd: cents(f.debtServiceUsd),
      cashUsd: cents(f.cashUsd),
      debtOutstandingUsd: cents(f.debtOutstandingUsd),
      dscr: f.dscr === null ? null : Math.round(f.dscr * 10_000) / 10_000,
      netLeverage: f.netLeverage === null ? null : Math.round(f.netLeverage * 10_000) / 10_000,
    })),
    covenants: e.covenants.map(covenantReport),
    btcLoans: e.btcLoans.map((b) => ({
      ...b,
      balanceUsd: cents(b.balanceUsd),
      ltvPct: b.ltvPct === null ? null : Math.round(b.ltvPct * 100) / 100,
      marginCallBtcUsd: cents(b.marginCallBtcUsd),
      btcFree: Math.round(b.btcFree * 1e8) / 1e8,
    })),
    convertibles: e.convertibles,
    treasuryBtcUnpledged: e.treasuryBtcUnpledged,
    trailing: e.trailing && {
      ...e.trailing,
      marginUsd: cents(e.trailing.marginUsd),
      ebitdaAnnualisedUsd: cents(e.trailing.ebitdaAnnualisedUsd),
      debtServiceUsd: cents(e.trailing.debtServiceUsd),
      dscr: e.trailing.dscr === null ? null : Math.round(e.trailing.dscr * 10_000) / 10_000,
    },
    assumptions: e.assumptions,
  };
}
export type DebtReport = ReturnType<typeof debtReport>;

export function covenantsCsv(cs: readonly CovenantReport[], btcPriceUsd: number): string {
  return toCsv(
    ['instrumentId', 'kind', 'threshold', 'worst', 'firstBreach', 'breaksAtBtcUsd', 'breaksAtHashpriceUsdPerPhDay', 'btcPriceUsdToday', 'headroomPct', 'note'],
    cs.map((c) => [c.instrumentId, c.kind, c.threshold, c.worst, c.firstBreach, c.breaksAtBtcUsd, c.breaksAtHashpriceUsdPerPhDay, btcPriceUsd, c.headroomPct, c.note ?? null]),
  );
}

export function debtCsv(r: DebtReport): string {
  return toCsv(
    ['instrumentId', 'date', 'interestUsd', 'principalUsd', 'refinancedUsd', 'rolled', 'balanceAfterUsd'],
    r.schedule.map((s) => [s.instrumentId, s.date, s.interestUsd, s.principalUsd, s.refinancedUsd, s.rolled, s.balanceAfterUsd]),
  );
}
