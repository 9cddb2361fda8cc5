// The agent's footprint (issue 15 item 6): a real agent process (`switchyard agent --config`)
// polling the twin's miners, all five firmwares, over TCP and shipping every reading to an
// ingest endpoint, against the peer in the same run: a bare TCP poll loop in its own process
// (bare-poll-child.ts: the same requests to the same miners at the same concurrency, replies
// discarded). Both run cycle after cycle; after WARMUP cycles, CYCLES are measured:
// - from outside (/proc/<pid>): RSS sampled every 20 ms (average and peak during the cycles),
//   CPU (utime + stime) per cycle;
// - from inside over IPC (footprint-probe.ts): bytes allocated per miner per cycle, and the
//   heap kept after a full GC once the cycles are done.
// Per miner = the process's whole figure divided by the miners it polls. The ingest endpoint
// counts the readings that arrive, so a footprint bought by losing readings shows. Nothing
// here asserts; BENCH_FOOTPRINT_MINERS (default 10000,30500), BENCH_FOOTPRINT_CYCLES (4),
// BENCH_NODE_FLAGS (extra node flags for both processes).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { DIALECTS } from '../../agents/drivers/cgminer/makes/index.ts';
import type { MinerDevice } from '../../services/domain/devices.ts';
import { dialectSite, FIRMWARES, FITTING_MODELS } from '../support/dialect-site.ts';

const SIZES = (process.env.BENCH_FOOTPRINT_MINERS ?? '10000,30500').split(',').map(Number);
const CYCLES = Number(process.env.BENCH_FOOTPRINT_CYCLES ?? 4);
const WARMUP = 2;
const CONCURRENCY = 256;
const SAMPLE_MS = 20;
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const CLK_TCK = 100;

interface Footprint {
  heapKeptBytes: number;
  rssAvgKb: number;
  rssPeakKb: number;
  hwmKb: number;
  cpuSecPerCycle: number;
  allocBytesPerCycle: number;
  wallSecPerCycle: number;
  cycleLines: string[];
  /** Where the memory was when the last cycle ended, before any GC the bench asks for. */
  spacesMb: string;
}

interface Spaces {
  spaces: Record<string, { committed: number; used: number }>;
  memory: NodeJS.MemoryUsage;
}

function spacesLine(s: Spaces | undefined): string {
  if (s === undefined) return 'unknown';
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  const parts = Object.entries(s.spaces)
    .filter(([, v]) => v.committed >= 2 ** 20)
    .map(([name, v]) => `${name.replace(/_space$/, '')} ${mb(v.used)}/${mb(v.committed)}`);
  return `rss ${mb(s.memory.rss)}, heap used/committed by space: ${parts.join(', ')}; external ${mb(s.memory.external)} (array buffers ${mb(s.memory.arrayBuffers)}) MB`;
}

function procCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]);
}

/** Asks the probe in `child` and waits for its answer. */
function ask<T>(child: ChildProcess, what: 'mark' | 'gc' | 'spaces'): Promise<T> {
  const id = Math.random();
  return new Promise((resolve, reject) => {
    const onMessage = (msg: unknown) => {
      const m = msg as { id?: number; error?: string };
      if (m.id !== id) return;
      child.off('message', onMessage);
      if (m.error !== undefined) reject(new Error(`footprint probe: ${m.error}`));
      else resolve(msg as T);
    };
    child.on('message', onMessage);
    child.send({ ask: what, id });
  });
}

/**
 * Runs `child` (started with the probe) until WARMUP + CYCLES cycles have ended, `cycleEnd`
 * telling from a stdout line when one has, and measures the CYCLES after the warm-up.
 */
async function measure(child: ChildProcess, cycleEnd: (line: string) => string | undefined): Promise<Footprint> {
  const pid = child.pid as number;
  const cycleLines: string[] = [];
  let rssSum = 0;
  let rssN = 0;
  let rssPeak = 0;
  let sampling = false;
  const sampler = setInterval(() => {
    if (!sampling) return;
    const kb = procStatusKb(pid, 'VmRSS');
    rssSum += kb;
    rssN++;
    rssPeak = Math.max(rssPeak, kb);
  }, SAMPLE_MS);
  let cpu0 = 0;
  let t0 = 0;
  let alloc = 0;
  let seen = 0;
  let spaces: Spaces | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.once('exit', (code) => reject(new Error(`measured process exited (${code}) after ${seen} cycles`)));
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const what = seen < WARMUP + CYCLES ? cycleEnd(line) : undefined;
          if (what === undefined) continue;
          seen++;
          if (seen > WARMUP) cycleLines.push(what);
          if (seen === WARMUP) {
            cpu0 = procCpuTicks(pid);
            t0 = performance.now();
            sampling = true;
            ask<{ allocatedBytes: number }>(child, 'mark').catch(reject);
          } else if (seen > WARMUP) {
            ask<{ allocatedBytes: number }>(child, 'mark').then((m) => (alloc += m.allocatedBytes), reject);
          }
          if (seen === WARMUP + CYCLES) {
            sampling = false;
            ask<Spaces>(child, 'spaces').then((s) => (spaces = s), reject);
            resolve();
          }
        }
      });
    });
    const cpuSec = (procCpuTicks(pid) - cpu0) / CLK_TCK;
    const wallSec = (performance.now() - t0) / 1000;
    // The last mark's answer may still be on its way.
    await new Promise((r) => setTimeout(r, 200));
    const { memory } = await ask<{ memory: NodeJS.MemoryUsage }>(child, 'gc');
    return {
      heapKeptBytes: memory.heapUsed,
      rssAvgKb: rssSum / Math.max(1, rssN),
      rssPeakKb: rssPeak,
      hwmKb: procStatusKb(pid, 'VmHWM'),
      cpuSecPerCycle: cpuSec / CYCLES,
      allocBytesPerCycle: alloc / CYCLES,
      wallSecPerCycle: wallSec / CYCLES,
      cycleLines,
      spacesMb: spacesLine(spaces),
    };
  } finally {
    clearInterval(sampler);
  }
}

function stop(child: ChildProcess, how: () => void): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    child.once('exit', () => ok());
    how();
  });
}

/** Counts what reaches the ingest endpoint: readings, and online ones per device. */
function ingestSink(): Promise<{ server: http.Server; url: string; counts: { readings: number; online: number; bad: number } }> {
  const counts = { readings: 0, online: 0, bad: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url !== '/api/ingest' || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const batch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { seq: number; readings: Array<{ status: string; metrics: Record<string, number> }> };
      for (const r of batch.readings) {
        counts.readings++;
        if (r.status === 'online') counts.online++;
        if (r.status === 'online' && !('hashrate_hs' in r.metrics)) counts.bad++;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: batch.readings.length, duplicate: false, seq: batch.seq }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts })));
}

const kb = (bytes: number) => bytes / 1024;
const fmt = (x: number, digits = 2) => x.toFixed(digits).padStart(8);

async function oneSize(total: number): Promise<void> {
  const perFirmware = Math.floor(total / FIRMWARES.length);
  const n = perFirmware * FIRMWARES.length;
  const twin = spawn(process.execPath, ['--import', 'tsx', here('./twin-child.ts'), String(perFirmware), FIRMWARES.join(','), 'fitting'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const dir = mkdtempSync(join(tmpdir(), 'footprint-'));
  const sink = await ingestSink();
  try {
    const miners = await new Promise<MinerDevice[]>((resolve, reject) => {
      let out = '';
      twin.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as MinerDevice[]);
      });
      twin.once('exit', (code) => reject(new Error(`bench twin exited with code ${code} before it was ready`)));
    });
    const port = (miners[0] as MinerDevice).port;
    const site = dialectSite(perFirmware, FIRMWARES, FITTING_MODELS);
    // The site checks hold each block's miners within its capacity (the twin does not check).
    for (const block of site.blocks) block.capacityMw = Math.max(block.capacityMw, Math.ceil((perFirmware * 4_000 * 1.1) / 1e6));
    site.site.importLimitMw = Math.max(site.site.importLimitMw, site.blocks.reduce((mw, b) => mw + b.capacityMw, 0));
    writeFileSync(join(dir, 'site.yaml'), stringify(site));
    writeFileSync(
      join(dir, 'agent.yaml'),
      stringify({ agentId: 'footprint', controlPlaneUrl: sink.url, token: 'bench', siteFile: 'site.yaml', minerPort: port, minerIntervalMs: 1000, shipIntervalMs: 1000 }),
    );
    console.log(`${n} twin miners (${perFirmware} each of ${FIRMWARES.join(', ')}), concurrency ${CONCURRENCY}, ${CYCLES} cycles measured after ${WARMUP}; node flags: ${NODE_FLAGS.join(' ') || 'none'}`);

    const agent = spawn(
      process.execPath,
      ['--expose-gc', ...NODE_FLAGS, '--import', 'tsx', '--import', here('./footprint-probe.ts'), 'services/cli/bin.js', 'agent', '--config', join(dir, 'agent.yaml')],
      { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, LOG_LEVEL: 'info', SWITCHYARD_LOG_FORMAT: 'json' } },
    );
    let ours: Footprint;
    try {
      ours = await measure(agent, (line) => {
        if (!line.includes('"miner poll: ')) return undefined;
        const m = JSON.parse(line) as { online: number; readings: number };
        return `${m.online}/${m.readings}`;
      });
    } finally {
      await stop(agent, () => agent.kill('SIGTERM'));
    }
    const shipped = { ...sink.counts };

    const targetsFile = join(dir, 'targets.json');
    writeFileSync(targetsFile, JSON.stringify(miners.map((m) => [m.host, m.port, JSON.stringify({ command: DIALECTS[m.firmware].telemetryCommand })])));
    const bare = spawn(process.execPath, ['--expose-gc', ...NODE_FLAGS, '--import', 'tsx', '--import', here('./footprint-probe.ts'), here('./bare-poll-child.ts'), targetsFile, String(CONCURRENCY)], {
      stdio: ['pipe', 'pipe', 'inherit', 'ipc'],
    });
    let peer: Footprint;
    try {
      peer = await measure(bare, (line) => (line.startsWith('cycle ') ? line.split(' ')[2] : undefined));
    } finally {
      await stop(bare, () => bare.stdin?.end());
    }

    const row = (name: string, a: number, b: number, unit: string) => console.log(`${name.padEnd(34)}${fmt(a)}${fmt(b)} ${unit.padEnd(14)}${fmt(a / b)}`);
    console.log(`${''.padEnd(34)}${'agent'.padStart(8)}${'bare'.padStart(8)} ${''.padEnd(14)}${'ratio'.padStart(8)}`);
    row('heap kept after GC', kb(ours.heapKeptBytes) / n, kb(peer.heapKeptBytes) / n, 'KB/miner');
    row('RSS average during cycles', ours.rssAvgKb / n, peer.rssAvgKb / n, 'KB/miner');
    row('RSS peak during cycles', ours.rssPeakKb / n, peer.rssPeakKb / n, 'KB/miner');
    row('RSS high-water mark (whole run)', ours.hwmKb / n, peer.hwmKb / n, 'KB/miner');
    row('CPU per poll cycle', ours.cpuSecPerCycle, peer.cpuSecPerCycle, 's');
    row('CPU per miner per cycle', (ours.cpuSecPerCycle / n) * 1e6, (peer.cpuSecPerCycle / n) * 1e6, 'µs');
    row('allocated per miner per cycle', kb(ours.allocBytesPerCycle) / n, kb(peer.allocBytesPerCycle) / n, 'KB');
    row('wall per cycle', ours.wallSecPerCycle, peer.wallSecPerCycle, 's');
    console.log(`online/polled per measured cycle: agent ${ours.cycleLines.join(' ')}; bare ${peer.cycleLines.join(' ')}`);
    console.log(`at the last cycle's end: agent ${ours.spacesMb}`);
    console.log(`at the last cycle's end: bare ${peer.spacesMb}`);
    console.log(`readings at the ingest endpoint: ${shipped.readings} (${shipped.online} online, ${shipped.bad} online without hashrate_hs)`);
  } finally {
    sink.server.close();
    twin.stdin.end();
    await stop(twin, () => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  for (const size of SIZES) await oneSize(size);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
