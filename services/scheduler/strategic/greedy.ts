import type { Plan } from './evaluate.ts';
import type { StrategicModel } from './model.ts';

/**
 * The baseline a finance team would do by hand: rank blocks by the incremental NPV of their
 * best offer, then walk down the list giving each block the best offer that still has room,
 * as long as converting adds NPV. Debt coverage is not looked at — which is exactly what the
 * MILP is there to add. An offer left below its minimum is dropped (its blocks keep mining).
 * `incrementalNpvUsd[k]` is option k's NPV gain over mining.
 */
export function greedyPlan(model: StrategicModel, incrementalNpvUsd: readonly number[]): Plan {
  const byCandidate = model.candidates.map((_, ci) =>
    model.options
      .map((o, k) => ({ k, offer: o.offer, mw: o.criticalItMw, npv: incrementalNpvUsd[k]!, ci: o.candidate }))
      .filter((o) => o.ci === ci && o.npv > 0)
      .sort((a, b) => b.npv - a.npv),
  );
  const order = byCandidate
    .map((opts, ci) => ({ ci, best: opts[0]?.npv ?? 0 }))
    .filter((c) => c.best > 0)
    .sort((a, b) => b.best - a.best);

  const room = model.offers.map((o) => o.maxCriticalItMw);
  const plan: (number | null)[] = model.candidates.map(() => null);
  for (const { ci } of order) {
    const pick = byCandidate[ci]!.find((o) => o.mw <= room[o.offer]! + 1e-9);
    if (!pick) continue;
    plan[ci] = pick.k;
    room[pick.offer]! -= pick.mw;
  }

  model.offers.forEach((offer, oi) => {
    const taken = offer.maxCriticalItMw - room[oi]!;
    if (taken > 0 && taken < offer.minCriticalItMw - 1e-9) {
      plan.forEach((k, ci) => {
        if (k !== null && model.options[k]!.offer === oi) plan[ci] = null;
      });
    }
  });
  return plan;
}
