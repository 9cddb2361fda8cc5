import { EventEmitter } from 'node:events';
import type { AckBatch, CommandBatch, DeviceAck, ToAgent } from '../../services/agent-contract/protocol.ts';
import type { CommandHub } from '../../services/curtailment/command-hub.ts';

/**
 * An agent's command channel for the engine's unit tests: it records what it is sent and, as a
 * well-behaved agent would, applies each command to its own idea of the devices (asleep or at
 * a power target) and acknowledges it. Tests may hold acks back, fail devices, or disconnect.
 */
export class FakeCommandHub extends EventEmitter implements CommandHub {
  readonly batches: CommandBatch[] = [];
  readonly plans: ToAgent[] = [];
  /** Devices asleep, and power targets set, as the fake agent left them. */
  readonly asleep = new Set<string>();
  readonly targets = new Map<string, number>();
  /** Devices whose commands fail (with this error). */
  readonly failing = new Map<string, string>();
  connected = true;
  /** False: batches wait in `held` until release(). */
  autoAck = true;
  readonly held: CommandBatch[] = [];

  constructor(
    readonly agentId = 'agent-1',
    /** The agent's clock for ack times (a test may run the engine on its own clock). */
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  connectedAgents(): string[] {
    return this.connected ? [this.agentId] : [];
  }

  sendBatch(agentId: string, batch: CommandBatch): boolean {
    if (!this.connected || agentId !== this.agentId) return false;
    this.batches.push(batch);
    if (this.autoAck) queueMicrotask(() => this.ack(batch));
    else this.held.push(batch);
    return true;
  }

  broadcastSticky(_key: 'plan-in-force' | 'under-frequency-plan', msg: ToAgent): void {
    this.plans.push(msg);
  }

  /** Carries out and acknowledges the held batches. */
  release(): void {
    for (const b of this.held.splice(0)) this.ack(b);
  }

  /** Drops the held batches: the agent never ran them (a lost channel). */
  drop(): void {
    this.held.splice(0);
  }

  commands(phase: 'shed' | 'restore'): CommandBatch['commands'] {
    return this.batches.filter((b) => b.phase === phase).flatMap((b) => b.commands);
  }

  private ack(batch: CommandBatch): void {
    const now = this.now();
    const acks: DeviceAck[] = batch.commands.map((c) => {
      const error = this.failing.get(c.deviceId);
      if (error !== undefined) return { deviceId: c.deviceId, ok: false, atMs: now, tries: 1, error };
      if (c.action === 'sleep') this.asleep.add(c.deviceId);
      else if (c.action === 'wake') this.asleep.delete(c.deviceId);
      else if (c.targetW !== undefined) this.targets.set(c.deviceId, c.targetW);
      return { deviceId: c.deviceId, ok: true, atMs: now, tries: 1 };
    });
    const msg: AckBatch = { type: 'acks', batchId: batch.batchId, eventId: batch.eventId, acks };
    this.emit('acks', this.agentId, msg);
  }
}
