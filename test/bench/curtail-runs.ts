// Shared by the curtail-economic and curtail-overhead benchmarks: the platform as `npm start`
// runs it (twin and agents as child processes), one event at a time through the API, and the
// same sleeps fanned out by a bare CommandExecutor in this process as the peer.
import '../support/quiet-logs.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandExecutor, type CommandCpu } from '../../agents/commands/executor.ts';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import type { EventRecord } from '../../services/curtailment/event-record.ts';
import { startPlatform, type Platform } from '../../services/platform/platform.ts';
import { until } from '../support/curtail-platform.ts';
import { parsePrometheus } from '../support/prometheus.ts';

export const load = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/^.*load average/, 'load average');
export const range = (xs: number[], digits = 0): string => (xs.length ? `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}` : 'n/a');

export interface BenchPlatform {
  p: Platform;
  loadW: number;
  stop(): Promise<void>;
}

export async function startBenchPlatform(sitePath: string, miners: number): Promise<BenchPlatform> {
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
    curtailment: { restore: { rampMwPerMin: 1000, staggerMs: 500, minOffMs: 0 } },
    agent: { metricsPort: 0 },
  });
  // 99%: on a loaded 2-core machine a few twin miners miss a poll now and then; the plan
  // takes only the online ones either way.
  await until(`99% of ${miners} miners online and the meter read`, () => {
    const s = p.live.snapshot();
    return s.powerW !== null && s.miners.online >= 0.99 * miners ? true : undefined;
  }, 600_000, 500).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(p.live.snapshot().miners)}`);
  });
  return {
    p,
    loadW: p.live.snapshot().powerW!,
    stop: async () => {
      await p.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface EventRun {
  record: EventRecord;
  signalToConfirmedMs: number;
  signalToLastAckMs: number;
  /** The sleeps sent before the meter confirmed (the plan that reached the target). */
  sleeps: DeviceCommand[];
  failedSleeps: number;
  /** The commonest failure reasons (numbers folded), with counts. */
  failures: string;
  failedWakes: number;
  restoredMw: number;
}

/**
 * Starts an operator event through the API (admin token) and waits for it to be meter-confirmed
 * and for every shed command to be acknowledged or failed; the record then. Throws if the event
 * fails or is aborted, or a wait passes `timeoutMs`.
 */
export async function startEventToAcks(p: Platform, payload: Record<string, unknown>, timeoutMs: number): Promise<{ eventId: string; rec: EventRecord }> {
  const admin = readFileSync(p.adminTokenPath, 'utf8').trim();
  const res = await p.app.inject({ method: 'POST', url: '/api/curtailment/events', headers: { authorization: `Bearer ${admin}` }, payload });
  if (res.statusCode !== 202) throw new Error(`starting the event: ${res.statusCode} ${res.body}`);
  const { eventId } = res.json() as { eventId: string };
  await until('meter confirmation', () => {
    const r = p.curtailment.get(eventId);
    if (r && (r.status === 'failed' || r.status === 'aborted')) throw new Error(`event ${r.status}`);
    return r && r.status === 'meter-confirmed' ? r : undefined;
  }, timeoutMs, 20);
  const rec = await until('every shed command acknowledged', () => {
    const r = p.curtailment.get(eventId)!;
    return r.devices.some((d) => d.outcome === 'pending') ? undefined : r;
  }, timeoutMs, 50);
  return { eventId, rec };
}

/** One event through the API: signal → meter-confirmed, every ack, then end and restore in full. */
export async function runEvent(b: BenchPlatform, shedMw: number): Promise<EventRun> {
  const { p } = b;
  const { eventId, rec } = await startEventToAcks(p, { shedMw, durationMs: 600_000, reason: 'benchmark' }, 180_000);
  const at = (k: string) => rec.timeline.find((e) => e.kind === k)?.atMs;
  const signal = at('signal-received')!;
  const confirmed = at('meter-confirmed')!;
  const firstPlan = rec.devices.filter((d) => d.phase === 'shed' && d.sentAtMs <= confirmed);
  const lastAck = Math.max(...firstPlan.filter((d) => d.ackAtMs !== undefined).map((d) => d.ackAtMs!));
  await p.curtailment.end(eventId, 'benchmark: next');
  const done = await until('restore', () => (p.curtailment.status(eventId) === 'done' ? p.curtailment.get(eventId) : undefined), 600_000, 100);
  const lastRestore = new Map(done!.devices.filter((d) => d.phase === 'restore').map((d) => [d.deviceId, d]));
  const shedIds = new Set(done!.devices.filter((d) => d.phase === 'shed').map((d) => d.deviceId));
  const failedWakes = [...shedIds].filter((id) => lastRestore.get(id)?.outcome !== 'acked').length;
  await until('miners awake on the meter', () => (p.live.snapshot().powerW! > b.loadW - 3e6 ? true : undefined), 300_000, 500).catch((err: Error) => {
    throw new Error(`${err.message}: meter ${(p.live.snapshot().powerW! / 1e6).toFixed(1)} MW of ${(b.loadW / 1e6).toFixed(1)} MW`);
  });
  const why = new Map<string, number>();
  for (const d of done!.devices) if (d.outcome === 'failed') why.set(`${d.phase}: ${(d.error ?? '').replace(/^[a-z-]+ (?:[0-9]+ W )?on \S+: /, '').replace(/[0-9.:]+/g, '#').slice(0, 100)}`, (why.get(`${d.phase}: ${(d.error ?? '').replace(/^[a-z-]+ (?:[0-9]+ W )?on \S+: /, '').replace(/[0-9.:]+/g, '#').slice(0, 100)}`) ?? 0) + 1);
  return {
    record: done!,
    failures: [...why].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([e, n]) => `${n}× ${e}`).join('; '),
    signalToConfirmedMs: confirmed - signal,
    signalToLastAckMs: lastAck - signal,
    sleeps: firstPlan.filter((d) => d.outcome === 'acked' && d.action === 'sleep').map((d) => ({ deviceId: d.deviceId, blockId: d.blockId, action: 'sleep' as const, expectedDeltaW: d.expectedDeltaW })),
    failedSleeps: firstPlan.filter((d) => d.outcome === 'failed').length,
    failedWakes,
    restoredMw: p.live.snapshot().powerW! / 1e6,
  };
}

/** The peer: the same sleeps from a bare executor in this process, timed to the last ack; then woken. */
export async function runPeer(b: BenchPlatform, executor: CommandExecutor, sleeps: DeviceCommand[]): Promise<{ ms: number; failed: number }> {
  const t0 = performance.now();
  const acks = await executor.run(sleeps, { deviceTimeoutMs: 5000, attempts: 2 });
  const ms = performance.now() - t0;
  const wakes = await executor.run(sleeps.map((c) => ({ ...c, action: 'wake' as const, expectedDeltaW: -c.expectedDeltaW })), { deviceTimeoutMs: 5000, attempts: 2 });
  const stillAsleep = wakes.filter((a) => !a.ok).length;
  if (stillAsleep) throw new Error(`peer: ${stillAsleep} wakes failed`);
  await until('miners awake on the meter after the peer', () => (b.p.live.snapshot().powerW! > b.loadW - 3e6 ? true : undefined), 300_000, 500);
  return { ms, failed: acks.filter((a) => !a.ok).length };
}

export function peerExecutor(p: Platform): CommandExecutor {
  return new CommandExecutor({ miners: p.devices.miners, ...(p.devices.antminerWebPort !== undefined ? { minerWebPort: p.devices.antminerWebPort } : {}) });
}

/** Per dialect from every agent's /metrics: command tries and client CPU seconds (running totals). */
export async function agentCommandCpu(p: Platform): Promise<CommandCpu> {
  const out: CommandCpu = {};
  for (const url of p.agentMetricsUrls) {
    const families = parsePrometheus(await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text());
    for (const f of families.values()) {
      if (f.name !== 'switchyard_agent_command_cpu_seconds_total' && f.name !== 'switchyard_agent_command_tries_total') continue;
      for (const m of f.metrics) {
        const dialect = m.labels?.dialect as keyof CommandCpu | undefined;
        if (dialect === undefined) continue;
        const t = (out[dialect] ??= { tries: 0, cpuUs: 0 });
        if (f.name === 'switchyard_agent_command_tries_total') t.tries += Number(m.value);
        else t.cpuUs += Number(m.value) * 1e6;
      }
    }
  }
  return out;
}

export function cpuDelta(after: CommandCpu, before: CommandCpu): CommandCpu {
  const out: CommandCpu = {};
  for (const [k, v] of Object.entries(after) as Array<[keyof CommandCpu, { tries: number; cpuUs: number }]>) {
    const b = before[k] ?? { tries: 0, cpuUs: 0 };
    if (v.tries - b.tries > 0) out[k] = { tries: v.tries - b.tries, cpuUs: v.cpuUs - b.cpuUs };
  }
  return out;
}

/** ms of client CPU per command try, per dialect. */
export function cpuPerCommandMs(c: CommandCpu): Record<string, number> {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.cpuUs / 1000 / v.tries]));
}
