import type { SimulationResult } from './summarise.ts';

/** Plain-text report of a run (the CLI without --json). */

const usdM = (v: number) => (Number.isFinite(v) ? `${(v / 1e6).toFixed(1)}M` : '—');
const pct = (p: number, se: number) => `${(p * 100).toFixed(2)} % ± ${(se * 100).toFixed(2)}`;
const ratio = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');

export function formatSimulation(r: SimulationResult): string {
  const lines: string[] = [];
  lines.push(`Scenario "${r.scenario}": ${r.paths} paths, seed ${r.seed}, ${r.horizonMonths} months from ${r.startMonth}`);
  lines.push(`Dispatch: ${r.dispatch}`);
  lines.push('');
  lines.push('month     margin p5 / p50 / p95        free cash p5 / p50 / p95      cash p5 / p50 / p95             DSCR p5 / p50 / p95   P(cash < floor)');
  for (const m of r.months) {
    lines.push(
      `${m.month}   ${[m.marginUsd.p5, m.marginUsd.p50, m.marginUsd.p95].map(usdM).join(' / ').padEnd(28)} ${[m.freeCashUsd.p5, m.freeCashUsd.p50, m.freeCashUsd.p95].map(usdM).join(' / ').padEnd(29)} ${[m.cashUsd.p5, m.cashUsd.p50, m.cashUsd.p95].map(usdM).join(' / ').padEnd(31)} ${[m.dscr.p5, m.dscr.p50, m.dscr.p95].map(ratio).join(' / ').padEnd(21)} ${pct(m.cashBelowFloorProbability, m.cashBelowFloorProbabilitySe)}`,
    );
  }
  lines.push('');
  lines.push('Covenant breach probability by quarter (± standard error):');
  for (const c of r.covenants) {
    lines.push(`  ${c.instrumentId} ${c.kind} ${c.threshold}: any quarter ${pct(c.anyBreachProbability, c.anyBreachProbabilitySe)}`);
    for (const q of c.breachProbabilityByQuarter) lines.push(`    ${q.quarter}  ${pct(q.probability, q.se)}`);
    if (c.breachProbabilityByQuarter.length === 0) lines.push('    not tested inside the horizon');
  }
  lines.push('');
  lines.push('Margin calls (a day at or below the margin-call price while outstanding):');
  for (const l of r.btcLoans) {
    lines.push(`  ${l.instrumentId} at $${l.marginCallBtcUsd.toFixed(2)}: ${pct(l.marginCallProbability, l.marginCallProbabilitySe)}`);
    lines.push(`    cured in cash (after free BTC): ${pct(l.cashCureProbability, l.cashCureProbabilitySe)}; cash paid mean ${usdM(l.cureCashUsd.mean)} ± ${usdM(l.cureCashUsd.meanSe)}, p95 ${usdM(l.cureCashUsd.p95)}`);
  }
  if (r.btcLoans.length === 0) lines.push('  no BTC-backed loans');
  lines.push('');
  lines.push(`Cash below $${usdM(r.cashFloorUsd)} in any month: ${pct(r.cashBelowFloorAnyMonthProbability, r.cashBelowFloorAnyMonthProbabilitySe)}`);
  lines.push(`Cash at ${r.cash12.month}: mean ${usdM(r.cash12.mean)}, 5th percentile ${usdM(r.cash12.quantile)}, VaR95 ${usdM(r.cash12.var)}, CVaR95 ${usdM(r.cash12.cvar)}`);
  for (const d of r.decisions) {
    lines.push('');
    lines.push(`Decision ${d.id} (${d.grossMw.toFixed(1)} MW gross, ${d.criticalItMw.toFixed(1)} MW critical IT):`);
    lines.push(`  keep mining NPV p5 / p50 / p95: ${[d.keepNpvUsd.p5, d.keepNpvUsd.p50, d.keepNpvUsd.p95].map(usdM).join(' / ')}  (mean ${usdM(d.keepNpvUsd.mean)} ± ${usdM(d.keepNpvUsd.meanSe)})`);
    lines.push(`  convert NPV     p5 / p50 / p95: ${[d.convertNpvUsd.p5, d.convertNpvUsd.p50, d.convertNpvUsd.p95].map(usdM).join(' / ')}  (mean ${usdM(d.convertNpvUsd.mean)} ± ${usdM(d.convertNpvUsd.meanSe)})`);
    lines.push(`  P(convert beats keep): ${pct(d.convertBetterProbability, d.convertBetterProbabilitySe)}`);
  }
  lines.push('');
  lines.push('Assumptions:');
  for (const a of r.assumptions) lines.push(`  - ${a}`);
  return `${lines.join('\n')}\n`;
}
