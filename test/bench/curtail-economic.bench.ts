// Issue 15's economic acceptance: sleeps only, 50,000 twin miners of all five firmwares in five
// halls with one agent each (the platform as `npm start` runs it: twin and agents as child
// processes), shed 80 MW. Measures signal → revenue-meter confirmation (and → the last ack of
// the plan that reached the target), failed sleeps and wakes (a restore must wake every
// miner), per-dialect client CPU per command from the agents' /metrics, three runs. Peer, in
// the same runs: the same sleeps fanned out by a bare CommandExecutor in this process.
import { writeBenchSite } from './curtail-site.ts';
import { agentCommandCpu, cpuDelta, cpuPerCommandMs, load, peerExecutor, range, runEvent, runPeer, startBenchPlatform } from './curtail-runs.ts';

const MINERS = Number(process.env.SWITCHYARD_BENCH_MINERS ?? 50_000);
const SHED_MW = Number(process.env.SWITCHYARD_BENCH_SHED_MW ?? 80);
const RUNS = Number(process.env.SWITCHYARD_BENCH_RUNS ?? 3);

export async function run(): Promise<void> {
  console.log(`before: ${load()}`);
  const b = await startBenchPlatform(writeBenchSite(MINERS, { agentsPerHall: true }), MINERS);
  try {
    console.log(`site: ${MINERS} twin miners (Antminer, Whatsminer, Braiins, LuxOS, Avalon), ${b.p.agentIds.length} agents, ${(b.loadW / 1e6).toFixed(1)} MW at the revenue meter; shed ${SHED_MW} MW, sleeps only (operator event, default fast plan)`);
    const confirmed: number[] = [];
    const lastAck: number[] = [];
    const peer: number[] = [];
    const perDialect = new Map<string, number[]>();
    const executor = peerExecutor(b.p);
    for (let i = 1; i <= RUNS; i++) {
      const cpu0 = await agentCommandCpu(b.p);
      const e = await runEvent(b, SHED_MW);
      const cpu = cpuPerCommandMs(cpuDelta(await agentCommandCpu(b.p), cpu0));
      for (const [k, v] of Object.entries(cpu)) perDialect.set(k, [...(perDialect.get(k) ?? []), v]);
      const firmware = new Map(b.p.devices.miners.map((m) => [m.id, m.firmware]));
      const mix = new Map<string, number>();
      for (const c of e.sleeps) mix.set(firmware.get(c.deviceId)!, (mix.get(firmware.get(c.deviceId)!) ?? 0) + 1);
      const pr = await runPeer(b, executor, e.sleeps);
      confirmed.push(e.signalToConfirmedMs);
      lastAck.push(e.signalToLastAckMs);
      peer.push(pr.ms);
      console.log(
        `run ${i}: signal → meter confirmed ${e.signalToConfirmedMs} ms, → last ack of that plan ${e.signalToLastAckMs} ms; ${e.sleeps.length} sleeps (${[...mix].map(([k, n]) => `${k} ${n}`).join(', ')}), ${e.failedSleeps} failed${e.failures ? ` (${e.failures})` : ''}; restore: ${e.failedWakes} failed wakes, meter back to ${e.restoredMw.toFixed(1)} MW; peer: same sleeps in ${pr.ms.toFixed(0)} ms (${pr.failed} failed); client CPU ms/command ${Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}; ${load()}`,
      );
    }
    console.log(`summary over ${RUNS} runs (min–max): signal → meter confirmed ${range(confirmed)} ms (target < 10,000); → last ack ${range(lastAck)} ms; peer (bare executor, same sleeps) ${range(peer)} ms`);
    console.log(`client CPU per command (agents, ms, min–max): ${[...perDialect].map(([k, v]) => `${k} ${range(v, 2)}`).join(', ')}`);
  } finally {
    await b.stop();
    console.log(`after: ${load()}`);
  }
}
