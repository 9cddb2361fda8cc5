// API docs page: renders the OpenAPI document the control plane generates from its route
// schemas (/api/openapi.json). Plain ES module, no build step; reads only the API.

const $ = (id) => document.getElementById(id);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function who(op) {
  const s = op.security ?? [];
  if (s.length === 0) return 'public';
  if (s.some((r) => Object.keys(r).length === 0)) return 'read (open unless tokens are required)';
  const m = /role: ([^.(]+)/.exec(op.description ?? '');
  return m ? `token: ${m[1].trim()}` : 'token';
}

function schemaBlock(title, schema) {
  if (!schema) return [];
  return [el('p', {}, el('strong', {}, title)), el('pre', {}, JSON.stringify(schema, null, 2))];
}

function operation(path, method, op) {
  const params = (op.parameters ?? []).map((p) => el('tr', {}, el('td', {}, p.name), el('td', {}, p.in), el('td', {}, p.required ? 'required' : 'optional'), el('td', {}, p.schema?.type ?? '')));
  const body = op.requestBody?.content?.['application/json']?.schema;
  const okCode = Object.keys(op.responses ?? {}).find((c) => /^2/.test(c));
  const ok = okCode ? op.responses[okCode].content?.['application/json']?.schema ?? op.responses[okCode].content?.['text/plain']?.schema : undefined;
  const details = el(
    'details',
    { class: 'op', 'data-search': `${method} ${path} ${(op.tags ?? []).join(' ')} ${who(op)}`.toLowerCase() },
    el('summary', {}, el('span', { class: `method m-${method}` }, method.toUpperCase()), el('span', { class: 'path' }, path), el('span', { class: 'access' }, who(op))),
    el(
      'div',
      { class: 'body' },
      el('p', {}, op.description ?? ''),
      ...(params.length ? [el('table', {}, el('tr', {}, el('th', {}, 'parameter'), el('th', {}, 'in'), el('th', {}, ''), el('th', {}, 'type')), ...params)] : []),
      ...schemaBlock('Request body', body),
      ...schemaBlock(`Response ${okCode ?? ''}`, ok),
    ),
  );
  return details;
}

function render(doc) {
  $('version').textContent = `v${doc.info.version} · OpenAPI ${doc.openapi}`;
  $('intro').textContent = doc.info.description ?? '';
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, op));
    }
  }
  const main = $('ops');
  main.replaceChildren();
  for (const [tag, ops] of [...byTag].sort(([a], [b]) => a.localeCompare(b))) {
    main.append(el('section', { 'data-tag': tag }, el('h2', {}, tag), ...ops));
  }
  main.dataset.operations = String(main.querySelectorAll('details.op').length);
}

function filter(text) {
  const q = text.trim().toLowerCase();
  for (const d of document.querySelectorAll('details.op')) d.hidden = q !== '' && !d.dataset.search.includes(q);
  for (const s of document.querySelectorAll('section[data-tag]')) s.hidden = [...s.querySelectorAll('details.op')].every((d) => d.hidden);
}

async function main() {
  try {
    const res = await fetch('/api/openapi.json');
    if (!res.ok) throw new Error(`GET /api/openapi.json answered ${res.status}`);
    render(await res.json());
  } catch (err) {
    $('ops').replaceChildren(el('p', { class: 'error' }, `Could not load the API description: ${err.message}`));
  }
  $('filter').addEventListener('input', (e) => filter(e.target.value));
}

main();
