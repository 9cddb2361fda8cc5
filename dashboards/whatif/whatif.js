// What-if page: a scenario form (defaults from the company), a run on the API's job queue with
// a progress bar, fan charts, NPV histogram, probabilities with their standard errors, saved
// scenarios and a side-by-side compare. Reads only the API (/api/simulations...); the token
// comes with the shared helper (open as /whatif/#token=...).

import { token } from '../shared/api.js';

async function call(method, path, body) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  if (!res.ok) {
    const err = new Error(json?.error?.message ?? `${path}: HTTP ${res.status}`);
    err.issues = json?.error?.issues ?? [];
    throw err;
  }
  return json;
}

const $ = (id) => document.getElementById(id);
const form = $('scenario-form');
const charts = new Map();
let current = null; // id of the run shown
let pollTimer = null;

const usdM = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `$${(v / 1e6).toFixed(1)}M`);
const pct = (p) => `${(p * 100).toFixed(2)} %`;

function num(name) {
  const v = form.elements[name].value;
  return v === '' ? undefined : Number(v);
}

function scenarioFromForm(defaults) {
  const s = {
    name: form.elements.name.value,
    cashFloorUsd: num('cashFloorUsd'),
    discountRatePctPerYear: num('discountRatePctPerYear'),
    btc: { model: 'gbm', volatilityPctPerYear: num('btcVol'), driftPctPerYear: num('btcDrift'), shocks: [] },
    difficulty: { lagDays: num('lagDays'), elasticity: num('elasticity'), extraGrowthPctPerMonth: num('extraGrowth'), extraGrowthFrom: form.elements.extraGrowthFrom.value },
    power: { volatilityPctPerYear: num('powerVol'), reversionPerYear: num('reversion'), shape: form.elements.shape.value },
    tenants: [],
    decisions: [],
  };
  if (num('horizonMonths') !== undefined) s.horizonMonths = num('horizonMonths');
  if (num('startPriceUsd') > 0) s.btc.startPriceUsd = num('startPriceUsd');
  if (num('jumpsPerYear') > 0) s.btc.jumps = { perYear: num('jumpsPerYear'), meanPct: num('jumpMeanPct'), sdPct: 10 };
  if (num('shockMonth') > 0) s.btc.shocks.push({ month: num('shockMonth'), pct: num('shockPct') });
  if (num('stormsPerYear') > 0) s.power.storms = { perYear: num('stormsPerYear'), multiplier: num('stormMultiplier'), days: num('stormDays') };
  for (const c of defaults.contracts) {
    const t = {
      contractId: c.id,
      defaultPctPerYear: num(`default-${c.id}`) ?? 0,
      recoveryPct: num(`recovery-${c.id}`) ?? 0,
      renewalPct: num(`renewal-${c.id}`) ?? 0,
      renewalRatePct: num(`renewalRate-${c.id}`) ?? 100,
    };
    const month = num(`defaultMonth-${c.id}`);
    if (month > 0) t.defaultMonth = month;
    s.tenants.push(t);
  }
  const block = form.elements.decisionBlock.value;
  if (block) s.decisions.push({ blockId: block, rateUsdPerKwMonth: num('rate'), capexUsdPerMwCriticalIt: num('capex'), leadTimeMonths: num('lead'), maxDelayMonths: num('delay'), overrunSdPct: num('overrunSd') });
  return s;
}

function fillDefaults(d) {
  $('company').textContent = d.company.name;
  form.elements.horizonMonths.value = d.outlook.horizonMonths;
  form.elements.startPriceUsd.value = d.outlook.btcPriceUsd;
  form.elements.paths.max = d.maxPaths;
  const tenants = $('tenants');
  for (const c of d.contracts) {
    const wrap = document.createElement('div');
    wrap.className = 'tenant';
    wrap.innerHTML = `<label>${c.id}: default, %/yr <input name="default-${c.id}" type="number" min="0" max="100" step="any" value="2"></label>
      <label>default in month <input name="defaultMonth-${c.id}" type="number" min="0" step="1" value="0"></label>
      <label>guarantor pays, % <input name="recovery-${c.id}" type="number" min="0" max="100" step="any" value="50"></label>
      <label>renews, % <input name="renewal-${c.id}" type="number" min="0" max="100" step="any" value="70"></label>
      <label>renewal rent, % of last <input name="renewalRate-${c.id}" type="number" min="0" step="any" value="100"></label>`;
    tenants.append(wrap);
  }
  const sel = form.elements.decisionBlock;
  for (const b of d.miningBlocks) sel.add(new Option(`${b.id} — ${b.name} (${b.capacityMw} MW)`, b.id));
  if (d.miningBlocks[0]) sel.value = d.miningBlocks[0].id;
}

function setStatus(state, text) {
  const s = $('status');
  s.dataset.state = state;
  s.textContent = text ?? state;
}

async function submit(defaults) {
  $('form-error').textContent = '';
  const body = { scenario: scenarioFromForm(defaults), paths: num('paths'), seed: num('seed'), name: form.elements.name.value };
  try {
    const { id } = await call('POST', '/api/simulations', body);
    current = id;
    $('cancel').disabled = false;
    setStatus('running', 'queued');
    poll();
  } catch (err) {
    $('form-error').textContent = [err.message, ...err.issues.map((i) => `${i.path}: ${i.message}`)].join('\n');
  }
}

async function poll() {
  clearTimeout(pollTimer);
  if (!current) return;
  const run = await call('GET', `/api/simulations/${current}`);
  $('progress-bar').style.width = `${(run.progress * 100).toFixed(1)}%`;
  $('progress-text').textContent = `${run.name}: ${run.status}, ${run.donePaths.toLocaleString()} of ${run.paths.toLocaleString()} paths`;
  setStatus(run.status === 'queued' ? 'running' : run.status, run.status);
  if (run.status === 'queued' || run.status === 'running') {
    pollTimer = setTimeout(poll, 300);
    return;
  }
  $('cancel').disabled = true;
  if (run.status === 'done') show(run);
  else if (run.status === 'failed') $('form-error').textContent = run.error ?? 'the run failed';
  await refreshSaved();
}

function chart(id, options) {
  charts.get(id)?.destroy();
  const c = new window.ApexCharts($(id), { chart: { height: 260, animations: { enabled: false }, background: 'transparent', toolbar: { show: false } }, theme: { mode: 'dark' }, ...options });
  charts.set(id, c);
  c.render();
}

function fan(id, months, key, format) {
  const series = ['p5', 'p25', 'p50', 'p75', 'p95'].map((q) => ({ name: q, data: months.map((m) => (Number.isFinite(m[key][q]) ? m[key][q] : null)) }));
  chart(id, {
    chart: { type: 'line', height: 260, animations: { enabled: false }, background: 'transparent', toolbar: { show: false } },
    series,
    stroke: { width: [1, 1, 3, 1, 1], dashArray: [4, 0, 0, 0, 4] },
    colors: ['#5b6b7a', '#4fb3ff', '#ffffff', '#4fb3ff', '#5b6b7a'],
    xaxis: { categories: months.map((m) => m.month), tickAmount: 12 },
    yaxis: { labels: { formatter: format } },
    legend: { show: true },
  });
}

function show(run) {
  const r = run.result;
  $('result-title').textContent = `${run.name} · ${r.paths.toLocaleString()} paths · seed ${r.seed}`;
  $('dispatch-note').textContent = `Dispatch: ${r.dispatch}`;
  fan('fan-margin', r.months, 'marginUsd', usdM);
  fan('fan-cash', r.months, 'cashUsd', usdM);
  fan('fan-dscr', r.months, 'dscr', (v) => (v === null ? '—' : v.toFixed(2)));
  const d = r.decisions[0];
  if (d) {
    const centres = d.histogram.edgesUsd.slice(0, -1).map((e, k) => (e + d.histogram.edgesUsd[k + 1]) / 2);
    chart('npv-hist', {
      chart: { type: 'bar', height: 260, animations: { enabled: false }, background: 'transparent', toolbar: { show: false } },
      series: [{ name: `keep ${d.blockId} mining`, data: d.histogram.keep }, { name: `convert ${d.blockId}`, data: d.histogram.convert }],
      xaxis: { categories: centres.map((c) => usdM(c)), tickAmount: 8 },
      plotOptions: { bar: { columnWidth: '95%' } },
      dataLabels: { enabled: false },
    });
  } else {
    charts.get('npv-hist')?.destroy();
    $('npv-hist').textContent = 'no decision in this scenario';
  }
  const rows = [];
  for (const c of r.covenants) {
    rows.push([`${c.instrumentId} ${c.kind} ${c.threshold} breached`, 'any quarter', c.anyBreachProbability, c.anyBreachProbabilitySe]);
    for (const q of c.breachProbabilityByQuarter) rows.push([`${c.instrumentId} ${c.kind}`, q.quarter, q.probability, q.se]);
  }
  for (const l of r.btcLoans) {
    rows.push([`${l.instrumentId} margin call at $${Math.round(l.marginCallBtcUsd).toLocaleString()}`, 'horizon', l.marginCallProbability, l.marginCallProbabilitySe]);
    rows.push([`${l.instrumentId} call cured in cash (mean ${usdM(l.cureCashUsd.mean)}, p95 ${usdM(l.cureCashUsd.p95)})`, 'horizon', l.cashCureProbability, l.cashCureProbabilitySe]);
  }
  rows.push([`cash below ${usdM(r.cashFloorUsd)}`, 'any month', r.cashBelowFloorAnyMonthProbability, r.cashBelowFloorAnyMonthProbabilitySe]);
  for (const dd of r.decisions) rows.push([`converting ${dd.blockId} beats mining`, 'NPV', dd.convertBetterProbability, dd.convertBetterProbabilitySe]);
  const tbody = $('probabilities').tBodies[0];
  tbody.replaceChildren(
    ...rows.map(([what, when, p, se]) => {
      const tr = document.createElement('tr');
      tr.className = p >= 0.2 ? 'high' : '';
      tr.innerHTML = `<td></td><td></td><td class="num">${pct(p)}</td><td class="num">± ${pct(se)}</td>`;
      tr.cells[0].textContent = what;
      tr.cells[1].textContent = when;
      return tr;
    }),
  );
  $('var').textContent = `Cash at ${r.cash12.month}: mean ${usdM(r.cash12.mean)}, 5th percentile ${usdM(r.cash12.quantile)}, VaR95 ${usdM(r.cash12.var)}, CVaR95 ${usdM(r.cash12.cvar)}`;
  $('export-csv').disabled = false;
  $('export-json').disabled = false;
}

async function download(format) {
  const res = await fetch(`/api/simulations/${current}?format=${format}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `simulation-${current}.${format}`;
  a.click();
  URL.revokeObjectURL(a.href);
}

async function refreshSaved() {
  const { simulations } = await call('GET', '/api/simulations');
  const tbody = $('saved').tBodies[0];
  tbody.replaceChildren(
    ...simulations.map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.id = s.id;
      tr.innerHTML = `<td><input type="checkbox" ${s.status === 'done' ? '' : 'disabled'}></td><td></td><td></td><td class="num">${s.paths.toLocaleString()}</td><td class="num">${s.seed}</td><td>${new Date(s.createdAtMs).toISOString().slice(0, 16).replace('T', ' ')}</td><td><button type="button" class="open">Open</button></td>`;
      tr.cells[1].textContent = s.name;
      tr.cells[2].textContent = s.status;
      tr.querySelector('.open').addEventListener('click', () => {
        current = s.id;
        poll();
      });
      tr.querySelector('input').addEventListener('change', updateCompareButton);
      return tr;
    }),
  );
  updateCompareButton();
}

function ticked() {
  return [...$('saved').querySelectorAll('tbody input:checked')].map((i) => i.closest('tr').dataset.id);
}

function updateCompareButton() {
  $('compare').disabled = ticked().length !== 2;
}

async function compare() {
  const [a, b] = await Promise.all(ticked().map((id) => call('GET', `/api/simulations/${id}`)));
  $('compare-view').hidden = false;
  $('cmp-a').textContent = a.name;
  $('cmp-b').textContent = b.name;
  const last = (r) => r.result.months[r.result.months.length - 1];
  const measures = [
    ['paths', (r) => r.result.paths.toLocaleString()],
    ['cash at the end, p50', (r) => usdM(last(r).cashUsd.p50)],
    ['cash at the end, p5', (r) => usdM(last(r).cashUsd.p5)],
    ['VaR95 of month-12 cash', (r) => usdM(r.result.cash12.var)],
    ['P(cash below floor, any month)', (r) => `${pct(r.result.cashBelowFloorAnyMonthProbability)} ± ${pct(r.result.cashBelowFloorAnyMonthProbabilitySe)}`],
    ...a.result.covenants.map((c, k) => [`P(${c.instrumentId} ${c.kind} breached)`, (r) => (r.result.covenants[k] ? `${pct(r.result.covenants[k].anyBreachProbability)} ± ${pct(r.result.covenants[k].anyBreachProbabilitySe)}` : '—')]),
    ...a.result.btcLoans.map((l, k) => [`P(${l.instrumentId} margin call)`, (r) => (r.result.btcLoans[k] ? `${pct(r.result.btcLoans[k].marginCallProbability)} ± ${pct(r.result.btcLoans[k].marginCallProbabilitySe)}` : '—')]),
  ];
  $('compare-table').tBodies[0].replaceChildren(
    ...measures.map(([name, f]) => {
      const tr = document.createElement('tr');
      tr.innerHTML = '<td></td><td class="num"></td><td class="num"></td>';
      tr.cells[0].textContent = name;
      tr.cells[1].textContent = f(a);
      tr.cells[2].textContent = f(b);
      return tr;
    }),
  );
  const months = a.result.months.length >= b.result.months.length ? a.result.months : b.result.months;
  chart('compare-chart', {
    chart: { type: 'line', height: 260, animations: { enabled: false }, background: 'transparent', toolbar: { show: false } },
    series: [
      { name: `${a.name} p50 cash`, data: months.map((_, m) => a.result.months[m]?.cashUsd.p50 ?? null) },
      { name: `${b.name} p50 cash`, data: months.map((_, m) => b.result.months[m]?.cashUsd.p50 ?? null) },
    ],
    xaxis: { categories: months.map((m) => m.month), tickAmount: 12 },
    yaxis: { labels: { formatter: usdM } },
  });
}

async function main() {
  const defaults = await call('GET', '/api/simulations/defaults');
  fillDefaults(defaults);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit(defaults);
  });
  $('cancel').addEventListener('click', async () => {
    if (current) await call('DELETE', `/api/simulations/${current}`).catch((err) => ($('form-error').textContent = err.message));
  });
  $('export-csv').addEventListener('click', () => void download('csv'));
  $('export-json').addEventListener('click', () => void download('json'));
  $('compare').addEventListener('click', () => void compare());
  await refreshSaved();
  document.body.dataset.ready = '1';
}

main().catch((err) => {
  $('form-error').textContent = err.message;
  document.body.dataset.ready = 'error';
});
