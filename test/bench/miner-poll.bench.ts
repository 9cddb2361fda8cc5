// Miner polling throughput of one agent process: our poller path (pollTier → cgminerDriver →
// dialect telemetry: connect, request, read to NUL, repair/parse, normalise, Reading, per-device
// deadline) against N twin miners served by a child process, and the peer in the same run: a
// bare TCP request/response loop (net.connect, write {"command":"summary"}, read to NUL, close)
// with the same concurrency against the same twin. Whatsminer dialect, whose telemetry is that
// same single `summary`, so both do identical wire work. Extrapolates agent CPU per miner to
// "miners per 30 s cycle on one core" against the 100,000 target. Nothing asserts on time.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { cgminerDriver } from '../../agents/drivers/cgminer/driver.ts';
import { pollTier } from '../../agents/poll-tier.ts';
import { forEachBounded } from '../../agents/pool.ts';
import type { MinerDevice } from '../../services/domain/devices.ts';

const MINERS = Number(process.env.BENCH_MINERS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TIMEOUT_MS = 10_000;
const TARGET_PER_30S = 100_000;

function bareSummary(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let size = 0;
    const timer = setTimeout(() => socket.destroy(new Error('bare loop: timeout')), TIMEOUT_MS);
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write('{"command":"summary"}'));
    socket.on('data', (c: Buffer) => {
      size += c.length;
      if (c.indexOf(0) >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(size);
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

interface Rate {
  perSecWall: number;
  cpuMsPerMiner: number;
  failures: number;
}

interface Tally {
  wallMs: number;
  cpuUs: number;
  failures: number;
}

/** One timed round; rounds of ours and the peer alternate so drift hits both alike. */
async function round(tally: Tally, once: () => Promise<number>): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  tally.failures += await once();
  tally.wallMs += performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  tally.cpuUs += cpu.user + cpu.system;
}

function report(name: string, t: Tally): Rate {
  const polled = MINERS * ROUNDS;
  const rate = { perSecWall: (polled / t.wallMs) * 1000, cpuMsPerMiner: t.cpuUs / 1000 / polled, failures: t.failures };
  console.log(`${name.padEnd(34)} ${rate.perSecWall.toFixed(0).padStart(7)} miners/s wall, ${(rate.cpuMsPerMiner * 1000).toFixed(0).padStart(4)} µs agent CPU/miner, ${t.failures} failures`);
  return rate;
}

export async function run(): Promise<void> {
  const script = fileURLToPath(new URL('./twin-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(MINERS), 'whatsminer'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const miners = await new Promise<MinerDevice[]>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as MinerDevice[]);
      });
      child.once('exit', (code) => reject(new Error(`bench twin exited with code ${code} before it was ready`)));
    });
    console.log(`${MINERS} twin miners (whatsminer dialect) in a child process, concurrency ${CONCURRENCY}, ${ROUNDS} rounds each`);
    const driver = cgminerDriver();
    const ours = async () => {
      let bad = 0;
      await pollTier(driver, miners, { timeoutMs: TIMEOUT_MS, concurrency: CONCURRENCY }, (r) => {
        if (r.status !== 'online') bad++;
      });
      return bad;
    };
    const peer = async () => {
      let bad = 0;
      await forEachBounded(miners, CONCURRENCY, async (m) => {
        await bareSummary(m.host, m.port).catch((err: unknown) => {
          bad++;
          if (bad === 1) console.error(`bare loop: ${(err as Error).message}`);
        });
      });
      return bad;
    };
    await ours(); // warm-up: JIT, twin's lazy state
    await peer();
    const tallyOurs: Tally = { wallMs: 0, cpuUs: 0, failures: 0 };
    const tallyPeer: Tally = { wallMs: 0, cpuUs: 0, failures: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      await round(tallyOurs, ours);
      await round(tallyPeer, peer);
    }
    const a = report('ours (poller → dialect → Reading)', tallyOurs);
    const b = report('peer (bare net request/response)', tallyPeer);
    const perCycle = (ms: number) => Math.floor(30_000 / ms);
    console.log(`ratio ours/peer: ${(a.perSecWall / b.perSecWall).toFixed(2)} by wall rate, ${(b.cpuMsPerMiner / a.cpuMsPerMiner).toFixed(2)} by agent CPU`);
    console.log(
      `miners per 30 s cycle on one agent core (from agent CPU per miner): ours ${perCycle(a.cpuMsPerMiner)}, peer ${perCycle(b.cpuMsPerMiner)}; target ${TARGET_PER_30S} (ours at ${((100 * perCycle(a.cpuMsPerMiner)) / TARGET_PER_30S).toFixed(0)} %)`,
    );
  } finally {
    child.stdin.end();
    await new Promise<void>((ok) => (child.exitCode !== null ? ok() : child.once('exit', () => ok())));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
