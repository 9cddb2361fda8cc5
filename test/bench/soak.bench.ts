// Soak: the whole platform as `npm start` runs it (twin and agent as child processes, the
// control plane in this process) under 200 concurrent clients on GET /api/site and agents
// POSTing batches to /api/ingest, for SWITCHYARD_SOAK_SECONDS (default 600). The load runs in
// its own process (soak-load.ts). Prints p50/p99/max latency and errors for both, RSS at the
// start and the end, and — the peer, measured in the same run — the plan job and a curtailment
// (signal → revenue-meter confirmation) on the idle platform against the same during the soak.
//
// Knobs: SWITCHYARD_SOAK_SECONDS, SWITCHYARD_SOAK_CLIENTS (200), SWITCHYARD_SOAK_CLIENT_EVERY_MS
// (1000: each client polls once a second; 0: back to back), SWITCHYARD_SOAK_SITE (the demo
// site), SWITCHYARD_SOAK_AGENTS (4), SWITCHYARD_SOAK_AGENT_READINGS (1000 per batch),
// SWITCHYARD_SOAK_SHIP_MS (2000), SWITCHYARD_SOAK_SHED_MW (5), SWITCHYARD_SOAK_QUIET_S (180: the
// longest wait for the machine to settle after the platform starts, before the idle times).
import '../support/quiet-logs.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startPlatform, type Platform } from '../../services/platform/platform.ts';
import { until } from '../support/until.ts';
import type { LatencyStats, LoadConfig, LoadResult } from './soak-load.ts';

const SECONDS = Number(process.env.SWITCHYARD_SOAK_SECONDS ?? 600);
const CLIENTS = Number(process.env.SWITCHYARD_SOAK_CLIENTS ?? 200);
/** Each client polls /api/site this often, as an open page would (0: back to back). */
const CLIENT_EVERY_MS = Number(process.env.SWITCHYARD_SOAK_CLIENT_EVERY_MS ?? 1000);
const SITE = process.env.SWITCHYARD_SOAK_SITE ?? 'infra/sites/demo.yaml';
const AGENTS = Number(process.env.SWITCHYARD_SOAK_AGENTS ?? 4);
const AGENT_READINGS = Number(process.env.SWITCHYARD_SOAK_AGENT_READINGS ?? 1000);
const SHIP_MS = Number(process.env.SWITCHYARD_SOAK_SHIP_MS ?? 2000);
const SHED_MW = Number(process.env.SWITCHYARD_SOAK_SHED_MW ?? 5);
const QUIET_S = Number(process.env.SWITCHYARD_SOAK_QUIET_S ?? 180);

const load1 = () => loadavg()[0]!.toFixed(1);

/**
 * The idle times are the peer the soak is judged against, so they are taken on a machine at
 * rest: after the start-up burst (twin, agent, first polls) this process uses under a fifth of
 * a core over 5 s and the 1-minute load is at most the core count, or QUIET_S has passed (a
 * shared machine may never get there; the load is printed beside every time either way).
 */
async function waitForQuiet(): Promise<string> {
  const t0 = performance.now();
  const cores = availableParallelism();
  for (;;) {
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, 5000));
    const cpu = process.cpuUsage(cpu0);
    const share = (cpu.user + cpu.system) / 1000 / (performance.now() - w0);
    const waitedS = Math.round((performance.now() - t0) / 1000);
    if (share < 0.2 && loadavg()[0]! <= cores) return `quiet after ${waitedS} s (control plane ${(share * 100).toFixed(0)}% of a core, load ${load1()} on ${cores} cores)`;
    if (waitedS >= QUIET_S) return `not quiet after ${waitedS} s (control plane ${(share * 100).toFixed(0)}% of a core, load ${load1()} on ${cores} cores): idle times taken anyway`;
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** One plan job, as the queue runs it (solve and store). */
async function planJobMs(p: Platform): Promise<number> {
  const planner = p.app.services.planner;
  if (!planner) throw new Error('no planner in this platform');
  const t0 = performance.now();
  const state = await planner.recompute('schedule');
  if (state.error) throw new Error(`plan job failed: ${state.error}`);
  return performance.now() - t0;
}

/** One curtailment: signal → meter-confirmed (from the event record), then restored. */
async function curtailMs(p: Platform, label: string): Promise<number> {
  const now = Date.now();
  const { eventId } = await p.curtailment.request({ program: 'operator', target: { shedMw: SHED_MW }, startMs: now, endMs: now + 10 * 60_000, requestedBy: `soak benchmark (${label})`, reason: 'soak benchmark' });
  const rec = await until(`${label} curtailment confirmed on the meter`, () => {
    const r = p.curtailment.get(eventId);
    if (r && (r.status === 'failed' || r.status === 'aborted')) throw new Error(`${label} curtailment ${r.status}: ${r.timeline.at(-1)?.detail ?? ''}`);
    return r && r.timeline.some((e) => e.kind === 'meter-confirmed') ? r : undefined;
  }, 180_000, 20);
  const at = (k: string) => rec.timeline.find((e) => e.kind === k)!.atMs;
  const ms = at('meter-confirmed') - at('signal-received');
  await p.curtailment.end(eventId, 'soak benchmark: measured');
  await until(`${label} curtailment restored`, () => (p.curtailment.status(eventId) === 'done' ? true : undefined), 300_000, 100);
  return ms;
}

interface SoakAgent {
  agentId: string;
  blockId: string;
}

/**
 * The soak's site: SITE plus one empty block per soak agent, which that agent owns (the site
 * file's `agents` list), so its readings are accepted as any real agent's are; the platform's
 * own agent owns the rest. Written to the temp data dir, like the curtailment bench's site.
 */
function soakSite(dir: string): { path: string; agents: SoakAgent[] } {
  const doc = parse(readFileSync(SITE, 'utf8')) as {
    site: { id: string };
    blocks: Array<{ id: string }>;
    meters: Array<{ id: string; role: string; blockId?: string }>;
    agents?: unknown;
  };
  const agents = Array.from({ length: AGENTS }, (_, a) => ({ agentId: `soak-agent-${a + 1}`, blockId: `SOAK${a + 1}` }));
  const ownBlocks = doc.blocks.map((b) => b.id);
  doc.blocks.push(
    ...agents.map((a) => ({ id: a.blockId, name: `Soak ${a.agentId}`, feed: 'SOAK', capacityMw: 5, cooling: 'air', state: 'mining', capability: ['mining'], overheadFactor: 1.05, miners: [], gpus: [] })),
  );
  doc.agents = [
    { id: `agent-${doc.site.id}`, blocks: ownBlocks, meters: doc.meters.filter((m) => m.blockId === undefined).map((m) => m.id) },
    ...agents.map((a) => ({ id: a.agentId, blocks: [a.blockId] })),
  ];
  const path = join(dir, 'soak-site.yaml');
  writeFileSync(path, stringify(doc));
  return { path, agents };
}

function runLoad(config: LoadConfig, dir: string): Promise<LoadResult> {
  const path = join(dir, 'load.json');
  writeFileSync(path, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./soak-load.ts', import.meta.url).pathname], { env: { ...process.env, SWITCHYARD_SOAK_LOAD_CONFIG: path }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the load process exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult);
      } catch (err) {
        reject(new Error(`the load process printed no result: ${out.slice(-300)}`, { cause: err }));
      }
    });
  });
}

const line = (name: string, s: LatencyStats, seconds: number) =>
  `${name}: ${s.requests.toLocaleString('en-US')} req (${(s.requests / seconds).toFixed(0)}/s), p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms, errors ${s.errors}${s.errors ? ` ${JSON.stringify(s.errorsBy)}` : ''}`;

export async function run(): Promise<void> {
  // The soak's own platform takes far more requests than any real client; the rate limit
  // (SWITCHYARD_RATE_LIMIT_PER_MIN) is raised for it alone.
  process.env.SWITCHYARD_RATE_LIMIT_PER_MIN = '100000000';
  const env = { ...process.env, LOG_LEVEL: 'warn' };
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-soak-'));
  const site = soakSite(dataDir);
  const p = await startPlatform({
    sitePath: site.path,
    port: 0,
    host: '127.0.0.1',
    dataDir,
    env,
    children: 'fork',
    minerPort: 0,
    meterPort: 0,
    print: () => undefined,
    curtailment: { restore: { rampMwPerMin: 1000, staggerMs: 500, minOffMs: 0 } },
  });
  try {
    const expected = p.site.blocks.reduce((n, b) => n + b.miners.reduce((m, g) => m + g.count, 0), 0);
    await until(`the meter read and 90% of ${expected} miners online`, () => {
      const s = p.live.snapshot();
      return s.powerW !== null && s.miners.online >= 0.9 * expected ? true : undefined;
    }, 600_000, 500);
    console.log(`site ${p.site.site.id}: ${expected} twin miners, ${(p.live.snapshot().powerW! / 1e6).toFixed(1)} MW at the revenue meter`);

    // What one /api/site costs the control plane with nothing else asking (no network).
    const injectT0 = performance.now();
    for (let i = 0; i < 200; i++) await p.app.inject({ method: 'GET', url: '/api/site' });
    console.log(`idle: GET /api/site in-process ${((performance.now() - injectT0) / 200).toFixed(2)} ms each (mean of 200)`);

    // The peer: plan job and curtailment on the idle platform, once the machine has settled.
    console.log(`idle: ${await waitForQuiet()}`);
    const idleLoad = load1();
    const idlePlanMs = await planJobMs(p);
    const idleCurtailMs = await curtailMs(p, 'idle');
    console.log(`idle: plan job ${idlePlanMs.toFixed(0)} ms, curtailment signal → meter confirmed ${idleCurtailMs} ms (load ${idleLoad})`);

    const tokens = p.app.services.tokens;
    const agents = await Promise.all(site.agents.map(async ({ agentId, blockId }) => ({
      agentId,
      token: (await tokens.create({ name: agentId, role: 'agent' })).secret,
      devices: Array.from({ length: AGENT_READINGS }, (_, i) => ({ id: `${blockId}-m${String(i + 1).padStart(5, '0')}`, blockId })),
    })));
    // Stale miners on the control plane while the load and the curtailment run (polling goes
    // on at a reduced rate during command batches, so this should stay 0).
    let maxStale = 0;
    let firstStaleS: number | null = null;
    const loadStart = Date.now();
    const marks: string[] = [];
    const mark = (what: string) => marks.push(`${what} at ${((Date.now() - loadStart) / 1000).toFixed(0)} s`);
    const staleTimer = setInterval(() => {
      const stale = p.live.snapshot().miners.stale;
      if (stale > 0 && firstStaleS === null) firstStaleS = Math.round((Date.now() - loadStart) / 1000);
      maxStale = Math.max(maxStale, stale);
    }, 1000);
    const rssStart = process.memoryUsage().rss;
    const load = runLoad({ url: p.listening.url, durationMs: SECONDS * 1000, clients: CLIENTS, clientEveryMs: CLIENT_EVERY_MS, agents, siteId: p.site.site.id, shipMs: SHIP_MS }, dataDir);
    console.log(`soak: ${SECONDS} s, ${CLIENTS} clients on /api/site (${CLIENT_EVERY_MS ? `each every ${CLIENT_EVERY_MS} ms` : 'back to back'}), ${AGENTS} agents × ${AGENT_READINGS} readings every ${SHIP_MS} ms on /api/ingest`);

    // The same two, a fifth of the way into the soak (the load is up by then).
    await new Promise((r) => setTimeout(r, Math.min(30_000, (SECONDS * 1000) / 5)));
    mark('plan job');
    const soakLoad = load1();
    const soakPlanMs = await planJobMs(p);
    mark('curtailment');
    const soakCurtailMs = await curtailMs(p, 'soak');
    mark('restored');
    const result = await load;
    clearInterval(staleTimer);
    const rssEnd = process.memoryUsage().rss;

    console.log(line('/api/site', result.site, result.wallMs / 1000));
    console.log(`${line('/api/ingest', result.ingest, result.wallMs / 1000)}, ${result.ingest.readings.toLocaleString('en-US')} readings accepted`);
    console.log(`plan job: idle ${idlePlanMs.toFixed(0)} ms (load ${idleLoad}), during the soak ${soakPlanMs.toFixed(0)} ms (load ${soakLoad})`);
    console.log(`curtailment signal → meter confirmed: idle ${idleCurtailMs} ms, during the soak ${soakCurtailMs} ms`);
    console.log(`stale miners during the soak: at most ${maxStale}${firstStaleS === null ? '' : `, first at ${firstStaleS} s`} (${marks.join(', ')})`);
    console.log(`RSS (control plane): start ${mib(rssStart)}, end ${mib(rssEnd)}`);
    console.log(`ratio: soak / idle — plan job ${(soakPlanMs / idlePlanMs).toFixed(2)}×, curtailment ${(soakCurtailMs / idleCurtailMs).toFixed(2)}×`);
  } finally {
    await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
