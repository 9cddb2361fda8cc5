// Curtailment at scale: the whole platform as `npm start` runs it (twin and agent as child
// processes) on a 50,000-miner site. Measures signal → last acknowledgement and signal →
// revenue-meter confirmation for a large shed. Peer, in the same run: the same sleep
// commands fanned out by the agent's executor directly (no engine, queue, channel or
// planning) — the floor any curtailment path pays to reach the miners.
import '../support/quiet-logs.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandExecutor } from '../../agents/commands/executor.ts';
import { startPlatform } from '../../services/platform/platform.ts';
import { until } from '../support/curtail-platform.ts';
import { writeBenchSite } from './curtail-site.ts';

const MINERS = Number(process.env.SWITCHYARD_BENCH_MINERS ?? 50_000);
const SHED_MW = Number(process.env.SWITCHYARD_BENCH_SHED_MW ?? 80);

export async function run(): Promise<void> {
  const sitePath = writeBenchSite(MINERS);
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-curtail-'));
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
    curtailment: { restore: { rampMwPerMin: 1000, staggerMs: 500, minOffMs: 0 }, ...(process.env.SWITCHYARD_BENCH_DEVICE_TIMEOUT_MS ? { deviceTimeoutMs: Number(process.env.SWITCHYARD_BENCH_DEVICE_TIMEOUT_MS) } : {}) },
    ...(process.env.SWITCHYARD_BENCH_CONCURRENCY ? { agent: { commandConcurrency: Number(process.env.SWITCHYARD_BENCH_CONCURRENCY) } } : {}),
  });
  try {
    const admin = readFileSync(p.adminTokenPath, 'utf8').trim();
    await until(`all ${MINERS} miners online and the meter read`, () => {
      const s = p.live.snapshot();
      return s.powerW !== null && s.miners.online >= MINERS ? true : undefined;
    }, 180_000, 500);
    const loadMw = p.live.snapshot().powerW! / 1e6;
    const res = await p.app.inject({ method: 'POST', url: '/api/curtailment/events', headers: { authorization: `Bearer ${admin}` }, payload: { shedMw: SHED_MW, durationMs: 120_000, reason: 'benchmark' } });
    if (res.statusCode !== 202) throw new Error(`starting the event: ${res.statusCode} ${res.body}`);
    const { eventId } = res.json() as { eventId: string };
    await until('meter confirmation', () => {
      const r = p.curtailment.get(eventId);
      if (r && (r.status === 'failed' || r.status === 'aborted')) throw new Error(`event ${r.status}`);
      return r && r.status === 'meter-confirmed' ? r : undefined;
    }, 120_000, 20);
    const rec = await until('every shed command acknowledged', () => {
      const r = p.curtailment.get(eventId)!;
      return r.devices.some((d) => d.outcome === 'pending') ? undefined : r;
    }, 120_000, 50);
    const at = (k: string) => rec.timeline.find((e) => e.kind === k)?.atMs;
    const signal = at('signal-received')!;
    const acks = rec.devices.filter((d) => d.phase === 'shed' && d.ackAtMs !== undefined).map((d) => d.ackAtMs!);
    const lastAck = Math.max(...acks);
    const confirmed = at('meter-confirmed')!;
    const commands = rec.devices.filter((d) => d.phase === 'shed').length;
    const failed = rec.devices.filter((d) => d.outcome === 'failed').length;
    const meterAfterAck = rec.meterSamples.filter((s) => s.atMs > lastAck && s.atMs <= confirmed).length;
    const why = new Map<string, number>();
    for (const d of rec.devices) if (d.outcome === 'failed') why.set((d.error ?? '').replace(/[0-9.:]+/g, '#').slice(0, 120), (why.get((d.error ?? '').replace(/[0-9.:]+/g, '#').slice(0, 120)) ?? 0) + 1);
    for (const [e, n] of [...why].sort((x, y) => y[1] - x[1]).slice(0, 5)) console.log(`  failed ×${n}: ${e}`);
    console.log(`site: ${MINERS} twin miners, ${loadMw.toFixed(1)} MW at the revenue meter; shed ${SHED_MW} MW → ${commands} commands (${failed} failed)`);
    console.log(`signal → plan ${(at('plan-made')! - signal)} ms, → first command ${at('first-command')! - signal} ms, → last ack ${lastAck - signal} ms, → meter confirmed ${confirmed - signal} ms (${confirmed <= lastAck ? 'before the last ack' : `meter sample #${meterAfterAck} after the last ack`})`);

    // Peer: the same sleeps straight from an executor (after the event restores every miner).
    await p.curtailment.end(eventId, 'benchmark: measuring the peer');
    await until('restore', () => (p.curtailment.status(eventId) === 'done' ? true : undefined), 300_000, 100);
    const rest = p.curtailment.get(eventId)!;
    console.log(`restore: ${rest.devices.filter((d) => d.phase === 'restore' && d.outcome === 'acked').length} woken, ${rest.devices.filter((d) => d.phase === 'restore' && d.outcome === 'failed').length} failed; meter ${(p.live.snapshot().powerW! / 1e6).toFixed(1)} MW`);
    await until('miners awake', () => (p.live.snapshot().powerW! / 1e6 > loadMw - 3 ? true : undefined), 180_000, 500).catch((err: Error) => {
      throw new Error(`${err.message}: meter ${(p.live.snapshot().powerW! / 1e6).toFixed(1)} MW of ${loadMw.toFixed(1)} MW`);
    });
    const executor = new CommandExecutor({ miners: p.devices.miners, ...(process.env.SWITCHYARD_BENCH_CONCURRENCY ? { concurrency: Number(process.env.SWITCHYARD_BENCH_CONCURRENCY) } : {}), ...(p.devices.antminerWebPort !== undefined ? { minerWebPort: p.devices.antminerWebPort } : {}) });
    const shedCommands = rec.devices.filter((d) => d.phase === 'shed' && d.outcome === 'acked').map((d) => ({ deviceId: d.deviceId, blockId: d.blockId, action: 'sleep' as const, expectedDeltaW: d.expectedDeltaW }));
    const t0 = performance.now();
    const peerAcks = await executor.run(shedCommands, { deviceTimeoutMs: 2000, attempts: 2 });
    const peerMs = performance.now() - t0;
    await executor.run(shedCommands.map((c) => ({ ...c, action: 'wake' as const })), { deviceTimeoutMs: 2000, attempts: 2 });
    console.log(`peer: ${shedCommands.length} sleeps fanned out directly in ${peerMs.toFixed(0)} ms (${peerAcks.filter((a) => !a.ok).length} failed)`);
    const meterNote = confirmed <= lastAck ? `the meter confirmed the target ${lastAck - confirmed} ms before the last ack (the shed reached the target before every device had answered)` : `meter confirmation ${confirmed - lastAck} ms after the last ack`;
    console.log(`ratio: signal → last ack takes ${((lastAck - signal) / peerMs).toFixed(2)}× the bare fan-out; ${meterNote} (meter polled every 2 s, shipped every 2 s)`);
  } finally {
    await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
