// Finance page: what each MW earned (mining vs AI vs credits) and how far the company is from
// breaking a covenant or a margin call. Plain ES module; reads only the API:
// /api/finance/margins, /api/finance/debt (finance or admin token: open as /finance/#token=...).

import { api, downloadCsv } from '../shared/api.js';
import { baseOptions, draw } from '../shared/charts.js';
import { esc, isoDay, num, pct, usd, usdShort } from '../shared/format.js';

const DAY = 86_400_000;
const CLOSE_PCT = 15; // headroom under this (BTC may fall less than 15 %) is coloured "close"
const $ = (id) => document.getElementById(id);

function initialRange() {
  const q = new URLSearchParams(location.search);
  const today = Math.floor(Date.now() / DAY) * DAY;
  $('from').value = q.get('from') ?? isoDay(today - 30 * DAY);
  $('to').value = q.get('to') ?? isoDay(today + DAY);
}

const margins = (from, to, extra = '') => api(`/api/finance/margins?from=${from}&to=${to}${extra}`);

async function refresh() {
  const from = $('from').value;
  const to = $('to').value;
  $('status').className = '';
  $('status').textContent = 'loading…';
  try {
    const [byBlock, byDay, debt] = await Promise.all([margins(from, to, '&groupBy=block'), margins(from, to, '&groupBy=day'), api('/api/finance/debt')]);
    const perBlock = await Promise.all(byBlock.groups.map((g) => margins(from, to, `&groupBy=day&block=${encodeURIComponent(g.key)}`).then((r) => ({ block: g.key, days: r.groups }))));
    $('company').textContent = `${debt.company.name} · as of ${debt.asOf} · BTC ${usd(debt.btcPriceUsd)} · hashprice ${usd(debt.hashpriceUsdPerPhDay)}/PH/day`;
    drawMarginBlocks(perBlock);
    drawMix(byBlock);
    drawMixDays(byDay);
    drawPerMwh(byDay);
    fillMargins(byBlock);
    drawLadder(debt);
    drawDscr(debt);
    fillTrailing(debt);
    fillHeadroom(debt);
    const provisional = byBlock.groups.some((g) => g.provisional);
    $('status').textContent = byBlock.groups.length === 0 ? `no ledger rows from ${from} to ${to}` : `${byDay.groups.length} days${provisional ? ' (today provisional)' : ''}`;
  } catch (err) {
    $('status').className = 'error';
    if (err.status === 401 || err.status === 403) await showSummary(err);
    else $('status').textContent = err.message;
  }
}

// A viewer (or no token) may read the summary only: show it, and say how to see the detail.
async function showSummary(err) {
  const how = 'the detail needs a finance or admin token: open this page as /finance/#token=<token>';
  try {
    const s = await api('/api/finance/summary');
    const y = s.yesterday ? `yesterday ${usd(s.yesterday.marginUsd)} (${usd(s.yesterday.marginUsdPerMwDay)}/MW-day)` : 'no ledger yesterday';
    const d = s.debt.available ? `debt ${usd(s.debt.totalDebtUsd)}, ${s.debt.covenantsInBreach} covenant(s) breaking on the forward model` : 'no debt report';
    $('status').textContent = `Summary: ${y}; ${d}. ${how}.`;
  } catch (e) {
    $('status').textContent = `${err.message}; ${e.message}. ${how}.`;
  }
}

function drawMarginBlocks(perBlock) {
  const days = [...new Set(perBlock.flatMap((b) => b.days.map((d) => d.key)))].sort();
  draw('chart-margin-blocks', {
    ...baseOptions('line', 300),
    series: perBlock.map((b) => {
      const byDay = new Map(b.days.map((d) => [d.key, d.marginUsdPerMwDay]));
      return { name: b.block, data: days.map((d) => ({ x: d, y: byDay.has(d) ? byDay.get(d) : null })) };
    }),
    xaxis: { type: 'category' },
    yaxis: { labels: { formatter: (v) => usdShort(v) }, title: { text: '$ per MW-day' } },
    stroke: { width: 2 },
  });
}

const perMwDay = (g, v) => (g.capacityMw > 0 && g.days > 0 ? v / (g.capacityMw * g.days) : null);

function mixSeries(gs) {
  return [
    { name: 'mining', data: gs.map((g) => perMwDay(g, g.miningRevenueUsd)) },
    { name: 'AI', data: gs.map((g) => perMwDay(g, g.aiRevenueUsd)) },
    { name: 'credits', data: gs.map((g) => perMwDay(g, g.creditsUsd)) },
    { name: 'energy', data: gs.map((g) => perMwDay(g, -g.energyCostUsd)) },
  ];
}

function drawMixDays(byDay) {
  draw('chart-mix-days', {
    ...baseOptions('bar', 300),
    chart: { ...baseOptions('bar', 300).chart, stacked: true },
    series: mixSeries(byDay.groups),
    xaxis: { categories: byDay.groups.map((g) => g.key) },
    yaxis: { labels: { formatter: (v) => usdShort(v) }, title: { text: '$ per MW-day' } },
  });
}

function drawMix(byBlock) {
  const gs = byBlock.groups;
  draw('chart-mix', {
    ...baseOptions('bar', 300),
    chart: { ...baseOptions('bar', 300).chart, stacked: true },
    series: mixSeries(gs),
    xaxis: { categories: gs.map((g) => g.key) },
    yaxis: { labels: { formatter: (v) => usdShort(v) }, title: { text: '$ per MW-day' } },
  });
}

function drawPerMwh(byDay) {
  draw('chart-per-mwh', {
    ...baseOptions('line', 300),
    series: [
      { name: 'revenue per MWh', data: byDay.groups.map((g) => ({ x: g.key, y: g.revenueUsdPerMwh })) },
      { name: 'power price paid', data: byDay.groups.map((g) => ({ x: g.key, y: g.priceUsdPerMwh })) },
    ],
    xaxis: { type: 'category' },
    yaxis: { labels: { formatter: (v) => usdShort(v) }, title: { text: '$/MWh' } },
    stroke: { width: 2 },
  });
}

function fillMargins(byBlock) {
  const rows = [...byBlock.groups, ...(byBlock.total ? [byBlock.total] : [])];
  $('margins').querySelector('tbody').innerHTML = rows
    .map(
      (g) => `<tr data-key="${esc(g.key)}"><td>${esc(g.key)}${g.provisional ? ' *' : ''}</td><td>${num(g.meteredMwh, 3)}</td><td>${usd(g.miningRevenueUsd)}</td><td>${usd(g.aiRevenueUsd)}</td><td>${usd(g.creditsUsd)}</td><td>${usd(g.energyCostUsd)}</td><td data-field="marginUsd">${usd(g.marginUsd)}</td><td data-field="marginUsdPerMwDay">${usd(g.marginUsdPerMwDay)}</td><td data-field="marginUsdPerMwh">${usd(g.marginUsdPerMwh)}</td></tr>`,
    )
    .join('');
}

function drawLadder(debt) {
  const ids = debt.instruments.map((i) => i.id);
  draw('chart-ladder', {
    ...baseOptions('bar', 300),
    chart: { ...baseOptions('bar', 300).chart, stacked: true },
    series: ids.map((id) => ({ name: id, data: debt.ladder.map((q) => q.byInstrument[id] ?? 0) })),
    xaxis: { categories: debt.ladder.map((q) => q.quarter) },
    yaxis: { labels: { formatter: (v) => usdShort(v) }, title: { text: 'principal due' } },
  });
}

function drawDscr(debt) {
  const floors = debt.covenants.filter((c) => c.kind === 'min-dscr');
  draw('chart-dscr', {
    ...baseOptions('line', 300),
    series: [{ name: 'forward DSCR (next 12 months)', data: debt.forward.map((f) => ({ x: f.month, y: f.dscr })) }],
    xaxis: { type: 'category' },
    // The floors always in view, however far below them the forward DSCR runs.
    yaxis: { min: 0, max: Math.ceil(Math.max(...floors.map((c) => c.threshold * 1.2), ...debt.forward.map((f) => f.dscr ?? 0)) * 4) / 4, labels: { formatter: (v) => (v === null ? '' : v.toFixed(2)) } },
    annotations: {
      yaxis: floors.map((c) => ({ y: c.threshold, borderColor: '#d9534f', strokeDashArray: 4, label: { text: `${c.instrumentId} floor ${c.threshold}`, style: { color: '#fff', background: '#d9534f' } } })),
    },
    stroke: { width: 2 },
  });
}

function fillTrailing(debt) {
  const t = debt.trailing;
  $('trailing').textContent = t
    ? `Trailing DSCR ${t.dscr === null ? '—' : num(t.dscr, 2)}: realised EBITDA ${usd(t.ebitdaAnnualisedUsd)} a year over debt service ${usd(t.debtServiceUsd)} (${t.note}).`
    : '';
}

function headroomClass(breach, headroomPct) {
  if (breach || (headroomPct !== null && headroomPct <= 0)) return 'breach';
  if (headroomPct !== null && headroomPct < CLOSE_PCT) return 'close';
  return 'ok';
}

function fillHeadroom(debt) {
  const covenantRows = debt.covenants.map(
    (c) => `<tr class="${headroomClass(c.firstBreach !== null, c.headroomPct)}" data-instrument="${esc(c.instrumentId)}" data-kind="${esc(c.kind)}"><td>${esc(c.instrumentId)}</td><td>${esc(c.kind)}</td><td>${c.threshold}</td><td>${c.worst === null ? '—' : num(c.worst, 4)}</td><td>${c.firstBreach ?? '—'}</td><td data-field="breaksAtBtcUsd">${usd(c.breaksAtBtcUsd)}</td><td data-field="breaksAtHashpriceUsdPerPhDay">${usd(c.breaksAtHashpriceUsdPerPhDay)}</td><td>${c.note ? esc(c.note) : pct(c.headroomPct)}</td></tr>`,
  );
  const loanRows = debt.btcLoans.map((b) => {
    const headroom = ((debt.btcPriceUsd - b.marginCallBtcUsd) / debt.btcPriceUsd) * 100;
    return `<tr class="${headroomClass(false, headroom)}" data-instrument="${esc(b.instrumentId)}" data-kind="margin-call"><td>${esc(b.instrumentId)}</td><td>margin call (LTV ${b.marginCallLtvPct} %, now ${pct(b.ltvPct, 2)})</td><td>${b.marginCallLtvPct}</td><td>${pct(b.ltvPct, 2)}</td><td>—</td><td data-field="marginCallBtcUsd">${usd(b.marginCallBtcUsd)}</td><td>—</td><td>${pct(headroom)} · ${num(b.btcFree, 2)} BTC free</td></tr>`;
  });
  $('headroom').querySelector('tbody').innerHTML = [...covenantRows, ...loanRows].join('');
  $('convertibles').textContent = debt.convertibles
    .map((c) => `${c.instrumentId}: ${usd(c.principalUsd)} converts at ${usd(c.conversionPriceUsd)} a share (now ${usd(c.sharePriceUsd)}): ${c.inTheMoney === null ? 'no share price given' : c.inTheMoney ? 'in the money, converts' : `out of the money, ${usd(c.refinanceNeedUsd)} to refinance at ${c.maturityDate}`}.`)
    .join(' ');
  $('assumptions').textContent = `Assumptions: ${debt.assumptions.join('; ')}.`;
}

initialRange();
// The export needs the token, so it is fetched, not linked.
$('csv').addEventListener('click', (e) => {
  e.preventDefault();
  const from = $('from').value;
  const to = $('to').value;
  downloadCsv(`/api/finance/margins?from=${from}&to=${to}&groupBy=block&format=csv`, `margins-${from}-${to}.csv`).catch((err) => {
    $('status').className = 'error';
    $('status').textContent = err.message;
  });
});
$('range').addEventListener('submit', (e) => {
  e.preventDefault();
  refresh();
});
refresh();
