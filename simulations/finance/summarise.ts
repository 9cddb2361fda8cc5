import type { CompiledRun } from './compile.ts';
import type { AllPaths } from './run.ts';
import { meanAndVariance, percentiles, probability, valueAtRisk, type Percentiles, type ValueAtRisk } from './stats.ts';

/**
 * The result of a run, as the CLI prints it, the API serves it and the store saves it: per
 * month percentiles, probabilities each with its standard error, VaR/CVaR, decisions' NPVs.
 */

export interface MonthSummary {
  month: string;
  marginUsd: Percentiles;
  ebitdaUsd: Percentiles;
  freeCashUsd: Percentiles;
  cashUsd: Percentiles;
  /** Forward-window DSCR over the paths that have one. */
  dscr: Percentiles;
  btcPriceUsd: Percentiles;
  hashpriceUsdPerPhDay: Percentiles;
  cashBelowFloorProbability: number;
  cashBelowFloorProbabilitySe: number;
}

export interface QuarterBreach {
  /** Quarter-end month tested, YYYY-MM, and its quarter label (2026-Q1). */
  month: string;
  quarter: string;
  probability: number;
  se: number;
}

export interface CovenantSummary {
  instrumentId: string;
  kind: string;
  threshold: number;
  breachProbabilityByQuarter: QuarterBreach[];
  /** Breached at any test in the horizon. */
  anyBreachProbability: number;
  anyBreachProbabilitySe: number;
}

export interface BtcLoanSummary {
  instrumentId: string;
  marginCallBtcUsd: number;
  outstandingFrom: string;
  outstandingTo: string;
  /** A day's price at or below the margin-call price while outstanding, within the horizon. */
  marginCallProbability: number;
  marginCallProbabilitySe: number;
  /** Cash paid down to cure calls over the horizon: its mean (± SE), 95th percentile, and how often any is paid. */
  cureCashUsd: { mean: number; meanSe: number; p95: number };
  cashCureProbability: number;
  cashCureProbabilitySe: number;
}

export interface Histogram {
  edgesUsd: number[];
  keep: number[];
  convert: number[];
}

export interface DecisionSummary {
  id: string;
  blockId: string;
  grossMw: number;
  criticalItMw: number;
  keepNpvUsd: Percentiles & { mean: number; meanSe: number };
  convertNpvUsd: Percentiles & { mean: number; meanSe: number };
  convertBetterProbability: number;
  convertBetterProbabilitySe: number;
  histogram: Histogram;
}

export interface SimulationResult {
  scenario: string;
  paths: number;
  seed: number;
  startMonth: string;
  horizonMonths: number;
  dispatch: string;
  assumptions: string[];
  months: MonthSummary[];
  covenants: CovenantSummary[];
  btcLoans: BtcLoanSummary[];
  cashFloorUsd: number;
  cashBelowFloorAnyMonthProbability: number;
  cashBelowFloorAnyMonthProbabilitySe: number;
  /** Cash at the end of month 12 (or the horizon, if shorter): 95 % VaR and CVaR below its mean. */
  cash12: ValueAtRisk & { month: string };
  decisions: DecisionSummary[];
}

const DISPATCH_NOTE = 'fast rule, not the MILP: a block hashes in an hour when the hour price is at or below its break-even; restart costs counted';

export function summarise(run: CompiledRun, all: AllPaths, meta: { scenario: string; seed: number }): SimulationResult {
  const { model } = run;
  const n = all.count;
  const M = model.months;
  const column = (a: Float64Array, m: number, stride = M) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = a[i * stride + m]!;
    return out;
  };
  const floor = model.cashFloorUsd;
  const everBelow = new Uint8Array(n);
  const months: MonthSummary[] = run.months.map((month, m) => {
    const cash = column(all.cashUsd, m);
    let below = 0;
    cash.forEach((c, i) => {
      if (c < floor) {
        below++;
        everBelow[i] = 1;
      }
    });
    const pb = probability(below, n);
    return {
      month,
      marginUsd: percentiles(column(all.marginUsd, m)),
      ebitdaUsd: percentiles(column(all.ebitdaUsd, m)),
      freeCashUsd: percentiles(column(all.freeCashUsd, m)),
      cashUsd: percentiles(cash),
      dscr: percentiles(column(all.dscr, m)),
      btcPriceUsd: percentiles(column(all.btcPriceUsd, m)),
      hashpriceUsdPerPhDay: percentiles(column(all.hashpriceUsdPerPhDay, m)),
      cashBelowFloorProbability: pb.p,
      cashBelowFloorProbabilitySe: pb.se,
    };
  });

  const nc = model.covenants.length;
  const covenants: CovenantSummary[] = model.covenants.map((c, k) => {
    const any = new Uint8Array(n);
    const byQuarter = Array.from(c.testMonths, (m) => {
      let hits = 0;
      for (let i = 0; i < n; i++) {
        if (all.covenantBreach[(i * nc + k) * M + m] === 1) {
          hits++;
          any[i] = 1;
        }
      }
      const p = probability(hits, n);
      const label = run.months[m]!;
      return { month: label, quarter: `${label.slice(0, 4)}-Q${Math.ceil(Number(label.slice(5, 7)) / 3)}`, probability: p.p, se: p.se };
    });
    const pa = probability(any.reduce((s, v) => s + v, 0), n);
    return { instrumentId: c.instrumentId, kind: c.kind, threshold: c.threshold, breachProbabilityByQuarter: byQuarter, anyBreachProbability: pa.p, anyBreachProbabilitySe: pa.se };
  });

  const nl = model.btcLoans.length;
  const btcLoans: BtcLoanSummary[] = run.btcLoans.map((l, k) => {
    let hits = 0;
    for (let i = 0; i < n; i++) if (all.marginCallMonth[i * nl + k]! >= 0) hits++;
    const p = probability(hits, n);
    const cure = column(all.cureCashUsd, k, nl);
    const mc = meanAndVariance(cure);
    const paid = probability(cure.reduce((c, v) => c + (v > 0 ? 1 : 0), 0), n);
    return { ...l, marginCallProbability: p.p, marginCallProbabilitySe: p.se, cureCashUsd: { mean: mc.mean, meanSe: mc.seMean, p95: percentiles(cure).p95 }, cashCureProbability: paid.p, cashCureProbabilitySe: paid.se };
  });

  const nd = model.decisions.length;
  const decisions: DecisionSummary[] = run.decisions.map((d, k) => {
    const keep = column(all.decisionNpvUsd, k * 2, nd * 2);
    const convert = column(all.decisionNpvUsd, k * 2 + 1, nd * 2);
    let better = 0;
    for (let i = 0; i < n; i++) if (convert[i]! > keep[i]!) better++;
    const pb = probability(better, n);
    const mk = meanAndVariance(keep);
    const mc = meanAndVariance(convert);
    return {
      ...d,
      keepNpvUsd: { ...percentiles(keep), mean: mk.mean, meanSe: mk.seMean },
      convertNpvUsd: { ...percentiles(convert), mean: mc.mean, meanSe: mc.seMean },
      convertBetterProbability: pb.p,
      convertBetterProbabilitySe: pb.se,
      histogram: histogram(keep, convert, 30),
    };
  });

  const m12 = Math.min(12, M) - 1;
  const pe = probability(everBelow.reduce((s, v) => s + v, 0), n);
  return {
    scenario: meta.scenario,
    paths: n,
    seed: meta.seed,
    startMonth: run.months[0]!,
    horizonMonths: M,
    dispatch: DISPATCH_NOTE,
    assumptions: run.assumptions,
    months,
    covenants,
    btcLoans,
    cashFloorUsd: floor,
    cashBelowFloorAnyMonthProbability: pe.p,
    cashBelowFloorAnyMonthProbabilitySe: pe.se,
    cash12: { ...valueAtRisk(column(all.cashUsd, m12), 0.95), month: run.months[m12]! },
    decisions,
  };
}

function histogram(a: Float64Array, b: Float64Array, bins: number): Histogram {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) if (Number.isFinite(v)) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
  for (const v of b) if (Number.isFinite(v)) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
  if (!(hi > lo)) hi = lo + 1;
  const width = (hi - lo) / bins;
  const count = (x: Float64Array) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of x) if (Number.isFinite(v)) c[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
    return c;
  };
  return { edgesUsd: Array.from({ length: bins + 1 }, (_, k) => lo + k * width), keep: count(a), convert: count(b) };
}
