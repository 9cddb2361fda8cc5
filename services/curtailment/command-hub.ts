import type { AckBatch, CommandBatch, LocalShedReport, ToAgent } from '../agent-contract/protocol.ts';

/**
 * What the curtailment engine needs of the agents' command channels (agent-hub.ts in
 * production; test/support/fake-command-hub.ts in the engine's unit tests): send a batch, send
 * the plan in force, and hear acks and local-shed reports.
 */
export interface CommandHub {
  on(event: 'acks', listener: (agentId: string, batch: AckBatch) => void): this;
  on(event: 'local-shed', listener: (agentId: string, report: LocalShedReport) => void): this;
  off(event: 'acks', listener: (agentId: string, batch: AckBatch) => void): this;
  off(event: 'local-shed', listener: (agentId: string, report: LocalShedReport) => void): this;
  connectedAgents(): string[];
  /** False when the agent is not connected (nothing was sent). */
  sendBatch(agentId: string, batch: CommandBatch): boolean;
  broadcastSticky(key: 'plan-in-force' | 'under-frequency-plan', msg: ToAgent): void;
}
