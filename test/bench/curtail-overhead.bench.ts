// Issue 15's engine-overhead acceptance: the engine's path (API → engine → queue → agent
// channel → executor, records written) against a bare CommandExecutor issuing the same
// commands, with devices that answer at once (the twin's miners add no latency of their own;
// Braiins and Avalon, one exchange each, so the device side is as small as it gets). Ratio of
// signal → last ack to the bare fan-out's time to its last ack, three runs.
import { ONE_EXCHANGE_GROUPS, writeBenchSite } from './curtail-site.ts';
import { load, peerExecutor, range, runEvent, runPeer, startBenchPlatform } from './curtail-runs.ts';

const MINERS = Number(process.env.SWITCHYARD_BENCH_OVERHEAD_MINERS ?? 10_000);
const SHED_MW = Number(process.env.SWITCHYARD_BENCH_OVERHEAD_SHED_MW ?? 15);
const RUNS = Number(process.env.SWITCHYARD_BENCH_RUNS ?? 3);

export async function run(): Promise<void> {
  console.log(`before: ${load()}`);
  const b = await startBenchPlatform(writeBenchSite(MINERS, { groups: ONE_EXCHANGE_GROUPS }), MINERS);
  try {
    console.log(`site: ${MINERS} twin miners (Braiins, Avalon), one agent, ${(b.loadW / 1e6).toFixed(1)} MW; shed ${SHED_MW} MW`);
    const ratios: number[] = [];
    const engine: number[] = [];
    const bare: number[] = [];
    const executor = peerExecutor(b.p);
    for (let i = 1; i <= RUNS; i++) {
      const e = await runEvent(b, SHED_MW);
      const pr = await runPeer(b, executor, e.sleeps);
      engine.push(e.signalToLastAckMs);
      bare.push(pr.ms);
      ratios.push(e.signalToLastAckMs / pr.ms);
      console.log(`run ${i}: engine signal → last ack ${e.signalToLastAckMs} ms for ${e.sleeps.length} sleeps (${e.failedSleeps} failed${e.failures ? `: ${e.failures}` : ''}); bare executor ${pr.ms.toFixed(0)} ms (${pr.failed} failed); ratio ${(e.signalToLastAckMs / pr.ms).toFixed(2)}; ${load()}`);
    }
    console.log(`summary over ${RUNS} runs (min–max): engine ${range(engine)} ms, bare ${range(bare)} ms, ratio ${range(ratios, 2)} (target ≤ 1.10)`);
  } finally {
    await b.stop();
    console.log(`after: ${load()}`);
  }
}
