import { csvCell } from '../../services/lib/csv.ts';
import type { SimulationResult } from './summarise.ts';

/**
 * A run as CSV in long form (one number a row: what, which, month, statistic, value), so a
 * spreadsheet pivots it whichever way. Cells go through the finance exports' csvCell (RFC 4180
 * quoting; text a spreadsheet would run as a formula is prefixed with a quote).
 */

const HEADER = 'section,name,month,statistic,value';

export function resultCsv(r: SimulationResult): string {
  const rows: string[] = [HEADER];
  const row = (section: string, name: string, month: string, statistic: string, value: number) => rows.push([section, name, month, statistic, value].map(csvCell).join(','));
  row('run', r.scenario, '', 'paths', r.paths);
  row('run', r.scenario, '', 'seed', r.seed);
  for (const m of r.months) {
    for (const [metric, p] of [
      ['marginUsd', m.marginUsd],
      ['ebitdaUsd', m.ebitdaUsd],
      ['freeCashUsd', m.freeCashUsd],
      ['cashUsd', m.cashUsd],
      ['dscr', m.dscr],
      ['btcPriceUsd', m.btcPriceUsd],
      ['hashpriceUsdPerPhDay', m.hashpriceUsdPerPhDay],
    ] as const) {
      for (const q of ['p5', 'p25', 'p50', 'p75', 'p95'] as const) row('month', metric, m.month, q, p[q]);
    }
    row('month', 'cashBelowFloor', m.month, 'probability', m.cashBelowFloorProbability);
    row('month', 'cashBelowFloor', m.month, 'se', m.cashBelowFloorProbabilitySe);
  }
  for (const c of r.covenants) {
    const name = `${c.instrumentId} ${c.kind} ${c.threshold}`;
    for (const q of c.breachProbabilityByQuarter) {
      row('covenant', name, q.month, 'breachProbability', q.probability);
      row('covenant', name, q.month, 'se', q.se);
    }
  }
  for (const l of r.btcLoans) {
    row('btcLoan', l.instrumentId, '', 'marginCallBtcUsd', l.marginCallBtcUsd);
    row('btcLoan', l.instrumentId, '', 'marginCallProbability', l.marginCallProbability);
    row('btcLoan', l.instrumentId, '', 'se', l.marginCallProbabilitySe);
    row('btcLoan', l.instrumentId, '', 'cashCureProbability', l.cashCureProbability);
    row('btcLoan', l.instrumentId, '', 'cashCureProbabilitySe', l.cashCureProbabilitySe);
    row('btcLoan', l.instrumentId, '', 'cureCashMeanUsd', l.cureCashUsd.mean);
    row('btcLoan', l.instrumentId, '', 'cureCashP95Usd', l.cureCashUsd.p95);
  }
  for (const d of r.decisions) {
    for (const q of ['p5', 'p25', 'p50', 'p75', 'p95', 'mean', 'meanSe'] as const) {
      row('decision', `${d.id} keep`, '', q, d.keepNpvUsd[q]);
      row('decision', `${d.id} convert`, '', q, d.convertNpvUsd[q]);
    }
  }
  for (const k of ['mean', 'quantile', 'var', 'cvar'] as const) row('cash12', 'cashUsd', r.cash12.month, k, r.cash12[k]);
  return `${rows.join('\n')}\n`;
}
