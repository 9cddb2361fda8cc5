// The soak benchmark's load, in its own process so its clients never share an event loop with
// the control plane they measure: `clients` clients polling GET /api/site and `agents` agents
// POSTing a batch to /api/ingest every `shipMs`. Prints one JSON line of results at the end.
// Started by soak.bench.ts; its input is a JSON file (LoadConfig) named in the environment.
import { readFileSync } from 'node:fs';

export interface LoadConfig {
  url: string;
  durationMs: number;
  clients: number;
  /** Each client asks once per this many ms (a page polling), or back to back when 0. */
  clientEveryMs: number;
  /** Per agent: its id, its token, and the devices it reads (the site file's, once agents own devices). */
  agents: Array<{ agentId: string; token: string; devices: Array<{ id: string; blockId?: string }> }>;
  siteId: string;
  shipMs: number;
}

export interface LatencyStats {
  requests: number;
  errors: number;
  /** Error count by HTTP status or error code. */
  errorsBy: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadResult {
  site: LatencyStats;
  ingest: LatencyStats & { readings: number };
  wallMs: number;
}

class Recorder {
  private values = new Float64Array(1 << 16);
  private n = 0;
  errors = 0;
  readonly errorsBy: Record<string, number> = {};

  add(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }

  error(kind: string): void {
    this.errors++;
    this.errorsBy[kind] = (this.errorsBy[kind] ?? 0) + 1;
  }

  stats(): LatencyStats {
    const sorted = this.values.slice(0, this.n).sort();
    const at = (q: number) => (this.n === 0 ? 0 : sorted[Math.min(this.n - 1, Math.floor(q * this.n))]!);
    const round = (x: number) => Math.round(x * 100) / 100;
    return { requests: this.n, errors: this.errors, errorsBy: this.errorsBy, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(this.n === 0 ? 0 : sorted[this.n - 1]!) };
  }
}

function errorKind(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err as Error).name ?? 'error';
}

async function siteClient(url: string, everyMs: number, until: number, rec: Recorder): Promise<void> {
  // Clients start spread over one period, as pages opened at different moments.
  let next = Date.now() + Math.random() * everyMs;
  while (next < until) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // A client that fell behind asks again at once, but never in a burst to catch up.
    next = Math.max(next, Date.now()) + everyMs;
    const t0 = performance.now();
    try {
      const res = await fetch(`${url}/api/site`);
      await res.arrayBuffer();
      rec.add(performance.now() - t0);
      if (res.status !== 200) rec.error(String(res.status));
    } catch (err) {
      rec.add(performance.now() - t0);
      rec.error(errorKind(err));
    }
  }
}

async function agentLoop(cfg: LoadConfig, agent: LoadConfig['agents'][number], until: number, rec: Recorder, counted: { readings: number }): Promise<void> {
  let seq = Date.now();
  let next = Date.now();
  while (next < until) {
    const atMs = Date.now();
    const readings = agent.devices.map((d) => ({
      deviceId: d.id,
      kind: 'miner',
      ...(d.blockId === undefined ? {} : { blockId: d.blockId }),
      atMs,
      status: 'online',
      metrics: { power_w: 3000 + (atMs % 97), hashrate_hs: 2e14 },
      labels: { mode: 'mining' },
    }));
    const body = JSON.stringify({ agentId: agent.agentId, siteId: cfg.siteId, seq: seq++, sentAtMs: atMs, readings });
    const t0 = performance.now();
    try {
      const res = await fetch(`${cfg.url}/api/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` }, body });
      await res.arrayBuffer();
      rec.add(performance.now() - t0);
      if (res.status >= 300) rec.error(String(res.status));
      else counted.readings += readings.length;
    } catch (err) {
      rec.add(performance.now() - t0);
      rec.error(errorKind(err));
    }
    next += cfg.shipMs;
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

export async function runLoad(cfg: LoadConfig): Promise<LoadResult> {
  const t0 = Date.now();
  const until = t0 + cfg.durationMs;
  const site = new Recorder();
  const ingest = new Recorder();
  const counted = { readings: 0 };
  await Promise.all([
    ...Array.from({ length: cfg.clients }, () => siteClient(cfg.url, cfg.clientEveryMs, until, site)),
    ...cfg.agents.map((a) => agentLoop(cfg, a, until, ingest, counted)),
  ]);
  return { site: site.stats(), ingest: { ...ingest.stats(), readings: counted.readings }, wallMs: Date.now() - t0 };
}

// Run as a script by soak.bench.ts, with the path of its LoadConfig (JSON) in the environment.
const configPath = process.env.SWITCHYARD_SOAK_LOAD_CONFIG;
if (configPath !== undefined) {
  const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as LoadConfig;
  const result = await runLoad(cfg);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
