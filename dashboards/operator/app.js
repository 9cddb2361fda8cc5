// Operator page: live site load by block state, headline numbers, block table, the dispatch
// plan and curtailment events. Plain ES module, no build step. Reads only the API: /api/site,
// /api/telemetry, /api/live, /api/plan, /api/curtailment/events.

const WINDOW_MS = 60 * 60 * 1000;
const STEP_MS = 10_000;
const STATES = ['mining', 'ai', 'curtailed', 'converting'];
const STATE_LABEL = { mining: 'Mining', ai: 'AI', curtailed: 'Curtailed', converting: 'Converting' };
const STATE_COLOR = { mining: '#f59e0b', ai: '#8b5cf6', curtailed: '#64748b', converting: '#38bdf8' };

// A token is needed only when the server sets SWITCHYARD_READ_REQUIRES_TOKEN=1: open the page
// as /#token=<secret> once; it is kept for this tab only.
const token = (() => {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('switchyard.token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem('switchyard.token');
})();

const $ = (id) => document.getElementById(id);

// ---- formatting (values are W and H/s; display units only here) ----

function fmtPower(w) {
  if (w === null || w === undefined) return null;
  const a = Math.abs(w);
  if (a >= 1e6) return `${(w / 1e6).toFixed(a >= 1e8 ? 1 : 2)} MW`;
  if (a >= 1e3) return `${(w / 1e3).toFixed(1)} kW`;
  return `${w.toFixed(0)} W`;
}

// One precision for every MW figure on the page, from the site's scale, so columns line up.
let mwDigits = 2;

function setScale(importLimitMw) {
  mwDigits = importLimitMw >= 100 ? 1 : importLimitMw >= 10 ? 2 : 3;
}

function fmtMw(mw) {
  if (mw === null || mw === undefined) return null;
  return mw.toLocaleString('en-US', { minimumFractionDigits: mwDigits, maximumFractionDigits: mwDigits });
}

function fmtCount(n) {
  return n.toLocaleString('en-US');
}

function fmtPhs(hs) {
  const phs = hs / 1e15;
  const digits = phs >= 100 ? 1 : 2;
  return phs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtHashrate(hs) {
  if (hs === null || hs === undefined) return null;
  if (hs >= 1e18) return `${(hs / 1e18).toFixed(2)} EH/s`;
  if (hs >= 1e15) return `${(hs / 1e15).toFixed(1)} PH/s`;
  return `${(hs / 1e12).toFixed(0)} TH/s`;
}

function fmtAge(ms) {
  if (ms < 2000) return 'just now';
  if (ms < 120_000) return `${Math.round(ms / 1000)} s ago`;
  return `${Math.round(ms / 60_000)} min ago`;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const noData = (text = 'no data') => el('span', { class: 'nodata' }, text);

// ---- API ----

async function api(path) {
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    let detail = '';
    try {
      detail = (await res.json()).error?.message ?? '';
    } catch (err) {
      detail = String(err);
    }
    throw new Error(`GET ${path}: ${res.status} ${detail}`);
  }
  return res.json();
}

// ---- chart: one series per block state, points aligned on STEP_MS buckets ----

/** state → Map(bucketMs → MW) */
const history = new Map(STATES.map((s) => [s, new Map()]));
let chart = null;

function bucket(t) {
  return Math.floor(t / STEP_MS) * STEP_MS;
}

function addPoint(state, t, mw) {
  history.get(state)?.set(bucket(t), mw);
}

function prune(now) {
  const cutoff = now - WINDOW_MS;
  for (const m of history.values()) for (const t of m.keys()) if (t < cutoff) m.delete(t);
}

function chartSeries() {
  const times = new Set();
  for (const m of history.values()) for (const t of m.keys()) times.add(t);
  const xs = [...times].sort((a, b) => a - b);
  const series = [];
  for (const s of STATES) {
    const m = history.get(s);
    if (m.size === 0) continue;
    // A bucket without data stays a gap (null), never a zero.
    series.push({ name: STATE_LABEL[s], color: STATE_COLOR[s], data: xs.map((t) => [t, m.has(t) ? m.get(t) : null]) });
  }
  return { series, points: xs.length, firstMs: xs.length > 0 ? xs[0] : null };
}

const SHORT_WINDOW_MS = 10 * 60 * 1000;

function renderChart(now = Date.now()) {
  const { series, points, firstMs } = chartSeries();
  $('chart').dataset.points = String(points);
  $('chart').dataset.series = series.map((x) => x.name).join(',');
  if (!chart) return;
  // The last hour; until there are 10 minutes of history, the last 10 minutes, so a fresh
  // start is not a sliver at the right edge.
  const span = firstMs !== null && now - firstMs > SHORT_WINDOW_MS ? WINDOW_MS : SHORT_WINDOW_MS;
  $('chart-window').textContent = span === WINDOW_MS ? 'last hour' : 'last 10 minutes';
  chart.updateOptions({ series, xaxis: { min: now - span, max: now } }, false, false);
}

function createChart() {
  chart = new window.ApexCharts($('chart'), {
    chart: {
      type: 'area',
      height: 300,
      stacked: true,
      animations: { enabled: false },
      toolbar: { show: false },
      zoom: { enabled: false },
      foreColor: '#94a3b8',
      fontFamily: 'inherit',
      background: 'transparent',
    },
    theme: { mode: 'dark' },
    series: [],
    dataLabels: { enabled: false },
    stroke: { curve: 'straight', width: 1.5 },
    fill: { type: 'solid', opacity: 0.55 },
    xaxis: { type: 'datetime', labels: { datetimeUTC: false }, axisBorder: { color: '#334155' }, axisTicks: { color: '#334155' } },
    yaxis: {
      min: 0,
      forceNiceScale: true,
      labels: {
        formatter: (v) => {
          if (v === null || v === undefined) return '';
          const d = Math.max(0, mwDigits - 1);
          return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
        },
      },
      title: { text: 'MW' },
    },
    grid: { borderColor: '#1e293b', strokeDashArray: 3 },
    legend: { position: 'top', horizontalAlign: 'left' },
    tooltip: { theme: 'dark', x: { format: 'HH:mm:ss' }, y: { formatter: (v) => (v === null ? 'no data' : `${fmtMw(v)} MW`) } },
    noData: { text: 'Waiting for telemetry…', style: { color: '#94a3b8' } },
  });
  return chart.render();
}

async function loadHistory() {
  const q = new URLSearchParams({
    measurement: 'site_state',
    field: 'power_w',
    groupBy: 'state',
    from: '-1h',
    step: `${STEP_MS}ms`,
    aggregate: 'mean',
  });
  const body = await api(`/api/telemetry?${q}`);
  for (const s of body.series) {
    const state = s.tags.state;
    if (!history.has(state)) continue;
    for (const [t, w] of s.points) addPoint(state, t, w / 1e6);
  }
}

// ---- headline and table ----

// Chart annotations: the import limit (a line) and curtailment events (bands over the time
// they held devices off). Redrawn only when one of them changes.
let limitMw = null;
let bands = [];
let annotationsKey = '';

function drawAnnotations() {
  const key = JSON.stringify([limitMw, bands]);
  if (!chart || key === annotationsKey) return;
  annotationsKey = key;
  chart.clearAnnotations();
  if (limitMw !== null) {
    chart.addYaxisAnnotation({
      y: limitMw,
      borderColor: '#ef4444',
      strokeDashArray: 4,
      label: { text: `import limit ${fmtMw(limitMw)} MW`, position: 'left', textAnchor: 'start', offsetX: 8, borderWidth: 0, style: { background: 'transparent', color: '#f87171', fontSize: '11px' } },
    });
  }
  for (const b of bands) {
    chart.addXaxisAnnotation({
      x: b.fromMs,
      x2: b.toMs,
      fillColor: STATE_COLOR.curtailed,
      opacity: 0.18,
      borderColor: STATE_COLOR.curtailed,
      label: { text: `curtailed · ${b.id}`, orientation: 'horizontal', borderWidth: 0, style: { background: 'transparent', color: '#cbd5e1', fontSize: '11px' } },
    });
  }
}

function drawImportLimit(mw) {
  limitMw = mw;
  drawAnnotations();
}

function renderHeadline(view) {
  const t = view.totals;
  const limitMw = view.site.importLimitMw;
  $('site-name').textContent = view.site.name;
  setScale(limitMw);
  drawImportLimit(limitMw);
  const power = fmtPower(t.powerW);
  $('site-power').replaceChildren(power ?? noData());
  const pct = t.powerMw === null ? 0 : Math.min(100, (100 * t.powerMw) / limitMw);
  $('site-power-bar').style.width = `${pct}%`;
  $('site-power-bar').classList.toggle('bar-hot', pct >= 95);
  $('site-power-note').textContent =
    t.powerMw === null ? 'no fresh meter or device data' : `${pct.toFixed(0)}% of import limit · source: ${t.powerSource === 'meter' ? 'revenue meter' : 'sum of blocks'}`;

  $('site-hashrate').replaceChildren(fmtHashrate(t.hashrateHs) ?? noData());
  $('site-hashrate-note').textContent = `nominal ${fmtHashrate(t.nominal.hashrateHs) ?? '—'}`;

  $('import-limit').textContent = `${fmtMw(limitMw)} MW`;
  $('headroom').textContent = t.powerMw === null ? 'headroom unknown' : `headroom ${fmtMw(limitMw - t.powerMw)} MW`;

  const m = t.miners;
  const total = m.online + m.sleeping + m.offline + m.stale + m.unseen;
  $('miners-online').textContent = fmtCount(m.online);
  $('miners-total').textContent = ` / ${fmtCount(total)}`;
  const parts = [];
  if (m.sleeping || view.curtailment.inForce) parts.push(`${fmtCount(m.sleeping)} sleeping`);
  parts.push(`${m.offline} offline`);
  if (m.stale) parts.push(`${m.stale} stale`);
  if (m.unseen) parts.push(`${m.unseen} not reporting`);
  $('miners-note').textContent = parts.join(' · ');
  $('miners-note').classList.toggle('warn', m.offline + m.stale > 0);
}

function renderStateSummary(view) {
  // Power is by what blocks do now (a curtailed block's draw is under Curtailed); capacity by
  // the site file. A state with capacity and no power now because it is curtailed says so.
  const t = view.totals;
  const parts = STATES.filter((s) => t.capacityByStateMw[s] > 0 || t.powerByStateMw[s] !== null).map((s) => {
    const mw = t.powerByStateMw[s];
    const cap = t.capacityByStateMw[s] > 0 ? ` of ${fmtMw(t.capacityByStateMw[s])}` : '';
    const curtailedNow = mw === null && view.blocks.some((b) => b.state === s && b.stateNow !== s);
    return `${STATE_LABEL[s]} ${mw === null ? (curtailedNow ? 'curtailed' : 'no data') : `${fmtMw(mw)} MW`}${cap}`;
  });
  $('chart-legend-note').textContent = parts.join(' · ');
}

// What the block does now: a block whose miners an event holds off reads Curtailed (and by
// which event), not its site-file state.
function stateCell(b) {
  const label = el('span', { class: `state state-${b.stateNow}` }, STATE_LABEL[b.stateNow] ?? b.stateNow);
  if (b.stateNow === b.state) return label;
  return el('span', {}, label, el('div', { class: 'bname' }, `by ${b.curtailment.map((c) => c.eventId).join(', ')}`));
}

function blockRow(b) {
  const util = b.powerMw === null ? null : Math.min(100, (100 * b.powerMw) / b.capacityMw);
  const powerCell =
    b.powerMw === null
      ? noData(b.devices.stale > 0 ? 'stale' : 'no data')
      : el('span', {}, fmtMw(b.powerMw), el('span', { class: 'src', title: `from ${b.powerSource}` }, b.powerSource === 'meter' ? 'M' : 'Σ'));
  const hashCell =
    b.hashrateHs === null
      ? noData(b.miners.stale > 0 ? 'stale' : 'no data')
      : b.nominal.minerCount === 0 && b.hashrateHs === 0
        ? el('span', { class: 'muted' }, '—')
        : fmtPhs(b.hashrateHs);
  const m = b.miners;
  const notes = [];
  for (const c of b.curtailment) notes.push(el('span', { class: 'tag tag-curtailed', 'data-event': c.eventId }, `${fmtCount(c.devicesHeld)} held off by ${c.eventId}`));
  if (m.sleeping) notes.push(el('span', { class: 'tag tag-sleep' }, `${m.sleeping} sleeping`));
  if (b.devices.stale) notes.push(el('span', { class: 'tag tag-stale' }, `${b.devices.stale} stale`));
  if (m.unseen) notes.push(el('span', { class: 'tag tag-unseen' }, `${m.unseen} not reporting`));
  if (b.contractId) notes.push(el('span', { class: 'tag' }, b.contractId));
  const bar = util === null ? noData('—') : el('div', { class: 'bar small' }, el('div', { class: 'bar-fill', style: `width:${util}%` }));
  return el(
    'tr',
    { 'data-block': b.id, class: b.powerMw === null ? 'row-nodata' : '' },
    el('td', {}, el('div', { class: 'bid' }, b.id), el('div', { class: 'bname' }, b.name)),
    el('td', {}, stateCell(b)),
    el('td', { class: 'num' }, powerCell),
    el('td', { class: 'num' }, fmtMw(b.capacityMw)),
    el('td', { class: 'util' }, bar),
    el('td', { class: 'num' }, hashCell),
    el('td', { class: 'num' }, m.online + m.offline + m.stale + m.unseen + m.sleeping === 0 ? el('span', { class: 'muted' }, '—') : fmtCount(m.online)),
    el('td', { class: `num ${m.offline ? 'bad' : ''}` }, m.online + m.offline + m.stale + m.unseen + m.sleeping === 0 ? el('span', { class: 'muted' }, '—') : fmtCount(m.offline)),
    el('td', {}, el('div', { class: 'notes' }, ...notes)),
  );
}

function renderTable(view) {
  $('blocks').tBodies[0].replaceChildren(...view.blocks.map(blockRow));
}

function renderCurtailment(view) {
  const box = $('curtailment');
  const events = view.curtailment.events;
  box.hidden = events.length === 0;
  if (events.length === 0) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(
    ...events.map((e) => {
      const target = e.targetMw !== null ? `target ${fmtMw(e.targetMw)} MW` : `shed ${fmtMw(e.shedMw)} MW`;
      return el(
        'div',
        { class: 'curtail-event', 'data-event': e.eventId },
        el('strong', {}, 'Curtailment in force '),
        el('span', { class: `chip chip-event-${e.status}` }, e.status),
        ` ${e.eventId} (${e.programName ?? e.program}) · ${target} · ${fmtCount(e.devicesHeld)} devices held off`,
        e.floorMw !== null
          ? el('div', { class: 'curtail-floor' }, `Target below reach: holding at the floor of ${fmtMw(e.floorMw)} MW${e.floorReason ? ` — ${e.floorReason}` : ''}`)
          : null,
        e.note && e.note !== e.floorReason ? el('div', { class: 'curtail-note' }, e.note) : null,
      );
    }),
  );
}

let lastView = null;

function render(view) {
  lastView = view;
  renderCurtailment(view);
  renderHeadline(view);
  renderTable(view);
  renderStateSummary(view);
  for (const s of STATES) {
    const mw = view.totals.powerByStateMw[s];
    if (mw !== null) addPoint(s, view.generatedAtMs, mw);
  }
  prune(view.generatedAtMs);
  renderChart(view.generatedAtMs);
}

setInterval(() => {
  if (!lastView) return;
  const last = lastView.totals.lastReadingAtMs;
  $('updated').textContent = last === null ? 'no readings yet' : `last reading ${fmtAge(Date.now() - last)}`;
}, 1000);

// ---- live socket, reconnecting with backoff ----

function setConn(state, text) {
  const c = $('conn');
  c.dataset.state = state;
  c.textContent = text;
  c.className = `pill ${state === 'live' ? 'pill-ok' : state === 'down' ? 'pill-bad' : 'pill-wait'}`;
}

function connect(attempt = 0) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`;
  const protocols = ['switchyard.v1', ...(token ? [`bearer.${token}`] : [])];
  const ws = new WebSocket(url, protocols);
  let opened = false;
  ws.onopen = () => {
    opened = true;
    setConn('live', 'live');
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === 'snapshot') render(msg.site);
  };
  ws.onclose = () => {
    const next = opened ? 0 : attempt + 1;
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(next, 5));
    setConn('down', `reconnecting in ${Math.round(delay / 1000)} s`);
    setTimeout(() => connect(next), delay);
  };
}

// ---- dispatch plan and curtailment events (polled: they change every few minutes) ----

const DECISION_LABEL = { mine: 'Mine', 'mine-partial': 'Mine (partial)', curtail: 'Curtail', ai: 'AI', 'ai-capped': 'AI (capped)' };
// Plans span a day or two: times carry the date (UTC, as the API gives them).
const fmtTime = (ms) => new Date(ms).toISOString().slice(5, 16).replace('T', ' ') + 'Z';
const fmtUsd = (x) => `$${Math.round(x).toLocaleString('en-US')}`;

function curtailedCell(list) {
  return el('span', { class: 'chip chip-curtailed', 'data-event': list[0].eventId }, `Curtailed by ${list.map((c) => c.eventId).join(', ')}`);
}

function renderPlan(state) {
  const plan = state.plan;
  // Curtailment in force overrides the plan for the blocks it holds off.
  const held = new Map();
  for (const c of state.curtailment ?? []) held.set(c.blockId, [...(held.get(c.blockId) ?? []), c]);
  $('plan-status').textContent = state.computedAtMs === null ? 'not computed yet' : `computed ${fmtAge(Date.now() - state.computedAtMs)}${state.trigger ? ` (${state.trigger})` : ''}`;
  const tbody = document.querySelector('#plan tbody');
  if (!plan) {
    $('plan-horizon').textContent = 'no plan';
    $('plan-summary').replaceChildren(state.error ? `No plan: ${state.error}` : 'No plan yet.');
    tbody.replaceChildren(
      ...[...held].map(([blockId, list]) =>
        el('tr', { 'data-block': blockId }, el('td', {}, blockId), el('td', {}, curtailedCell(list)), el('td', { class: 'num' }, el('span', { class: 'muted' }, '—')), el('td', {}, el('span', { class: 'muted' }, 'when the event ends'))),
      ),
    );
    return;
  }
  const h = plan.horizon;
  $('plan-horizon').textContent = `${fmtTime(h.startMs)} → ${fmtTime(h.endMs)}, ${h.intervals} × ${h.intervalMinutes} min`;
  const gap = plan.baseline ? ` · greedy baseline ${fmtUsd(plan.baseline.marginUsd)}` : '';
  const profile = h.profileIntervals ? ` · ${h.profileIntervals} intervals priced from the hour-of-day profile` : '';
  $('plan-summary').replaceChildren(
    `Margin ${fmtUsd(plan.totals.marginUsd)} (${plan.solver}, ${plan.status}${plan.mipGap !== null ? `, gap ${(plan.mipGap * 100).toFixed(3)}%` : ''})${gap}${profile}${state.error ? ` · last attempt failed: ${state.error}` : ''}`,
  );
  const now = Date.now();
  tbody.replaceChildren(
    ...plan.blocks.map((b) => {
      const i = Math.max(0, b.runs.findIndex((r) => r.toMs > now));
      const cur = b.runs[i];
      const next = b.runs[i + 1];
      const planned = el('span', { class: `chip chip-${cur.decision}` }, DECISION_LABEL[cur.decision] ?? cur.decision);
      const list = held.get(b.id);
      return el(
        'tr',
        { 'data-block': b.id },
        el('td', {}, b.id),
        el('td', {}, list ? el('span', {}, curtailedCell(list), el('span', { class: 'muted small' }, ' plan: '), planned) : planned),
        el('td', { class: 'num' }, fmtMw(cur.meterMw)),
        el('td', {}, next ? `${DECISION_LABEL[next.decision] ?? next.decision} at ${fmtTime(next.fromMs)}` : el('span', { class: 'muted' }, 'none in the horizon')),
      );
    }),
  );
}

function renderEvents(list) {
  const now = Date.now();
  const FINAL = ['done', 'aborted', 'failed'];
  bands = list.events
    .filter((e) => e.status !== 'planned' && (!FINAL.includes(e.status) || e.updatedAtMs > now - WINDOW_MS))
    .map((e) => ({ id: e.id, fromMs: e.createdAtMs, toMs: FINAL.includes(e.status) ? e.updatedAtMs : now }));
  $('chart').dataset.bands = bands.map((b) => b.id).join(',');
  drawAnnotations();
  const tbody = document.querySelector('#events tbody');
  if (list.events.length === 0) {
    tbody.replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'No curtailment events yet.')));
    return;
  }
  tbody.replaceChildren(
    ...list.events.slice(0, 10).map((e) =>
      el(
        'tr',
        {},
        el('td', {}, el('a', { href: `/api/curtailment/events/${encodeURIComponent(e.id)}?format=csv` }, e.id)),
        el('td', {}, el('span', { class: `chip chip-event-${e.status}` }, e.status)),
        el('td', {}, fmtTime(e.createdAtMs)),
        el('td', {}, fmtAge(Date.now() - e.updatedAtMs)),
      ),
    ),
  );
}

// ---- live power price (GET /api/prices/live): last realised price, its age, stale or not ----

function renderPrice(body) {
  const card = $('price-card');
  const feed = body.feed;
  card.hidden = feed === null;
  if (feed === null) return;
  $('price-point').textContent = `· ${feed.settlementPoint}`;
  $('price-last').textContent = feed.last === null ? '—' : feed.last.priceUsdPerMwh.toFixed(2);
  const stale = $('price-stale');
  stale.hidden = !feed.stale;
  card.dataset.stale = String(feed.stale);
  const interval = feed.last === null ? 'no price yet' : `interval from ${fmtTime(feed.last.startMs)} (${feed.last.minutes} min)`;
  const age = feed.receivedAtMs === null ? `waiting ${fmtAge(feed.ageMs)}` : `received ${fmtAge(feed.ageMs)}`;
  const strike = body.priceStrike ? ` · strike ${body.priceStrike.strikeUsdPerMwh} $/MWh${body.priceStrike.curtailed ? ', curtailed' : ''}` : '';
  $('price-note').textContent = `${interval} · ${age}${strike}${feed.stale ? ' · stale: strikes paused' : ''}`;
  $('price-note').title = feed.error ?? feed.source;
}

function poll(path, render, everyMs) {
  const tick = async () => {
    try {
      render(await api(path));
    } catch (err) {
      console.warn(`${path}: ${err.message}`);
    }
  };
  tick();
  setInterval(tick, everyMs);
}

async function main() {
  try {
    await createChart();
  } catch (err) {
    console.error('chart failed to start', err);
  }
  try {
    render(await api('/api/site'));
    await loadHistory();
    renderChart();
  } catch (err) {
    console.error(err);
    setConn('down', 'API unreachable');
  }
  connect();
  poll('/api/plan', renderPlan, 30_000);
  poll('/api/curtailment/events', renderEvents, 5_000);
  poll('/api/prices/live', renderPrice, 5_000);
}

main();
