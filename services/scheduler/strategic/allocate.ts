import type { SiteFile } from '../../domain/site-schema.ts';
import type { Catalogs } from '../../domain/site.ts';
import { allMiningPlan, planMonths, planTotals, type MonthRow, type Plan, type PlanTotals } from './evaluate.ts';
import { explainDecision } from './explain.ts';
import { greedyPlan } from './greedy.ts';
import type { Halving } from '../../finance/hashprice-outlook.ts';
import { irrMonthly, npvMonthly, paybackMonth } from '../../finance/discount.ts';
import { solveAllocation, type MilpOutcome } from './milp.ts';
import { buildModel, type StrategicModel } from './model.ts';
import { monthlyRate } from '../../finance/months.ts';
import { incrementalFlowsUsd } from './offer-flows.ts';
import type { OffersFile } from './offers-schema.ts';
import type { ExcludedBlock } from './site-flows.ts';

/**
 * Strategic allocation: which mining blocks to convert for which AI offer, decided now,
 * valued month by month over the horizon. Builds the model, solves the MILP, judges the plan,
 * the all-mining baseline and the greedy baseline with the same arithmetic, and explains
 * each block's decision.
 */

export interface OptionAppraisal {
  offerId: string;
  criticalItMw: number;
  capexUsd: number;
  /** NPV of (lease NOI − capex − mining margin forgone), USD. */
  incrementalNpvUsd: number;
  irrPctPerYear: number | null;
  irrNote?: string;
  /** Months from the decision until cumulative incremental cash stays ≥ 0; null if not within the horizon. */
  paybackMonth: number | null;
}

/** The chosen option's appraisal (all zeros and nulls when the block keeps mining). */
export interface BlockDecision extends Omit<OptionAppraisal, 'offerId'> {
  blockId: string;
  blockName: string;
  capacityMw: number;
  /** null: keep mining. */
  offerId: string | null;
  why: string;
  /** Every offer the block fits, appraised on its own against mining. */
  options: OptionAppraisal[];
}

export interface OfferUse {
  offerId: string;
  counterparty: string;
  blocks: string[];
  criticalItMw: number;
  minCriticalItMw: number;
  maxCriticalItMw: number;
}

export interface AllocationResult {
  siteId: string;
  startMonth: string;
  horizonMonths: number;
  discountRatePctPerYear: number;
  solver: {
    status: string;
    /** Objective of the solved plan (NPV − penalty × shortfall), USD; null without a solution. */
    objectiveUsd: number | null;
    mipGap: number | null;
    wallMs: number;
    binaries: number;
    rows: number;
    /** Set when the solver returned no plan, or a worse one than a baseline: the plan shown is that baseline. */
    fallback?: 'all-mining' | 'greedy';
  };
  decisions: BlockDecision[];
  excludedBlocks: ExcludedBlock[];
  offers: OfferUse[];
  /** The chosen plan. */
  plan: PlanTotals & { npvGainOverAllMiningUsd: number };
  allMining: PlanTotals;
  greedy: PlanTotals & { decisions: { blockId: string; offerId: string | null }[] };
  /** plan.objectiveUsd − greedy.objectiveUsd: what optimising (with coverage) is worth over the hand method. */
  milpAdvantageUsd: number;
  halvings: Halving[];
  months: MonthRow[];
  notes: string[];
}

export async function allocate(site: SiteFile, input: OffersFile, catalogs?: Catalogs): Promise<AllocationResult> {
  const model = buildModel(site, input, catalogs);
  const appraisals = model.options.map((o, k) => appraise(model, o.candidate, k));
  const npvGain = appraisals.map((a) => a.incrementalNpvUsd);

  const greedy = greedyPlan(model, npvGain);
  const greedyTotals = planTotals(model, greedy);
  const allMining = allMiningPlan(model);
  const allMiningTotals = planTotals(model, allMining);

  const milp = await solveAllocation(model).catch((err: unknown): MilpOutcome => ({
    // A solver failure still yields a plan (a baseline), with the failure as its status.
    plan: allMining,
    status: `solver-error: ${err instanceof Error ? err.message : String(err)}`,
    objectiveUsd: null,
    mipGap: null,
    wallMs: 0,
    size: { binaries: model.options.length, rows: 0 },
  }));
  // Without a solver plan, or with an incumbent a baseline beats (when HiGHS stopped at its
  // time limit), the better baseline is shown and named. An optimal plan stands (within its gap).
  type Choice = { name: 'milp' | 'greedy' | 'all-mining'; plan: Plan; totals: PlanTotals };
  const solved: Choice[] = milp.objectiveUsd === null ? [] : [{ name: 'milp', plan: milp.plan, totals: planTotals(model, milp.plan) }];
  const choices: Choice[] =
    milp.status === 'optimal' && solved.length > 0
      ? solved
      : [...solved, { name: 'greedy', plan: greedy, totals: greedyTotals }, { name: 'all-mining', plan: allMining, totals: allMiningTotals }];
  const best = choices.reduce((a, b) => (b.totals.objectiveUsd > a.totals.objectiveUsd + 1 ? b : a));
  const { plan, totals } = best;
  const fallback = best.name === 'milp' ? undefined : best.name;
  const months = planMonths(model, plan);

  const decisions: BlockDecision[] = model.candidates.map((c, ci) => {
    const k = plan[ci];
    const options = model.options.flatMap((o, i) => (o.candidate === ci ? [appraisals[i]!] : []));
    const chosen = k === null || k === undefined ? null : appraisals[k]!;
    const why = explainDecision(model, plan, totals, ci, npvGain);
    if (!chosen) {
      return { blockId: c.blockId, blockName: c.name, capacityMw: c.capacityMw, offerId: null, criticalItMw: 0, capexUsd: 0, incrementalNpvUsd: 0, irrPctPerYear: null, irrNote: 'kept mining: no incremental cash flows', paybackMonth: null, why, options };
    }
    return { blockId: c.blockId, blockName: c.name, capacityMw: c.capacityMw, ...chosen, why, options };
  });

  return {
    siteId: site.site.id,
    startMonth: model.startMonth,
    horizonMonths: model.months.length,
    discountRatePctPerYear: input.discountRatePctPerYear,
    solver: {
      status: milp.status,
      objectiveUsd: milp.objectiveUsd,
      mipGap: milp.mipGap,
      wallMs: milp.wallMs,
      ...milp.size,
      ...(fallback ? { fallback } : {}),
    },
    decisions,
    excludedBlocks: model.excluded,
    offers: offerUse(model, plan),
    plan: { ...totals, npvGainOverAllMiningUsd: totals.siteNpvUsd - allMiningTotals.siteNpvUsd },
    allMining: allMiningTotals,
    greedy: { ...greedyTotals, decisions: model.candidates.map((c, ci) => ({ blockId: c.blockId, offerId: greedy[ci] === null ? null : model.options[greedy[ci]!]!.offerId })) },
    milpAdvantageUsd: totals.objectiveUsd - greedyTotals.objectiveUsd,
    halvings: model.hashprice.halvings,
    months,
    notes: notes(model),
  };
}

function appraise(model: StrategicModel, ci: number, k: number): OptionAppraisal {
  const o = model.options[k]!;
  const flows = incrementalFlowsUsd(o, model.candidates[ci]!);
  const irr = irrMonthly(flows);
  return {
    offerId: o.offerId,
    criticalItMw: o.criticalItMw,
    capexUsd: o.capexTotalUsd,
    incrementalNpvUsd: npvMonthly(flows, monthlyRate(model.input.discountRatePctPerYear)),
    irrPctPerYear: irr.irrPctPerYear,
    ...(irr.reason ? { irrNote: irr.reason } : {}),
    paybackMonth: paybackMonth(flows),
  };
}

function offerUse(model: StrategicModel, plan: Plan): OfferUse[] {
  return model.offers.map((offer, oi) => {
    const blocks: string[] = [];
    let mw = 0;
    plan.forEach((k, ci) => {
      if (k !== null && model.options[k]!.offer === oi) {
        blocks.push(model.candidates[ci]!.blockId);
        mw += model.options[k]!.criticalItMw;
      }
    });
    return { offerId: offer.id, counterparty: offer.counterparty, blocks, criticalItMw: mw, minCriticalItMw: offer.minCriticalItMw, maxCriticalItMw: offer.maxCriticalItMw };
  });
}

/** The assumptions a reader needs to trust (or distrust) the numbers. */
function notes(model: StrategicModel): string[] {
  const i = model.input;
  const out = [
    'Decisions are made in the start month: a converted block stops mining at once and earns lease NOI from its lead time.',
    `Capex ${i.capexTiming === 'at-decision' ? 'is spent in the decision month' : 'is spread evenly over each offer\u2019s lead time'}; NPV is unlevered (before debt service) at ${i.discountRatePctPerYear} %/yr.`,
    'Flows past the horizon are dropped on both sides (no terminal value); a lease ending inside the horizon is not renewed.',
    `Coverage: every month, cash available over the ${i.coverage.windowMonths}-month window ending it ≥ ${model.minDscr} (${model.minDscrSource}) × debt service over it (cash ≥ 0 where none is due); a shortfall costs ${i.coverage.shortfallPenaltyPerUsd} NPV dollars per dollar.`,
    'Mining margin is max(0, revenue − power) per month at the nominal fleet (no miner refresh, no degradation).',
  ];
  if (i.coverage.refinanceBulletPrincipal) {
    out.push(`Bullet principal at maturity is refinanced (a refinancing need, left out of the coverage test) and keeps paying interest at each instrument's refinanceCouponPct, else ${i.coverage.refinanceCouponPct ?? 'its own coupon'} %/yr.`);
  }
  const committed = model.committedCapexUsd.reduce((a, b) => a + b, 0);
  if (committed > 0) out.push(`Blocks already converting pay their conversion capex ($${Math.round(committed).toLocaleString('en-US')} in all) evenly from the start month to their ready date, from cash.`);
  if (i.capexFinancing) out.push(`${i.capexFinancing.sharePct} % of capex is drawn on a project loan at ${i.capexFinancing.couponPct} % over ${i.capexFinancing.termMonths} months; its service counts as debt service.`);
  if (i.offers.some((o) => o.takeOrPayPct !== undefined && o.takeOrPayPct < 100)) out.push('takeOrPayPct is reported only: lease revenue assumes the tenant pays for the full capacity.');
  return out;
}
