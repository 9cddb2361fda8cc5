import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { harness } from '../support/api-harness.ts';
import { hostile, valid } from '../support/schema-arbitrary.ts';
import { CHANNEL_PROTOCOL, FromAgent } from '../../services/agent-contract/protocol.ts';
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../services/api/webhook-signature.ts';
import type { CatalogRoute } from '../../services/api/route-catalog.ts';
import { FinanceService } from '../../services/finance/finance-service.ts';
import type { LedgerJob } from '../../services/finance/ledger-service.ts';
import { loadCompanyFile } from '../../services/finance/load-company.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { createQueue } from '../../services/queue/index.ts';
import { logger } from '../../services/lib/log.ts';
import { SimulationService, type SimulationJob } from '../../simulations/finance/service.ts';
import { startAiHallServices, type AiHallServices } from '../../services/alerts/ai-hall.ts';

/**
 * Issue 10 acceptance: 10,000 generated requests over every registered route and websocket,
 * never a 5xx, and the event loop never blocked over FUZZ_LOOP_BOUND_MS (default 200 ms; the
 * knob is for loaded dev machines, CI never sets it). Requests are built by fast-check from
 * each route's own schemas (test/support/schema-arbitrary.ts) and the route list comes from
 * the app (services/api/route-catalog.ts), so a new route is fuzzed without being listed
 * here; a websocket route needs a message generator below or the test fails. Cases are
 * generated first, then run 4 at a time (FUZZ_CONCURRENCY) while the loop delay is measured. FUZZ_SEED (a
 * number, or `random`) and FUZZ_CASES reproduce, vary or shorten a run; FUZZ_ONLY (a regular expression on route paths)
 * narrows it; FUZZ_DEBUG=1 prints the cases in flight at each loop gap over 100 ms, with the CPU
 * the process used in the gap (far less than the gap: the loop waited for a CPU, not for itself).
 */

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const LOOP_BOUND_MS = Number(process.env.FUZZ_LOOP_BOUND_MS ?? 200);
// A fixed default seed, so CI replays the same 10,000 cases on every run; FUZZ_SEED=random
// (or any number) explores others. The default found plan previews blocking the loop 198–267 ms
// while their model was built on the main thread; previews now run whole on their own worker
// (services/scheduler/preview/), and this seed keeps them checked.
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 1165168552);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 4);
const SECRET = 'fuzz-webhook-secret-of-at-least-32-chars';
const DEMO = 'infra/sites/demo.yaml';

/** Messages a client may send on each websocket route; a new socket route must be added here. */
const WS_MESSAGES: Record<string, fc.Arbitrary<string | Buffer>> = {
  '/api/live': fc.oneof(fc.string(), fc.uint8Array({ maxLength: 20_000 }).map((a) => Buffer.from(a))),
  '/api/agent/channel': fc.oneof({ arbitrary: hostile(FromAgent).map((m) => JSON.stringify(m)), weight: 4 }, { arbitrary: fc.string(), weight: 1 }, { arbitrary: fc.uint8Array({ maxLength: 70_000 }).map((a) => Buffer.from(a)), weight: 1 }),
};

type Role = 'viewer' | 'operator' | 'finance' | 'admin' | 'agent';
interface HttpCase {
  kind: 'http';
  method: string;
  url: string;
  role: Role | 'none' | 'bogus';
  body: { text: string; type: string } | null;
  signed: boolean;
  origin: string | null;
}
interface WsCase {
  kind: 'ws';
  url: string;
  protocols: string[];
  role: Role | 'none' | 'bogus';
  origin: string | null;
  messages: Array<string | Buffer>;
}
type Case = HttpCase | WsCase;

const roleArb = fc.constantFrom<HttpCase['role']>('none', 'bogus', 'viewer', 'operator', 'finance', 'admin', 'agent', 'operator', 'admin', 'agent');
const originArb = fc.constantFrom<string | null>(null, null, 'http://localhost:80', 'https://evil.example', 'null', 'not a url');

function queryArb(schema: unknown): fc.Arbitrary<string> {
  const given = schema === undefined ? fc.constant({}) : hostile(schema);
  return fc.tuple(given, fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 2 }), fc.nat(9)).map(([q, extra, n]) => {
    const params = new URLSearchParams();
    const obj = q !== null && typeof q === 'object' && !Array.isArray(q) ? (q as Record<string, unknown>) : { q };
    for (const [k, v] of Object.entries(obj)) params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    if (n === 0) for (const [k, v] of Object.entries(extra)) params.set(k, v);
    const s = params.toString();
    return s === '' ? '' : `?${s}`;
  });
}

function urlArb(route: CatalogRoute): fc.Arbitrary<string> {
  const names = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const params = (route.schema?.params ?? { type: 'object', properties: Object.fromEntries(names.map((n) => [n, { type: 'string' }])) }) as { properties?: Record<string, unknown> };
  const paramArbs = names.map((n) => fc.oneof(valid(params.properties?.[n] ?? { type: 'string' }).map(String), fc.string({ maxLength: 300 })));
  return fc.tuple(fc.tuple(...paramArbs), queryArb(route.schema?.querystring)).map(([values, query]) => {
    let url = route.url;
    names.forEach((n, i) => (url = url.replace(`:${n}`, encodeURIComponent(values[i]!) || 'x')));
    return url + query;
  });
}

function httpArb(route: CatalogRoute): fc.Arbitrary<Case> {
  const hasBody = !['GET', 'HEAD', 'DELETE'].includes(route.method);
  const bodyArb: fc.Arbitrary<HttpCase['body']> = hasBody
    ? fc.oneof(
        { arbitrary: hostile(route.schema?.body).map((b) => ({ text: JSON.stringify(b) ?? 'null', type: 'application/json' })), weight: 8 },
        { arbitrary: fc.constantFrom('{"startMs":1e308,"endMs":1e308}', '{', '', '[]', 'null', '{"__proto__":{"x":1}}', '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}').map((text) => ({ text, type: 'application/json' })), weight: 1 },
        { arbitrary: fc.string().map((text) => ({ text, type: 'text/plain' })), weight: 1 },
      )
    : fc.constant(null);
  return fc.record({ url: urlArb(route), role: roleArb, body: bodyArb, signed: fc.boolean(), origin: originArb }).map((c) => ({ kind: 'http' as const, method: route.method, ...c }));
}

function wsArb(route: CatalogRoute): fc.Arbitrary<Case> {
  const messages = WS_MESSAGES[route.url];
  if (!messages) throw new Error(`websocket route ${route.url} has no message generator in WS_MESSAGES`);
  const protocols = fc.subarray(['switchyard.v1', CHANNEL_PROTOCOL, 'other.v9']);
  return fc.record({ url: fc.constant(route.url), protocols, role: roleArb, origin: originArb, messages: fc.array(messages, { maxLength: 3 }) }).map((c) => ({ kind: 'ws' as const, ...c }));
}

test(`fuzz: ${CASES} generated requests over every route and websocket, never a 5xx, loop never blocked over ${LOOP_BOUND_MS} ms`, { timeout: 300_000 }, async () => {
  // Every service the platform runs (npm start), on the demo site and company.
  let finance: FinanceService | undefined;
  let simulations: SimulationService | undefined;
  let aiHall: AiHallServices | undefined;
  const h = await harness({
    rateLimitPerMin: 10_000_000,
    curtailment: true,
    webhook: { secret: SECRET, windowS: 300 },
    planner: { sitePath: DEMO, timeLimitS: 2 },
    finance: (db, history) => (finance = new FinanceService({ site: loadSiteFile(DEMO), sitePath: DEMO, db, history, queue: createQueue<LedgerJob>('finance-fuzz', { env: {} }), companyPath: 'infra/sites/demo-company.yaml', log: logger('finance') })),
    deps: ({ db, history, live, site }) => {
      aiHall = startAiHallServices({ site, sitePath: DEMO, db, history, live, env: {}, log: logger('ai-hall') });
      return { ...(aiHall.ledger ? { tenants: aiHall.ledger } : {}), alerts: aiHall.alerts };
    },
    simulations: (db) => (simulations = new SimulationService({ db, company: loadCompanyFile('infra/sites/demo-company.yaml'), queue: createQueue<SimulationJob>('simulations-fuzz', { env: {} }), maxPaths: 2_000 })),
  });
  await finance!.start();
  simulations!.start();
  try {
    const routes = h.app.routeCatalog;
    assert.ok(routes.length > 20, `only ${routes.length} routes registered`);
    // FUZZ_ONLY (a regular expression on the route's path) narrows a run to find what a failure came from.
    const only = process.env.FUZZ_ONLY ? new RegExp(process.env.FUZZ_ONLY) : null;
    const perRoute = routes.filter((r) => !only || only.test(r.url)).map((r) => (r.websocket ? wsArb(r) : httpArb(r)));
    const cases = fc.sample(fc.oneof(...perRoute), { numRuns: CASES, seed: SEED });
    const secrets: Record<string, string> = { ...h.secrets, bogus: 'not-a-token' };

    const failures: string[] = [];
    const byRoute = new Map<string, number>();
    const statuses = new Map<number, number>();
    let fiveXx = 0;
    const runHttp = async (c: HttpCase) => {
      const headers: Record<string, string> = {};
      if (c.role !== 'none') headers.authorization = `Bearer ${secrets[c.role]}`;
      if (c.origin) headers.origin = c.origin;
      if (c.body) headers['content-type'] = c.body.type;
      if (c.body && c.signed) {
        const ts = Math.floor(Date.now() / 1000);
        headers[TIMESTAMP_HEADER] = String(ts);
        headers[SIGNATURE_HEADER] = signWebhook(SECRET, ts, c.body.text);
      }
      const res = await h.app.inject({ method: c.method as InjectOptions['method'], url: c.url, headers, ...(c.body ? { payload: c.body.text } : {}) });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500) {
        fiveXx++;
        if (failures.length < 10) failures.push(`${c.method} ${c.url.slice(0, 200)} as ${c.role} body ${c.body?.text.slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 300)}`);
      }
    };
    const runWs = async (c: WsCase) => {
      const protocols = [...c.protocols, ...(c.role === 'none' ? [] : [`bearer.${secrets[c.role]}`])];
      const headers: Record<string, string> = { host: 'localhost:80', ...(protocols.length ? { 'sec-websocket-protocol': protocols.join(', ') } : {}), ...(c.origin ? { origin: c.origin } : {}) };
      let ws;
      try {
        ws = await h.app.injectWS(c.url, { headers });
      } catch (err) {
        const status = Number(/response: (\d+)/.exec((err as Error).message)?.[1] ?? 0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500 || status === 0) {
          fiveXx++;
          if (failures.length < 10) failures.push(`WS ${c.url} as ${c.role} protocols ${protocols.join(',')} → ${(err as Error).message}`);
        }
        return;
      }
      statuses.set(101, (statuses.get(101) ?? 0) + 1);
      ws.on('error', () => undefined);
      for (const m of c.messages) if (ws.readyState === ws.OPEN) ws.send(m);
      await new Promise((r) => setImmediate(r));
      ws.terminate();
    };

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let next = 0;
    const started: string[] = [];
    let lastTick = performance.now();
    let lastCpu = process.cpuUsage();
    const debug = process.env.FUZZ_DEBUG ? setInterval(() => {
      const now = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      // CPU the process used in the gap (all threads): far below the gap means it waited for a CPU.
      if (now - lastTick > 100) console.log(`# loop gap ${Math.round(now - lastTick)} ms (process CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms) after: ${started.slice(-CONCURRENCY).join(' | ')}`);
      lastTick = now;
      lastCpu = process.cpuUsage();
    }, 10) : null;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          const key = c.kind === 'ws' ? `WS ${c.url}` : `${c.method} ${c.url.split('?')[0]}`;
          byRoute.set(key, (byRoute.get(key) ?? 0) + 1);
          if (debug) started.push(c.kind === 'ws' ? key : `${c.method} ${c.url.slice(0, 80)} ${c.body?.text.slice(0, 80) ?? ''}`);
          await (c.kind === 'ws' ? runWs(c) : runHttp(c));
        }
      }),
    );
    if (debug) clearInterval(debug);
    const seconds = (performance.now() - t0) / 1000;
    loop.disable();
    const maxLoopMs = Math.round(loop.max / 1e6);
    const cpu = process.cpuUsage(cpu0);
    // Below ~100% the process waited for a CPU (a loaded machine): loop delay then includes that wait.
    const cpuPct = Math.round(((cpu.user + cpu.system) / 1e3 / (seconds * 1000)) * 100);
    console.log(`# fuzz seed ${SEED}: ${cases.length} cases over ${routes.length} routes in ${seconds.toFixed(1)} s; 5xx: ${fiveXx}; max event-loop delay ${maxLoopMs} ms (p99 ${Math.round(loop.percentile(99) / 1e6)} ms); process CPU ${cpuPct}% of wall time`);
    console.log(`# statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    const unfuzzed = routes.filter((r) => !only || only.test(r.url)).filter((r) => !byRoute.has(r.websocket ? `WS ${r.url}` : `${r.method} ${r.url.replace(/:[A-Za-z0-9_]+/g, '')}`) && !r.url.includes(':'));
    assert.deepEqual(unfuzzed.map((r) => `${r.method} ${r.url}`), [], 'routes no case reached');
    assert.equal(fiveXx, 0, `5xx answers (seed ${SEED}):\n${failures.join('\n')}`);
    assert.ok(maxLoopMs <= LOOP_BOUND_MS, `the event loop was blocked ${maxLoopMs} ms (bound ${LOOP_BOUND_MS} ms, seed ${SEED})`);
  } finally {
    await aiHall?.stop();
    await simulations?.stop();
    await finance?.stop();
    await h.close();
  }
});
