import { LpText, type Term } from '../solver/lp-text.ts';
import { aiBlocks, miningClasses, type MiningClass } from './classes.ts';
import { aiPassThroughUsd, aiRentUsd, blockBaseItMw, hours, revenueUsdPerItMw } from './economics.ts';
import type { AiBlock, DispatchInput } from './input.ts';

/**
 * The dispatch MILP. Per mining class c and interval t:
 *   u[c,t] ∈ {0..n}  blocks running;  s, d ≥ 0 starts and stops;  y[c,g,t] ≥ 0 IT MW above
 *   the groups' minimum power targets (partial curtailment by power target).
 * Per AI block k: a[k,t] IT MW in [floor, full] (the contract's flexibility; full = no flex).
 * L[t] = site meter MW. Row names say which rule they encode; infeasibility is reported by
 * the names in HiGHS's irreducible infeasible subset (see infeasibility.ts):
 *   rng  y ≤ u × (max − min)        (device power range)
 *   bal  u[t] − u[t−1] = s − d      (state continuity)
 *   mup / mupi  minimum on time (running, and carried over from before the plan)
 *   mdn / mdni  minimum off time
 *   load L = Σ meter MW; imp  L ≤ import limit; rup/rdn ramp limits; fcp 4CP cap
 *   ppa  L − buy + sell = PPA MW
 *   sla / capn  an AI block below full load spends one of its contract's capped intervals
 * Objective (maximised, USD): mining revenue + AI revenue + credits − energy − restarts.
 */

export interface DispatchModel {
  lp: LpText;
  classes: MiningClass[];
  ai: AiBlock[];
  integerCount: number;
}

export const v = {
  u: (c: number, t: number) => `u_${c}_${t}`,
  s: (c: number, t: number) => `s_${c}_${t}`,
  d: (c: number, t: number) => `d_${c}_${t}`,
  y: (c: number, g: number, t: number) => `y_${c}_${g}_${t}`,
  a: (k: number, t: number) => `a_${k}_${t}`,
  z: (k: number, t: number) => `z_${k}_${t}`,
  L: (t: number) => `L_${t}`,
  buy: (t: number) => `buy_${t}`,
  sell: (t: number) => `sell_${t}`,
};

export function buildDispatchModel(input: DispatchInput): DispatchModel {
  const lp = new LpText('max');
  const classes = miningClasses(input);
  const ai = aiBlocks(input);
  const T = input.intervals.length;
  const h = hours(input);
  const site = input.site;
  let integerCount = 0;
  const fourCpCap = fourCpCapMw(input);

  for (let t = 0; t < T; t++) {
    const iv = input.intervals[t]!;
    const credit = (iv.creditUsdPerMwh ?? 0) * h;
    const load: Term[] = [[1, v.L(t)]];
    let loadConstant = 0;

    for (const c of classes) {
      const b = c.template;
      const n = c.blockIds.length;
      const oh = b.overheadFactor;
      const u = v.u(c.index, t);
      lp.bound(u, 0, n);
      lp.integer(u);
      lp.bound(v.s(c.index, t), 0, n);
      lp.bound(v.d(c.index, t), 0, n);
      lp.integer(v.s(c.index, t));
      lp.integer(v.d(c.index, t));
      integerCount += 3;

      // Running blocks draw base + y; sleeping ones draw sleep power. Meter = IT × overhead.
      const base = blockBaseItMw(b);
      let uRevenue = 0;
      b.segments.forEach((g, gi) => {
        const r = revenueUsdPerItMw(g, iv, input);
        uRevenue += g.minItMw * r;
        const y = v.y(c.index, gi, t);
        lp.bound(y, 0, n * (g.maxItMw - g.minItMw));
        lp.addRow(`rng_${c.index}_${gi}_${t}`, [[1, y], [-(g.maxItMw - g.minItMw), u]], '<=', 0);
        // Revenue, less the credit forgone by drawing this MW.
        lp.addObjective(r - credit * oh, y);
        load.push([-oh, y]);
      });
      lp.addObjective(uRevenue - credit * oh * (base - b.sleepItMw), u);
      load.push([-oh * (base - b.sleepItMw), u]);
      loadConstant += oh * b.sleepItMw * n;
      lp.addObjective(-b.restartCostUsd, v.s(c.index, t));
      // Credits are for load not drawn relative to full: the constant part.
      const fullMeter = oh * b.segments.reduce((s, g) => s + g.maxItMw, 0) * n;
      lp.addObjectiveConstant(credit * (fullMeter - oh * b.sleepItMw * n));

      const prev = t === 0 ? null : v.u(c.index, t - 1);
      const initialOn = b.initial.on ? n : 0;
      lp.addRow(`bal_${c.index}_${t}`, prev ? [[1, u], [-1, prev], [-1, v.s(c.index, t)], [1, v.d(c.index, t)]] : [[1, u], [-1, v.s(c.index, t)], [1, v.d(c.index, t)]], '=', prev ? 0 : initialOn);

      const up: Term[] = [[1, u]];
      for (let k = Math.max(0, t - b.minOnIntervals + 1); k <= t; k++) up.push([-1, v.s(c.index, k)]);
      lp.addRow(`mup_${c.index}_${t}`, up, '>=', 0);
      const down: Term[] = [[-1, u]];
      for (let k = Math.max(0, t - b.minOffIntervals + 1); k <= t; k++) down.push([-1, v.d(c.index, k)]);
      lp.addRow(`mdn_${c.index}_${t}`, down, '>=', -n);
      if (b.initial.on && t < b.minOnIntervals - b.initial.intervalsInState) lp.addRow(`mupi_${c.index}_${t}`, [[1, u]], '>=', n);
      if (!b.initial.on && t < b.minOffIntervals - b.initial.intervalsInState) lp.addRow(`mdni_${c.index}_${t}`, [[1, u]], '<=', 0);
    }

    ai.forEach((b, k) => {
      const a = v.a(k, t);
      const flexible = b.floorItMw < b.fullItMw && b.maxCappedIntervals > 0;
      lp.bound(a, flexible ? b.floorItMw : b.fullItMw, b.fullItMw);
      if (flexible) {
        lp.binary(v.z(k, t));
        integerCount += 1;
        lp.addRow(`sla_${k}_${t}`, [[1, a], [b.fullItMw - b.floorItMw, v.z(k, t)]], '>=', b.fullItMw);
      }
      // Rent (per IT MW for GPU-hour billing, a constant for take-or-pay) plus the energy
      // pass-through, which is linear in the load.
      const perItMw = (b.revenueScalesWithLoad ? aiRentUsd(b, 1, iv, input) : 0) + aiPassThroughUsd(b, 1, iv, input);
      if (perItMw !== 0) lp.addObjective(perItMw, a);
      if (!b.revenueScalesWithLoad) lp.addObjectiveConstant(aiRentUsd(b, b.fullItMw, iv, input));
      load.push([-b.overheadFactor, a]);
    });

    lp.bound(v.L(t), 0, Infinity);
    lp.addRow(`load_${t}`, load, '=', loadConstant);
    lp.addRow(`imp_${t}`, [[1, v.L(t)]], '<=', site.importLimitMw);
    if (iv.fourCp) lp.addRow(`fcp_${t}`, [[1, v.L(t)]], '<=', fourCpCap);
    const rampStep = (perMin: number | undefined) => (perMin === undefined ? undefined : perMin * input.intervalMinutes);
    const upStep = rampStep(site.rampUpMwPerMin);
    const downStep = rampStep(site.rampDownMwPerMin);
    const prevLoad: Term[] = t === 0 ? [] : [[-1, v.L(t - 1)]];
    const prevConst = t === 0 ? site.initialLoadMw : 0;
    if (prevConst !== undefined) {
      if (upStep !== undefined) lp.addRow(`rup_${t}`, [[1, v.L(t)], ...prevLoad], '<=', upStep + prevConst);
      if (downStep !== undefined) lp.addRow(`rdn_${t}`, [[1, v.L(t)], ...prevLoad], '>=', prevConst - downStep);
    }

    const ppa = site.ppa;
    if (ppa) {
      lp.bound(v.buy(t), 0, Infinity);
      lp.bound(v.sell(t), 0, ppa.mw);
      lp.addRow(`ppa_${t}`, [[1, v.L(t)], [-1, v.buy(t)], [1, v.sell(t)]], '=', ppa.mw);
      lp.addObjective(-iv.priceUsdPerMwh * h, v.buy(t));
      lp.addObjective((iv.priceUsdPerMwh - ppa.resaleDiscountUsdPerMwh) * h, v.sell(t));
      lp.addObjectiveConstant(-ppa.priceUsdPerMwh * ppa.mw * h);
    } else {
      lp.addObjective(-iv.priceUsdPerMwh * h, v.L(t));
    }
  }
  ai.forEach((b, k) => {
    if (b.floorItMw < b.fullItMw && b.maxCappedIntervals > 0 && b.maxCappedIntervals < T) {
      lp.addRow(`capn_${k}`, Array.from({ length: T }, (_x, t): Term => [1, v.z(k, t)]), '<=', b.maxCappedIntervals);
    }
  });
  return { lp, classes, ai, integerCount };
}

/** Load allowed in a 4CP interval: the given cap, else AI at its floor (if it may be capped at all) with every miner asleep. */
export function fourCpCapMw(input: DispatchInput): number {
  if (input.site.fourCpCapMw !== undefined) return input.site.fourCpCapMw;
  let mw = 0;
  for (const b of input.blocks) mw += (b.kind === 'ai' ? (b.maxCappedIntervals > 0 ? b.floorItMw : b.fullItMw) : b.sleepItMw) * b.overheadFactor;
  return mw;
}
