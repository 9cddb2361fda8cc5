import type { StrategicModel } from './model.ts';

/**
 * Cash flows of a plan, month by month, and its totals. Pure. Both the MILP's plan and the
 * greedy one are judged here, by the same arithmetic, so they compare like for like.
 *
 * cash available = mining margin + lease NOI (signed contracts and new leases)
 *                  − capex paid from cash (capex − project-loan draws; capex includes the
 *                    committed capex of blocks already converting)
 * debt service   = the site's debt (less refinanced bullets) + project-loan service
 * coverage test  = every month, over the window of `windowMonths` ending it (truncated at
 *                  the start): Σ cash available ≥ minDscr × Σ debt service. With no debt
 *                  service due that means cash ≥ 0: capex paid from cash must come from operations.
 * DSCR           = Σ cash available / Σ debt service over the window (null when none is due)
 * site NPV       = Σ discount × (mining + lease NOI − capex): unlevered, before debt service,
 *                  which is the same whatever the plan apart from project loans.
 */

/** Per candidate (same order as model.candidates): index into model.options, or null to keep mining. */
export type Plan = readonly (number | null)[];

export interface MonthRow {
  month: string;
  hashpriceUsdPerPhDay: number;
  miningMarginUsd: number;
  /** Signed contracts plus new leases. */
  leaseNoiUsd: number;
  newLeaseNoiUsd: number;
  capexUsd: number;
  capexFinancedUsd: number;
  /** Of capexUsd: blocks already converting (committed before the plan). */
  committedCapexUsd: number;
  cashAvailableUsd: number;
  debtServiceUsd: number;
  /** Bullet principal left out of debtServiceUsd because it is refinanced. */
  refinancedUsd: number;
  /** Over the coverage window ending this month. */
  dscr: number | null;
  /** minDscr × debt service − cash available over the coverage window, when positive. */
  shortUsd: number;
}

export interface Shortfall {
  month: string;
  shortUsd: number;
  dscr: number | null;
}

export interface PlanTotals {
  siteNpvUsd: number;
  /** siteNpvUsd − penalty × totalShortUsd: what the optimiser maximises. */
  objectiveUsd: number;
  capexUsd: number;
  convertedCriticalItMw: number;
  minDscr: number | null;
  minDscrMonth: string | null;
  shortfallMonths: Shortfall[];
  /**
   * Σ of each month's shortfall: what the penalty applies to. With windowMonths > 1 the
   * windows overlap, so this is a measure to minimise, not an amount owed; worstShortUsd is.
   */
  totalShortUsd: number;
  worstShortUsd: number;
  worstShortMonth: string | null;
}

// Below half a dollar a shortfall is floating-point noise, not a covenant problem worth listing.
export const SHORT_NOISE_USD = 0.5;

export function planMonths(model: StrategicModel, plan: Plan): MonthRow[] {
  const rows = model.months.map((month, m) => {
    let mining = 0;
    let newLease = 0;
    let capex = 0;
    let financed = 0;
    let loanService = 0;
    model.candidates.forEach((c, ci) => {
      const k = plan[ci];
      if (k === null || k === undefined) {
        mining += c.miningMarginUsd[m]!;
        return;
      }
      const o = model.options[k]!;
      newLease += o.leaseNoiUsd[m]!;
      capex += o.capexUsd[m]!;
      financed += o.financedCapexUsd[m]!;
      loanService += o.loanServiceUsd[m]!;
    });
    const lease = model.existingNoiUsd[m]! + newLease;
    // Blocks already converting pay their capex whatever the plan (finance/conversion.ts).
    const committed = model.committedCapexUsd[m]!;
    capex += committed;
    return {
      month,
      hashpriceUsdPerPhDay: model.hashprice.usdPerPhDay[m]!,
      miningMarginUsd: mining,
      leaseNoiUsd: lease,
      newLeaseNoiUsd: newLease,
      capexUsd: capex,
      capexFinancedUsd: financed,
      committedCapexUsd: committed,
      cashAvailableUsd: mining + lease - (capex - financed),
      debtServiceUsd: model.debtServiceUsd[m]! + loanService,
      refinancedUsd: model.refinancedUsd[m]!,
      dscr: null as number | null,
      shortUsd: 0,
    };
  });
  const cash = windowSums(rows.map((r) => r.cashAvailableUsd), model.coverageWindowMonths);
  const debt = windowSums(rows.map((r) => r.debtServiceUsd), model.coverageWindowMonths);
  rows.forEach((r, m) => {
    const short = model.minDscr * debt[m]! - cash[m]!;
    r.dscr = debt[m]! > 0 ? cash[m]! / debt[m]! : null;
    r.shortUsd = Math.max(0, short);
  });
  return rows;
}

/** out[m] = Σ values[j] for j in (m − window, m], truncated at 0. */
export function windowSums(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  values.forEach((v, m) => {
    sum += v;
    if (m >= window) sum -= values[m - window]!;
    out.push(sum);
  });
  return out;
}

export function planTotals(model: StrategicModel, plan: Plan, rows: MonthRow[] = planMonths(model, plan)): PlanTotals {
  let npv = 0;
  let capexUsd = 0;
  let minDscr: number | null = null;
  let minDscrMonth: string | null = null;
  const shortfallMonths: Shortfall[] = [];
  rows.forEach((r, m) => {
    npv += model.discount[m]! * (r.miningMarginUsd + r.leaseNoiUsd - r.capexUsd);
    capexUsd += r.capexUsd;
    if (r.dscr !== null && (minDscr === null || r.dscr < minDscr)) {
      minDscr = r.dscr;
      minDscrMonth = r.month;
    }
    if (r.shortUsd > SHORT_NOISE_USD) shortfallMonths.push({ month: r.month, shortUsd: r.shortUsd, dscr: r.dscr });
  });
  // The whole sum, noise included, so the objective is exactly what the MILP maximised.
  const totalShortUsd = rows.reduce((s, r) => s + r.shortUsd, 0);
  const worst = shortfallMonths.reduce<Shortfall | null>((w, x) => (w === null || x.shortUsd > w.shortUsd ? x : w), null);
  const convertedCriticalItMw = plan.reduce<number>((s, k) => s + (k === null ? 0 : model.options[k]!.criticalItMw), 0);
  return {
    siteNpvUsd: npv,
    objectiveUsd: npv - model.shortfallPenaltyPerUsd * totalShortUsd,
    capexUsd,
    convertedCriticalItMw,
    minDscr,
    minDscrMonth,
    shortfallMonths,
    totalShortUsd,
    worstShortUsd: worst?.shortUsd ?? 0,
    worstShortMonth: worst?.month ?? null,
  };
}

/** Keep every candidate mining. */
export function allMiningPlan(model: StrategicModel): Plan {
  return model.candidates.map(() => null);
}

/** Critical IT each offer would take under a plan, MW, by offer index. */
export function offerLoadMw(model: StrategicModel, plan: Plan): number[] {
  const load = model.offers.map(() => 0);
  for (const k of plan) if (k !== null) load[model.options[k]!.offer]! += model.options[k]!.criticalItMw;
  return load;
}

/** Whether a plan keeps every offer it uses within [min, max] critical IT. */
export function withinOfferLimits(model: StrategicModel, plan: Plan): boolean {
  const tol = 1e-9;
  return offerLoadMw(model, plan).every((mw, i) => {
    const o = model.offers[i]!;
    return mw === 0 || (mw >= o.minCriticalItMw - tol && mw <= o.maxCriticalItMw + tol);
  });
}
