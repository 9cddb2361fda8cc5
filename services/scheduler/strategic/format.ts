import type { AllocationResult } from './allocate.ts';
import { SHORT_NOISE_USD, type MonthRow, type PlanTotals } from './evaluate.ts';
import { usd } from './explain.ts';

/** The allocation as text for a terminal: decisions, plan vs baselines, and the year-by-year cash. */
export function formatAllocation(r: AllocationResult, opts: { monthly?: boolean } = {}): string {
  const out: string[] = [];
  const s = r.solver;
  out.push(`Strategic allocation: ${r.siteId}, ${r.startMonth} + ${r.horizonMonths} months, discount ${r.discountRatePctPerYear} %/yr`);
  out.push(
    `Solver: ${s.status}${s.mipGap !== null ? `, gap ${(s.mipGap * 100).toFixed(3)} %` : ''}, ${s.binaries} binaries, ${s.rows} rows, ${Math.round(s.wallMs)} ms` +
      (s.fallback ? ` (no solver plan: showing ${s.fallback})` : ''),
  );
  out.push('');
  out.push(table(
    ['block', 'MW', 'decision', 'crit IT MW', 'capex', 'ΔNPV', 'IRR', 'payback'],
    r.decisions.map((d) => [
      d.blockId,
      mw(d.capacityMw),
      d.offerId ?? 'keep mining',
      d.offerId ? mw(d.criticalItMw) : '',
      d.offerId ? usd(d.capexUsd) : '',
      d.offerId ? usd(d.incrementalNpvUsd) : '',
      d.offerId ? (d.irrPctPerYear === null ? 'n/a' : `${d.irrPctPerYear.toFixed(1)} %`) : '',
      d.offerId ? (d.paybackMonth === null ? 'none' : `${d.paybackMonth} mo`) : '',
    ]),
  ));
  for (const d of r.decisions) out.push(`  ${d.blockId}: ${d.why}`);
  for (const e of r.excludedBlocks) out.push(`  ${e.blockId} (${e.state}): ${e.reason}`);
  out.push('');
  out.push('Offers: ' + r.offers.map((o) => `${o.offerId} ${o.criticalItMw.toFixed(2)} MW of ${o.minCriticalItMw}–${o.maxCriticalItMw}${o.blocks.length ? ` [${o.blocks.join(', ')}]` : ''}`).join('; '));
  out.push('');
  const cols: [string, PlanTotals][] = [['plan (MILP)', r.plan], ['all mining', r.allMining], ['greedy by NPV', r.greedy]];
  out.push(table(['', ...cols.map(([n]) => n)], [
    ['site NPV', ...cols.map(([, t]) => usd(t.siteNpvUsd))],
    ['capex', ...cols.map(([, t]) => usd(t.capexUsd))],
    ['converted crit IT', ...cols.map(([, t]) => `${t.convertedCriticalItMw.toFixed(2)} MW`)],
    ['min DSCR', ...cols.map(([, t]) => (t.minDscr === null ? 'no debt' : `${t.minDscr.toFixed(2)} (${t.minDscrMonth})`))],
    ['months short', ...cols.map(([, t]) => String(t.shortfallMonths.length))],
    ['worst short', ...cols.map(([, t]) => (t.worstShortMonth ? `${usd(t.worstShortUsd)} (${t.worstShortMonth})` : '–'))],
  ]));
  out.push(`Greedy picks: ${r.greedy.decisions.map((d) => `${d.blockId}→${d.offerId ?? 'mine'}`).join(', ')}`);
  out.push('');
  for (const h of r.halvings) {
    out.push(`Halving: block ${h.height.toLocaleString('en-US')} ~${h.date} (month ${h.monthIndex}, ${h.month}): subsidy ${h.subsidyBeforeBtc} → ${h.subsidyAfterBtc} BTC`);
  }
  out.push('');
  out.push(opts.monthly ? monthTable(r.months) : yearTable(r.months));
  if (r.plan.shortfallMonths.length > 0) {
    out.push('');
    out.push(`Coverage shortfalls (${plural(r.plan.shortfallMonths.length, 'month')}): ` + r.plan.shortfallMonths.map((x) => `${x.month} ${usd(x.shortUsd)}`).join(', '));
  }
  out.push('');
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}

function yearTable(months: readonly MonthRow[]): string {
  const years = new Map<string, MonthRow[]>();
  for (const m of months) {
    const y = m.month.slice(0, 4);
    years.set(y, [...(years.get(y) ?? []), m]);
  }
  const sum = (rows: MonthRow[], f: (m: MonthRow) => number) => rows.reduce((s, m) => s + f(m), 0);
  return table(
    ['year', 'hashprice $/PH/d', 'mining', 'lease NOI', 'capex', 'debt service', 'min DSCR', 'months short'],
    [...years].map(([y, rows]) => {
      const dscrs = rows.map((m) => m.dscr).filter((d): d is number => d !== null);
      return [
        y,
        (sum(rows, (m) => m.hashpriceUsdPerPhDay) / rows.length).toFixed(1),
        usd(sum(rows, (m) => m.miningMarginUsd)),
        usd(sum(rows, (m) => m.leaseNoiUsd)),
        usd(sum(rows, (m) => m.capexUsd)),
        usd(sum(rows, (m) => m.debtServiceUsd)),
        dscrs.length ? Math.min(...dscrs).toFixed(2) : '–',
        String(rows.filter((m) => m.shortUsd > SHORT_NOISE_USD).length),
      ];
    }),
  );
}

function monthTable(months: readonly MonthRow[]): string {
  return table(
    ['month', 'hashprice', 'mining', 'lease NOI', 'capex', 'debt service', 'DSCR', 'short'],
    months.map((m) => [
      m.month,
      m.hashpriceUsdPerPhDay.toFixed(1),
      usd(m.miningMarginUsd),
      usd(m.leaseNoiUsd),
      usd(m.capexUsd),
      usd(m.debtServiceUsd),
      m.dscr === null ? '–' : m.dscr.toFixed(2),
      m.shortUsd > SHORT_NOISE_USD ? usd(m.shortUsd) : '',
    ]),
  );
}

/** MW to four significant figures: 30, 22.5, 0.06. */
function mw(v: number): string {
  return String(Number(v.toPrecision(4)));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
