import WebSocket from 'ws';
import { check } from '../../services/domain/schema.ts';
import { errorMessage } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';
import { stepUnderFrequency, underFrequencyState, type UnderFrequencyState } from '../../services/agent-contract/under-frequency.ts';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import type { CommandExecutor } from './executor.ts';
import type { ActuatorRunner } from '../drivers/actuator-runner.ts';
import { runCommands } from './run-commands.ts';
import { CHANNEL_PROTOCOL, ToAgent, type CommandBatch, type DeviceAck, type FromAgent } from '../../services/agent-contract/protocol.ts';

/**
 * The agent's end of the command channel. It runs the batches the control plane sends and
 * answers with acks; what it cannot send (the link is down) waits and goes first when the
 * link is back. It is also the fail-safe: cut off during an active event, it carries out the
 * rest of that event's plan on its own after `failSafeGraceMs`; and when its own revenue
 * meter shows under-frequency it runs the standing under-frequency plan — both reported later.
 * It never restores on its own: restoring is the control plane's decision.
 */

/** An event that starts at least this far ahead is pre-armed (below it the batch comes first). */
const PREPARE_LEAD_MS = 1_000;

export interface ChannelOptions {
  controlPlaneUrl: string;
  token: string;
  agentId: string;
  executor: CommandExecutor;
  /** Called with the event of each plan in force (null: none): the agent polls its revenue meter fast while one is active. */
  onPlanInForce?: (eventId: string | null) => void;
  /** PDU outlets and relay coils (power-off / power-on), when the site has any. */
  actuators?: ActuatorRunner;
  log: Logger;
  /** How long the link may be down during an active event before the agent sheds on its own. */
  failSafeGraceMs?: number;
  /** Called when a batch starts; returns the function to call when it is done (the agent pauses miner polling). */
  onBusy?: () => () => void;
  /** Acks go back in chunks as they come, at most this often (default 200 ms). */
  ackFlushMs?: number;
  /** Deadline per device when running a plan on its own. */
  localDeviceTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  now?: () => number;
}

export interface ChannelStats {
  connected: boolean;
  batches: number;
  localSheds: number;
  queuedReports: number;
}

export class CommandChannel {
  private ws: WebSocket | null = null;
  private stopped = false;
  private reconnectMs: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private failSafeTimer: NodeJS.Timeout | null = null;
  private readonly outbox: FromAgent[] = [];
  private plan: { eventId: string; startMs: number; commands: DeviceCommand[] } | null = null;
  /** Devices whose shed command for the plan in force has succeeded. */
  private readonly done = new Set<string>();
  private ufPlan: { tripHz: number; commands: DeviceCommand[] } | null = null;
  private uf: UnderFrequencyState = underFrequencyState();
  private ufTripped = false;
  private wasConnected = false;
  private stats_: ChannelStats = { connected: false, batches: 0, localSheds: 0, queuedReports: 0 };
  private readonly now: () => number;

  constructor(private readonly o: ChannelOptions) {
    this.reconnectMs = o.reconnectMinMs ?? 250;
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.connect();
  }

  stats(): ChannelStats {
    return { ...this.stats_, queuedReports: this.outbox.length };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.o.actuators?.close();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.failSafeTimer) clearTimeout(this.failSafeTimer);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1001, 'agent stopping');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000).unref();
      });
    }
  }

  /** The revenue meter's frequency, as the agent reads it (its own trigger, no link needed). */
  onFrequency(atMs: number, hz: number | null): void {
    const step = stepUnderFrequency(this.uf, { atMs, hz });
    this.uf = step.state;
    if (step.action === 'trip' && !this.ufTripped) {
      this.ufTripped = true;
      this.o.log.warn({ hz, atMs }, 'under-frequency at the revenue meter: running the standing plan');
      void this.runLocally('under-frequency', null, this.ufPlan?.commands ?? [], `frequency ${hz} Hz`);
    } else if (step.action === 'release' && this.ufTripped) {
      this.ufTripped = false;
      this.o.log.info({ hz, atMs }, 'frequency back to normal; restore waits for the control plane');
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const url = `${this.o.controlPlaneUrl.replace(/^http/, 'ws')}/api/agent/channel`;
    const ws = new WebSocket(url, [CHANNEL_PROTOCOL], { headers: { authorization: `Bearer ${this.o.token}` }, handshakeTimeout: 5000 });
    this.ws = ws;
    ws.on('open', () => {
      this.stats_.connected = true;
      this.reconnectMs = this.o.reconnectMinMs ?? 250;
      if (this.failSafeTimer) clearTimeout(this.failSafeTimer);
      this.failSafeTimer = null;
      if (!this.wasConnected || this.outbox.length) this.o.log.info({ url, queued: this.outbox.length }, 'command channel up');
      this.wasConnected = true;
      this.flush();
    });
    ws.on('message', (data) => this.onMessage(String(data)));
    ws.on('error', (err) => {
      if (this.stats_.connected || !this.wasConnected) this.o.log.debug({ err: errorMessage(err) }, 'command channel error');
    });
    ws.on('close', () => {
      const was = this.stats_.connected;
      this.stats_.connected = false;
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (was) {
        this.o.log.warn({ activeEvent: this.plan?.eventId ?? null }, 'command channel lost');
        this.armFailSafe();
      }
      this.reconnectTimer = setTimeout(() => this.connect(), this.reconnectMs);
      this.reconnectMs = Math.min(this.o.reconnectMaxMs ?? 5000, this.reconnectMs * 2);
    });
  }

  private onMessage(text: string): void {
    let msg: ToAgent;
    try {
      msg = check(ToAgent, JSON.parse(text), 'command channel message');
    } catch (err) {
      this.o.log.error({ err: errorMessage(err) }, 'ignoring an invalid command channel message');
      return;
    }
    if (msg.type === 'plan-in-force') {
      if (msg.eventId !== this.plan?.eventId) {
        this.done.clear();
        if (msg.eventId !== null && msg.startMs > this.now() + PREPARE_LEAD_MS) void this.prepare(msg.eventId, msg.commands);
      }
      this.plan = msg.eventId === null ? null : { eventId: msg.eventId, startMs: msg.startMs, commands: msg.commands };
      this.o.onPlanInForce?.(msg.eventId);
      if (!this.stats_.connected) this.armFailSafe();
      return;
    }
    if (msg.type === 'under-frequency-plan') {
      this.ufPlan = { tripHz: msg.tripHz, commands: msg.commands };
      this.uf = underFrequencyState({ tripHz: msg.tripHz });
      return;
    }
    void this.runBatch(msg);
  }

  /**
   * An event announced ahead: its miners get their auth ready now (tokens, nonces), so at the
   * start each command makes only the exchanges that act.
   */
  private async prepare(eventId: string, commands: readonly DeviceCommand[]): Promise<void> {
    const ids = commands.filter((c) => c.action !== 'gpu-power-cap').map((c) => c.deviceId);
    const r = await this.o.executor.prepare(ids, this.o.localDeviceTimeoutMs ?? 3000);
    if (r.failed) this.o.log.warn({ eventId, prepared: r.prepared, failed: r.failed, errors: r.errors }, 'pre-arming miners for an announced event: some failed (their commands will authenticate in full)');
    else this.o.log.info({ eventId, prepared: r.prepared }, 'miners pre-armed for an announced event');
  }

  private async runBatch(b: CommandBatch): Promise<void> {
    this.stats_.batches++;
    const release = this.o.onBusy?.();
    // Acks stream back as devices answer, so the control plane sees progress (and the last
    // ack's real time) instead of one message when the slowest device has timed out.
    let pending: DeviceAck[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      this.send({ type: 'acks', batchId: b.batchId, eventId: b.eventId, acks: pending });
      pending = [];
    };
    const timer = setInterval(flush, this.o.ackFlushMs ?? 200);
    try {
      await runCommands(this.o.executor, this.o.actuators, b.commands, {
        deviceTimeoutMs: b.deviceTimeoutMs,
        attempts: b.attempts,
        onAck: (a) => {
          if (a.ok && b.phase === 'shed' && this.plan?.eventId === b.eventId) this.done.add(a.deviceId);
          pending.push(a);
          if (pending.length >= 5000) flush();
        },
      });
    } finally {
      clearInterval(timer);
      flush();
      release?.();
    }
  }

  private armFailSafe(): void {
    if (!this.plan || this.failSafeTimer) return;
    const plan = this.plan;
    // Not before the event starts: a pre-armed plan waits for its start time.
    const waitMs = Math.max(this.o.failSafeGraceMs ?? 3000, plan.startMs - this.now());
    this.failSafeTimer = setTimeout(() => {
      this.failSafeTimer = null;
      if (this.stats_.connected || this.plan !== plan) return;
      const rest = plan.commands.filter((c) => !this.done.has(c.deviceId));
      this.o.log.warn({ eventId: plan.eventId, commands: rest.length }, 'control plane still unreachable during an active event: shedding locally per the last plan');
      void this.runLocally('control-plane-lost', plan.eventId, rest, `link down for at least ${this.o.failSafeGraceMs ?? 3000} ms at the event's start`);
    }, waitMs);
  }

  private async runLocally(reason: 'control-plane-lost' | 'under-frequency', eventId: string | null, commands: DeviceCommand[], detail: string): Promise<void> {
    this.stats_.localSheds++;
    const release = this.o.onBusy?.();
    const acks: DeviceAck[] = commands.length ? await runCommands(this.o.executor, this.o.actuators, commands, { deviceTimeoutMs: this.o.localDeviceTimeoutMs ?? 3000, attempts: 2 }) : [];
    release?.();
    for (const a of acks) if (a.ok) this.done.add(a.deviceId);
    const failed = acks.filter((a) => !a.ok).length;
    this.o.log.warn({ reason, eventId, commands: acks.length, failed }, 'local shed done; reporting when the control plane is back');
    this.send({ type: 'local-shed', reason, eventId, atMs: this.now(), detail, acks });
  }

  private send(msg: FromAgent): void {
    this.outbox.push(msg);
    this.flush();
  }

  private flush(): void {
    const ws = this.ws;
    while (ws && ws.readyState === WebSocket.OPEN && this.outbox.length) {
      const msg = this.outbox.shift()!;
      ws.send(JSON.stringify(msg), (err) => {
        if (!err) return;
        // Not lost: it goes again, first, when the link is back.
        this.outbox.unshift(msg);
        this.o.log.warn({ err: errorMessage(err) }, 'sending on the command channel failed; will resend');
      });
    }
  }
}
