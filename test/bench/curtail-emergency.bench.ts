// Emergency curtailment at scale (issue 15): the whole platform as `npm start` runs it (twin
// and agent as child processes) on the 50,000-miner site with 64 relay modules and 625
// switched PDUs in front of the miners. An operator event with allowHardCut sheds 80 MW; the
// engine plans the fewest commands (relay coils first), the agent switches the twin's relays
// (Modbus Write Multiple Coils) and PDUs (SNMP SET), and the revenue meter — polled on its own
// 1 s schedule while the event is active — confirms. Measured per run: signal → first command,
// → last ack, → meter confirmed. Peer, in the same run: a bare ActuatorRunner in this process
// sending the same channel commands to the twin (no engine, queue, channel or planning).
// SWITCHYARD_BENCH_RUNS runs (default 3), min–max printed.
import '../support/quiet-logs.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActuatorRunner } from '../../agents/drivers/actuator-runner.ts';
import { loadProfile } from '../../agents/drivers/snmp/profile.ts';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import { startPlatform } from '../../services/platform/platform.ts';
import { until } from '../support/curtail-platform.ts';
import { writeEmergencyBenchSite } from './curtail-emergency-site.ts';
import { startEventToAcks } from './curtail-runs.ts';

const MINERS = Number(process.env.SWITCHYARD_BENCH_MINERS ?? 50_000);
const SHED_MW = Number(process.env.SWITCHYARD_BENCH_SHED_MW ?? 80);
const RUNS = Number(process.env.SWITCHYARD_BENCH_RUNS ?? 3);

interface RunResult {
  firstCommandMs: number;
  lastAckMs: number;
  confirmedMs: number;
  peerMs: number;
  commands: number;
  requests: number;
}

const range = (xs: number[], unit = 'ms') => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} ${unit}`;

export async function run(): Promise<void> {
  const sitePath = writeEmergencyBenchSite(MINERS);
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-emergency-'));
  const p = await startPlatform({
    sitePath,
    port: 0,
    host: '127.0.0.1',
    dataDir,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    children: 'fork',
    minerPort: 0,
    meterPort: 0,
    print: () => undefined,
    curtailment: { restore: { rampMwPerMin: 1000, staggerMs: 500, minOffMs: 0 } },
  });
  const peer = new ActuatorRunner({ actuators: p.devices.actuators! });
  const outletsPerSet = new Map(p.devices.actuators!.pdus.map((x) => [x.id, loadProfile(x.profile).outletControl!.maxOutletsPerSet]));
  const results: RunResult[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      await until(`all ${MINERS} miners online and the meter read`, () => {
        const s = p.live.snapshot();
        return s.powerW !== null && s.miners.online >= MINERS ? true : undefined;
      }, 300_000, 500);
      const loadMw = p.live.snapshot().powerW! / 1e6;
      const { eventId, rec } = await startEventToAcks(p, { shedMw: SHED_MW, durationMs: 120_000, reason: `benchmark: emergency run ${i + 1}`, allowHardCut: true }, 120_000);
      const at = (k: string) => rec.timeline.find((e) => e.kind === k)?.atMs;
      const signal = at('signal-received')!;
      const shed = rec.devices.filter((d) => d.phase === 'shed');
      const lastAck = Math.max(...shed.filter((d) => d.ackAtMs !== undefined).map((d) => d.ackAtMs!));
      const confirmed = at('meter-confirmed')!;
      const failed = shed.filter((d) => d.outcome === 'failed').length;
      // Requests as the agent's runner sends them: per PDU ⌈outlets / maxOutletsPerSet⌉ SETs,
      // per relay module one Write Multiple Coils (plus a Read Coils when the coils have gaps).
      const byActuator = new Map<string, number[]>();
      for (const d of shed) {
        const [actuator, ch] = d.deviceId.split('/');
        if (ch === undefined) continue;
        byActuator.set(actuator!, [...(byActuator.get(actuator!) ?? []), Number(ch.slice(1))]);
      }
      let requests = 0;
      for (const [actuator, chs] of byActuator) {
        const per = outletsPerSet.get(actuator);
        if (per !== undefined) requests += Math.ceil(chs.length / per);
        else requests += Math.max(...chs) - Math.min(...chs) + 1 === chs.length ? 1 : 2;
      }
      const sleeps = shed.filter((d) => d.action !== 'power-off').length;
      console.log(`run ${i + 1}: site ${MINERS} miners, ${loadMw.toFixed(1)} MW; shed ${SHED_MW} MW → ${shed.length} commands (${shed.length - sleeps} outlets/coils, ${sleeps} miner sleeps, ${failed} failed) in ${requests} requests to ${byActuator.size} actuators`);
      console.log(`  signal → plan ${at('plan-made')! - signal} ms, → first command ${at('first-command')! - signal} ms, → last ack ${lastAck - signal} ms, → meter confirmed ${confirmed - signal} ms`);

      // Restore (power-on within inrush limits, miners boot and report), then the peer.
      await p.curtailment.end(eventId, 'benchmark: measuring the peer');
      await until('restore', () => (p.curtailment.status(eventId) === 'done' ? true : undefined), 600_000, 200);
      const channels: DeviceCommand[] = shed.filter((d) => d.action === 'power-off' && d.outcome === 'acked').map((d) => ({ deviceId: d.deviceId, blockId: d.blockId, action: 'power-off', expectedDeltaW: d.expectedDeltaW }));
      const t0 = performance.now();
      const acks = await peer.run(channels, { deviceTimeoutMs: 2000, attempts: 2 });
      const peerMs = performance.now() - t0;
      await peer.run(channels.map((c) => ({ ...c, action: 'power-on' as const })), { deviceTimeoutMs: 2000, attempts: 2 });
      console.log(`  peer: a bare ActuatorRunner switched the same ${channels.length} outlets/coils in ${peerMs.toFixed(0)} ms (${acks.filter((a) => !a.ok).length} failed); ratio last ack / peer ${((lastAck - signal) / peerMs).toFixed(2)}×`);
      results.push({ firstCommandMs: at('first-command')! - signal, lastAckMs: lastAck - signal, confirmedMs: confirmed - signal, peerMs, commands: shed.length, requests });
    }
    console.log(`summary (${results.length} runs): ${results[0]?.commands} commands in ${results[0]?.requests} requests; signal → first command ${range(results.map((r) => r.firstCommandMs))}, → last ack ${range(results.map((r) => r.lastAckMs))}, → meter confirmed ${range(results.map((r) => r.confirmedMs))}; peer ${range(results.map((r) => r.peerMs))} (revenue meter read every 1 s while the event is active)`);
  } finally {
    peer.close();
    await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
