import { offerLoadMw, planTotals, withinOfferLimits, type Plan, type PlanTotals } from './evaluate.ts';
import type { StrategicModel } from './model.ts';

/**
 * One sentence per block on why the plan converts it or keeps it mining, found by asking
 * what changes if that one decision is flipped: the NPV, the offer limits, or the debt cover.
 * `npvGain[k]` is option k's incremental NPV over mining.
 */
export function explainDecision(model: StrategicModel, plan: Plan, totals: PlanTotals, ci: number, npvGain: readonly number[]): string {
  const k = plan[ci];
  const own = model.options.map((o, i) => ({ o, i })).filter(({ o }) => o.candidate === ci);

  if (k !== null && k !== undefined) {
    const o = model.options[k]!;
    const gain = npvGain[k]!;
    if (gain > 0) return `converting for ${o.offerId} adds ${usd(gain)} of NPV over mining`;
    const without = plan.slice();
    without[ci] = null;
    const alt = planTotals(model, without);
    if (alt.totalShortUsd > totals.totalShortUsd + 0.5) {
      return `converted at ${usd(gain)} of NPV because its lease strengthens debt cover: ${coverage(totals)}, against ${coverage(alt)} if it kept mining`;
    }
    if (!withinOfferLimits(model, without)) return `converted at ${usd(gain)} of NPV so ${o.offerId} reaches its minimum critical IT`;
    return `converted at ${usd(gain)} of NPV (within the solver's gap)`;
  }

  if (own.length === 0) return `kept mining: its critical IT is above every offer's maximum`;
  const best = own.reduce((a, b) => (npvGain[b.i]! > npvGain[a.i]! ? b : a));
  if (npvGain[best.i]! <= 0) return `kept mining: mining is worth more than every offer (best, ${best.o.offerId}: ${usd(npvGain[best.i]!)} NPV)`;
  const reasons: string[] = [];
  for (const { o, i } of own.filter(({ i }) => npvGain[i]! > 0).sort((a, b) => npvGain[b.i]! - npvGain[a.i]!)) {
    const trial = plan.slice();
    trial[ci] = i;
    const load = offerLoadMw(model, trial)[o.offer]!;
    const offer = model.offers[o.offer]!;
    if (load > offer.maxCriticalItMw + 1e-9) {
      reasons.push(`${o.offerId} (+${usd(npvGain[i]!)}) is full: ${fmt(offer.maxCriticalItMw)} MW max is taken by other blocks`);
      continue;
    }
    if (!withinOfferLimits(model, trial)) {
      reasons.push(`${o.offerId} (+${usd(npvGain[i]!)}) would stay below its ${fmt(offer.minCriticalItMw)} MW minimum`);
      continue;
    }
    const t = planTotals(model, trial);
    if (t.totalShortUsd > totals.totalShortUsd + 0.5) {
      reasons.push(`${o.offerId} (+${usd(npvGain[i]!)}) would weaken debt cover: ${coverage(t)} against ${coverage(totals)} now`);
      continue;
    }
    reasons.push(`${o.offerId} (+${usd(npvGain[i]!)}) loses to the plan's use of the offers`);
  }
  return `kept mining: ${reasons.join('; ')}`;
}

/** "3 months short (worst $1.2M in 2029-09)" or "no month short". */
export function coverage(t: PlanTotals): string {
  const n = t.shortfallMonths.length;
  if (n === 0) return 'no month short';
  return `${n} month${n === 1 ? '' : 's'} short (worst ${usd(t.worstShortUsd)} in ${t.worstShortMonth})`;
}

export function usd(v: number): string {
  const a = Math.abs(v);
  const sign = v < 0 ? '−' : '';
  if (a >= 1e9) return `${sign}$${(a / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${sign}$${(a / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${sign}$${(a / 1e3).toFixed(0)}k`;
  return `${sign}$${a.toFixed(0)}`;
}

function fmt(mw: number): string {
  return Number.isInteger(mw) ? String(mw) : mw.toFixed(2);
}
