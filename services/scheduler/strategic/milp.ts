import { LpText, type Term } from '../solver/lp-text.ts';
import { solveLp, type SolveStatus } from '../solver/solve.ts';
import { allMiningPlan, planMonths, windowSums, type Plan } from './evaluate.ts';
import type { StrategicModel } from './model.ts';
import { incrementalFlowsUsd } from './offer-flows.ts';

/**
 * The allocation as a MILP (HiGHS):
 *   x_k ∈ {0,1}   block of option k converts for option k's offer
 *   y_o ∈ {0,1}   offer o is taken (only for offers with a minimum)
 *   s_m ≥ 0       debt-service shortfall in month m, USD
 * max  Σ_k ΔNPV_k x_k − penalty Σ_m s_m   (the all-mining NPV, a constant, is added afterwards)
 * s.t. Σ_{k of block b} x_k ≤ 1                                   one offer per block
 *      Σ_{k of offer o} MW_k x_k ≤ max_o (· y_o),  ≥ min_o y_o     offer size
 *      Σ_k W(Δcash_k − minDscr · loan_k)_m x_k + s_m ≥ minDscr · W(DS)_m − W(cash)_m   coverage
 * where W sums the coverage window ending month m, cash and DS are the all-mining plan's,
 * Δcash is what converting changes in cash available and loan is the project-loan service
 * it adds. Coverage is soft so an uncoverable
 * month yields a plan and a reported shortfall, never "infeasible".
 * Money is in USD millions in the model so row activities stay near 1 (HiGHS tolerances are
 * absolute: 1e-7 of a million dollars is ten cents).
 */

const SCALE = 1e-6;

export interface MilpOutcome {
  plan: Plan;
  status: SolveStatus;
  /** Solver objective + the all-mining NPV, USD; null without a solution. */
  objectiveUsd: number | null;
  mipGap: number | null;
  wallMs: number;
  /** Variables and rows in the model. */
  size: { binaries: number; rows: number };
}

export function buildAllocationLp(model: StrategicModel): { lp: LpText; baseNpvUsd: number; binaries: number; rows: number } {
  const lp = new LpText('max');
  let rows = 0;
  const base = planMonths(model, allMiningPlan(model));
  const baseNpvUsd = base.reduce((s, r, m) => s + model.discount[m]! * (r.miningMarginUsd + r.leaseNoiUsd - r.capexUsd), 0);

  model.options.forEach((o, k) => {
    const cand = model.candidates[o.candidate]!;
    const dNpv = incrementalFlowsUsd(o, cand).reduce((s, f, m) => s + model.discount[m]! * f, 0);
    lp.addObjective(dNpv * SCALE, x(k));
    lp.binary(x(k));
  });

  model.candidates.forEach((c, ci) => {
    const terms: Term[] = [];
    model.options.forEach((o, k) => {
      if (o.candidate === ci) terms.push([1, x(k)]);
    });
    if (terms.length > 1) {
      lp.addRow(`one_${ci}`, terms, '<=', 1);
      rows++;
    }
  });

  model.offers.forEach((offer, oi) => {
    const terms: Term[] = [];
    model.options.forEach((o, k) => {
      if (o.offer === oi) terms.push([o.criticalItMw, x(k)]);
    });
    if (terms.length === 0) return;
    if (offer.minCriticalItMw > 0) {
      lp.binary(`y${oi}`);
      lp.addRow(`max_${oi}`, [...terms, [-offer.maxCriticalItMw, `y${oi}`]], '<=', 0);
      lp.addRow(`min_${oi}`, [...terms, [-offer.minCriticalItMw, `y${oi}`]], '>=', 0);
      rows += 2;
    } else {
      lp.addRow(`max_${oi}`, terms, '<=', offer.maxCriticalItMw);
      rows++;
    }
  });

  // Each option's effect on the coverage test, summed over the window like the test itself.
  const w = model.coverageWindowMonths;
  const effect = model.options.map((o) => {
    const cand = model.candidates[o.candidate]!;
    const perMonth = model.months.map((_, m) => {
      const dCash = o.leaseNoiUsd[m]! - (o.capexUsd[m]! - o.financedCapexUsd[m]!) - cand.miningMarginUsd[m]!;
      return dCash - model.minDscr * o.loanServiceUsd[m]!;
    });
    return windowSums(perMonth, w);
  });
  const baseCash = windowSums(base.map((r) => r.cashAvailableUsd), w);
  const baseDebt = windowSums(base.map((r) => r.debtServiceUsd), w);
  model.months.forEach((_, m) => {
    const terms: Term[] = model.options.map((_, k) => [effect[k]![m]! * SCALE, x(k)]);
    const need = model.minDscr * baseDebt[m]! - baseCash[m]!;
    // A month no plan can fall short in needs no row (all-zero effects and a met test).
    if (need <= 0 && terms.every(([c]) => c === 0)) return;
    lp.addObjective(-model.shortfallPenaltyPerUsd, s(m));
    lp.bound(s(m), 0, Infinity);
    lp.addRow(`cov_${m}`, [...terms, [1, s(m)]], '>=', need * SCALE);
    rows++;
  });
  return { lp, baseNpvUsd, binaries: model.options.length, rows };
}

export async function solveAllocation(model: StrategicModel): Promise<MilpOutcome> {
  const { lp, baseNpvUsd, binaries, rows } = buildAllocationLp(model);
  const size = { binaries, rows };
  const settings = model.input.solver;
  const r = await solveLp(lp.toString(), { timeLimitS: settings.timeLimitS, mipRelGap: settings.mipRelGap });
  if (r.objective === null || r.values.size === 0) {
    return { plan: allMiningPlan(model), status: r.status, objectiveUsd: null, mipGap: r.mipGap, wallMs: r.wallMs, size };
  }
  const plan: (number | null)[] = allMiningPlan(model).slice();
  model.options.forEach((o, k) => {
    if ((r.values.get(x(k)) ?? 0) > 0.5) plan[o.candidate] = k;
  });
  // With no binaries HiGHS solves an LP and reports an infinite MIP gap; there is no gap to report.
  const mipGap = r.mipGap !== null && Number.isFinite(r.mipGap) ? r.mipGap : null;
  return { plan, status: r.status, objectiveUsd: r.objective / SCALE + baseNpvUsd, mipGap, wallMs: r.wallMs, size };
}

const x = (k: number) => `x${k}`;
const s = (m: number) => `s${m}`;
