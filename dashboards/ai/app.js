// AI hall page: GPU power and utilisation by host as heatmaps, per-tenant availability
// against commitment, credits at risk, alerts and the hosts now. Plain ES module, no build
// step. Reads only the API: /api/site, /api/telemetry, /api/gpus, /api/tenants, /api/alerts,
// /api/ai/economics.

const REFRESH_MS = 5_000;
const WINDOW = '-30m';
const STEP = '60s';

const token = sessionStorage.getItem('switchyard.token');
const $ = (id) => document.getElementById(id);

async function api(path) {
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

const usd = (n) => (n === null || n === undefined ? '—' : `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
const pct = (n, d = 3) => (n === null || n === undefined ? '—' : `${n.toFixed(d)} %`);
const kw = (w) => (w === null || w === undefined ? '—' : `${(w / 1000).toFixed(1)} kW`);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const charts = {};

function heatmapSeries(series, scale) {
  // One row per host; x is the bucket time; a bucket with no reading stays empty (null), never 0.
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  return series
    .map((s) => {
      const byT = new Map(s.points);
      return { name: s.tags.host ?? '?', data: times.map((t) => ({ x: new Date(t).toISOString().slice(11, 16), y: byT.has(t) ? Math.round(byT.get(t) * scale * 10) / 10 : null })) };
    })
    .sort((a, b) => b.name.localeCompare(a.name));
}

function drawHeatmap(id, series, color, max) {
  const el = $(id);
  el.dataset.rows = String(series.length);
  const options = {
    chart: { type: 'heatmap', height: 60 + 28 * Math.max(series.length, 3), background: 'transparent', toolbar: { show: false }, animations: { enabled: false } },
    theme: { mode: 'dark' },
    dataLabels: { enabled: false },
    series,
    colors: [color],
    plotOptions: { heatmap: { enableShades: true, shadeIntensity: 0.8, colorScale: { min: 0, max } } },
    xaxis: { labels: { rotate: 0, hideOverlappingLabels: true } },
    noData: { text: 'No GPU readings yet' },
  };
  if (charts[id]) charts[id].updateOptions(options, true, false);
  else {
    charts[id] = new window.ApexCharts(el, options);
    charts[id].render();
  }
}

function drawAvailability(rows) {
  const el = $('availability-chart');
  el.dataset.bars = String(rows.length);
  const options = {
    chart: { type: 'bar', height: 60 + 50 * Math.max(rows.length, 2), background: 'transparent', toolbar: { show: false }, animations: { enabled: false } },
    theme: { mode: 'dark' },
    plotOptions: { bar: { horizontal: true } },
    series: [
      { name: 'Availability', data: rows.map((r) => ({ x: r.label, y: r.availabilityPct ?? 0, goals: [{ name: 'Commitment', value: r.commitmentPct, strokeWidth: 4, strokeColor: '#f59e0b' }] })) },
    ],
    colors: ['#8b5cf6'],
    dataLabels: { enabled: true, formatter: (v) => `${Number(v).toFixed(2)} %` },
    xaxis: { min: Math.min(90, ...rows.map((r) => Math.floor(r.availabilityPct ?? 90))), max: 100 },
    legend: { show: true, showForSingleSeries: true, customLegendItems: ['Availability', 'Commitment'], markers: { fillColors: ['#8b5cf6', '#f59e0b'] } },
  };
  if (charts.availability) charts.availability.updateOptions(options, true, false);
  else {
    charts.availability = new window.ApexCharts(el, options);
    charts.availability.render();
  }
}

function renderTenants(body) {
  const rows = [];
  for (const t of body.tenants) for (const c of t.contracts) rows.push({ tenant: t.name, label: `${t.name} · ${c.id}`, ...c });
  $('tenants').querySelector('tbody').innerHTML = rows
    .map((r) => `<tr data-contract="${esc(r.id)}"><td>${esc(r.tenant)}</td><td>${esc(r.id)} <span class="muted">${esc(r.kind)}</span></td>`
      + `<td class="num ${r.availabilityPct !== null && r.availabilityPct < r.commitmentPct ? 'below' : ''}">${r.inTerm ? pct(r.availabilityPct, 4) : 'not in term'}</td>`
      + `<td class="num">${pct(r.commitmentPct, 2)}</td><td class="num credit">${r.inTerm ? usd(r.creditAtRiskUsd) : '—'}</td></tr>`)
    .join('');
  drawAvailability(rows.filter((r) => r.inTerm));
}

function renderAlerts(body) {
  const el = $('alerts');
  el.dataset.active = String(body.active.length);
  const item = (a, cleared) => `<li class="${esc(a.severity)}${cleared ? ' cleared' : ''}" data-kind="${esc(a.kind)}">${cleared ? 'cleared · ' : ''}${esc(a.message)} <span class="muted">since ${new Date(a.raisedAtMs).toISOString().slice(11, 19)}Z</span></li>`;
  const html = [...body.active.map((a) => item(a, false)), ...body.cleared.slice(0, 5).map((a) => item(a, true))].join('');
  el.innerHTML = html || '<li class="muted">No alerts</li>';
}

function renderHosts(body) {
  $('hosts').querySelector('tbody').innerHTML = body.hosts
    .map((h) => {
      const power = h.gpus.reduce((s, g) => (g.powerW === null ? s : s + g.powerW), 0);
      const hottest = h.gpus.reduce((m, g) => (g.tempC === null ? m : Math.max(m, g.tempC)), -Infinity);
      return `<tr data-host="${esc(h.host)}"><td>${esc(h.host)}</td><td>${esc(h.block)}</td><td class="status-${esc(h.status)}">${esc(h.status)}</td>`
        + `<td class="num">${h.gpus.length}</td><td class="num">${h.status === 'offline' ? '—' : kw(power)}</td><td class="num">${Number.isFinite(hottest) ? `${hottest} °C` : '—'}</td></tr>`;
    })
    .join('');
}

const econ = (n, d = 4) => (n === null || n === undefined ? '—' : `$${n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })}`);

async function renderEconomics(blockIds) {
  const el = $('economics');
  const parts = await Promise.all(blockIds.map((b) => api(`/api/ai/economics?block=${encodeURIComponent(b)}`).catch((err) => ({ blockId: b, error: String(err.message ?? err) }))));
  el.dataset.blocks = String(parts.filter((p) => !p.error).length);
  el.innerHTML = parts
    .map((e) => {
      if (e.error) return `<p class="muted">Block ${esc(e.blockId)}: ${esc(e.error)}</p>`;
      const rows = e.tokens
        .map((t) => `<tr><td>${esc(t.accelerator)}</td><td class="num">${t.systems}</td><td class="num">${Math.round(t.tokensPerSecond / e.itMw).toLocaleString('en-US')}</td>`
          + `<td class="num token-cost">${t.costUsdPerMillionTokens === null ? 'does not fit' : econ(t.costUsdPerMillionTokens)}</td><td class="muted">${esc(t.model)}${t.throughputKind === 'estimate' ? ' (estimate)' : ''}</td></tr>`)
        .join('');
      return `<h3>${esc(e.blockId)} · ${esc(e.blockName)} <span class="muted">${e.itMw.toFixed(1)} MW IT at $${e.powerPriceUsdPerMwh.toFixed(2)}/MWh (${esc(e.powerPriceFrom)})</span></h3>`
        + `<p>Mining margin <b>${econ(e.miningMarginUsdPerMwMonth, 0)}</b> per MW-month · lease rent <b>${econ(e.leaseRentUsdPerMwMonth, 0)}</b> per MW-month</p>`
        + `<table class="table"><thead><tr><th>Accelerator</th><th>Systems</th><th>Tokens/s per MW</th><th>$ per M tokens</th><th>Benchmark</th></tr></thead><tbody>${rows}</tbody></table>`;
    })
    .join('');
}

let economicsShown = false;

async function refresh() {
  const q = (field, agg) => `/api/telemetry?measurement=gpu_host&field=${field}&groupBy=host&from=${WINDOW}&step=${STEP}&aggregate=${agg}`;
  const [power, util, gpus, tenants, alerts] = await Promise.all([
    api(q('power_w', 'mean')),
    api(q('utilization_pct', 'mean')),
    api('/api/gpus'),
    api('/api/tenants').catch((err) => ({ error: String(err), tenants: [] })),
    api('/api/alerts').catch(() => ({ active: [], cleared: [] })),
  ]);
  drawHeatmap('power-heatmap', heatmapSeries(power.series, 1 / 1000), '#8b5cf6', 8);
  drawHeatmap('util-heatmap', heatmapSeries(util.series, 1), '#22c55e', 100);
  renderTenants(tenants);
  renderAlerts(alerts);
  renderHosts(gpus);
  if (!economicsShown) {
    economicsShown = true;
    await renderEconomics([...new Set(gpus.hosts.map((h) => h.block))].sort());
  }
  $('updated').textContent = `updated ${new Date().toISOString().slice(11, 19)}Z`;
}

async function main() {
  const site = await api('/api/site');
  $('site-name').textContent = site.name ?? site.site?.name ?? site.id ?? 'site';
  for (;;) {
    try {
      await refresh();
      $('conn').dataset.state = 'live';
      $('conn').textContent = 'live';
    } catch (err) {
      $('conn').dataset.state = 'error';
      $('conn').textContent = 'error';
      console.warn(err);
    }
    await new Promise((r) => setTimeout(r, REFRESH_MS));
  }
}

window.addEventListener('load', () => {
  main().catch((err) => {
    $('conn').dataset.state = 'error';
    $('conn').textContent = String(err.message ?? err);
  });
});
