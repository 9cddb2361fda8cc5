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

export class AgentHub extends EventEmitter {
  private readonly sockets = new Map<string, WebSocket>();
  /** Messages every newly connected agent gets (the plan in force, the standing UF plan). */
  private readonly sticky = new Map<string, ToAgent>();

  constructor(private readonly log: Logger) {
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
      if (msg.type === 'acks') this.emit('acks', agentId, msg);
      else this.emit('local-shed', agentId, msg);
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
    return this.sendTo(agentId, batch);
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
