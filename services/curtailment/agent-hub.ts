import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { FromAgent, type AckBatch, type CommandBatch, type LocalShedReport, type ToAgent } from '../agent-contract/protocol.ts';
import { check } from '../domain/schema.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';

/**
 * The control plane's end of the agents' command channels. It sends each agent its batches
 * and the plan in force, and hands the acks and local-shed reports that come back to whoever
 * listens (the curtailment engine). An agent that is not connected cannot be sent to: the
 * caller learns it at once and treats those devices as failed (re-planned onto others).
 */

export interface HubEvents {
  acks: (agentId: string, batch: AckBatch) => void;
  'local-shed': (agentId: string, report: LocalShedReport) => void;
  connected: (agentId: string) => void;
  disconnected: (agentId: string) => void;
}

/**
 * Why acks were refused: a batch this hub never sent, one sent to another agent, a device not
 * in the batch, or (in a local-shed report) a device another agent reads.
 */
export type AckRejectReason = 'unknown-batch' | 'other-agent' | 'device-not-in-batch' | 'not-owner';

export interface AgentHubOptions {
  /** The agent that reads a device (undefined: none yet); a local-shed report may only cover its own. */
  ownerOf?: (deviceId: string) => string | undefined;
}

/** Batches awaiting acks, remembered at most this many (oldest forgotten first). */
const MAX_OPEN_BATCHES = 10_000;

export class AgentHub extends EventEmitter {
  private readonly sockets = new Map<string, WebSocket>();
  /** Where each batch went and which devices it named: acks are taken only from that agent, for those devices. */
  private readonly sent = new Map<string, { agentId: string; pending: Set<string> }>();
  private readonly ackRejects: Record<AckRejectReason, number> = { 'unknown-batch': 0, 'other-agent': 0, 'device-not-in-batch': 0, 'not-owner': 0 };
  /** Messages every newly connected agent gets (the plan in force, the standing UF plan). */
  private readonly sticky = new Map<string, ToAgent>();

  constructor(
    private readonly log: Logger,
    private readonly opts: AgentHubOptions = {},
  ) {
    super();
  }

  override on<E extends keyof HubEvents>(event: E, listener: HubEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof HubEvents>(event: E, listener: HubEvents[E]): this {
    return super.off(event, listener);
  }

  connectedAgents(): string[] {
    return [...this.sockets.keys()];
  }

  isConnected(agentId: string): boolean {
    return this.sockets.get(agentId)?.readyState === 1;
  }

  /** A new connection from `agentId` (the route has checked its token); replaces an older one. */
  attach(agentId: string, ws: WebSocket): void {
    const old = this.sockets.get(agentId);
    if (old && old !== ws) old.close(4000, 'replaced by a newer connection');
    this.sockets.set(agentId, ws);
    this.log.info({ agentId }, 'agent command channel connected');
    for (const msg of this.sticky.values()) ws.send(JSON.stringify(msg));
    ws.on('message', (data) => {
      let msg: FromAgent;
      try {
        msg = check(FromAgent, JSON.parse(String(data)), `message from agent ${agentId}`);
      } catch (err) {
        this.log.error({ agentId, err: errorMessage(err) }, 'ignoring an invalid message from an agent');
        return;
      }
      if (msg.type === 'acks') {
        const acks = this.screenAcks(agentId, msg);
        if (acks) this.emit('acks', agentId, acks);
      } else this.emit('local-shed', agentId, this.screenLocalShed(agentId, msg));
    });
    ws.on('close', () => {
      if (this.sockets.get(agentId) !== ws) return;
      this.sockets.delete(agentId);
      this.log.warn({ agentId }, 'agent command channel disconnected');
      this.emit('disconnected', agentId);
    });
    this.emit('connected', agentId);
  }

  /** Sends a batch; false when the agent is not connected (nothing was sent). */
  sendBatch(agentId: string, batch: CommandBatch): boolean {
    if (!this.sendTo(agentId, batch)) return false;
    this.sent.set(batch.batchId, { agentId, pending: new Set(batch.commands.map((c) => c.deviceId)) });
    if (this.sent.size > MAX_OPEN_BATCHES) this.sent.delete(this.sent.keys().next().value!);
    return true;
  }

  /** Acks refused since start, by reason. */
  rejectedAcks(): Record<AckRejectReason, number> {
    return { ...this.ackRejects };
  }

  /** A local-shed report keeps only the devices `agentId` reads (the plan in force lists every agent's). */
  private screenLocalShed(agentId: string, report: LocalShedReport): LocalShedReport {
    const ownerOf = this.opts.ownerOf;
    if (!ownerOf) return report;
    const acks = report.acks.filter((a) => {
      const owner = ownerOf(a.deviceId);
      return owner === undefined || owner === agentId;
    });
    if (acks.length === report.acks.length) return report;
    this.ackRejects['not-owner'] += report.acks.length - acks.length;
    this.log.error({ agentId, refused: report.acks.length - acks.length, eventId: report.eventId }, 'refusing local-shed acks for devices another agent reads');
    return { ...report, acks };
  }

  /** The acks of `msg` that `agentId` may give: for a batch sent to it, for devices in that batch, once each. */
  private screenAcks(agentId: string, msg: AckBatch): AckBatch | null {
    const sent = this.sent.get(msg.batchId);
    const reason: AckRejectReason | null = !sent ? 'unknown-batch' : sent.agentId !== agentId ? 'other-agent' : null;
    if (reason) {
      this.ackRejects[reason] += msg.acks.length;
      this.log.error({ agentId, batchId: msg.batchId, eventId: msg.eventId, acks: msg.acks.length, reason, sentTo: sent?.agentId }, `refusing acks from agent ${agentId}: ${reason}`);
      return null;
    }
    const acks = msg.acks.filter((a) => sent!.pending.delete(a.deviceId));
    if (acks.length < msg.acks.length) {
      this.ackRejects['device-not-in-batch'] += msg.acks.length - acks.length;
      this.log.error({ agentId, batchId: msg.batchId, refused: msg.acks.length - acks.length }, 'refusing acks for devices the batch did not name (or acked twice)');
    }
    if (sent!.pending.size === 0) this.sent.delete(msg.batchId);
    if (acks.length === 0) return null;
    return acks.length === msg.acks.length ? msg : { ...msg, acks };
  }

  /** Sends now to every connected agent and again to each one that connects later. */
  broadcastSticky(key: 'plan-in-force' | 'under-frequency-plan', msg: ToAgent): void {
    this.sticky.set(key, msg);
    for (const id of this.sockets.keys()) this.sendTo(id, msg);
  }

  closeAll(): void {
    for (const ws of this.sockets.values()) ws.close(1001, 'control plane shutting down');
    this.sockets.clear();
  }

  private sendTo(agentId: string, msg: ToAgent): boolean {
    const ws = this.sockets.get(agentId);
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }
}
