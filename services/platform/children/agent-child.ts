// The site agent in its own process (`switchyard start` forks it so it gets the second core).
import { startAgent, type AgentConfig } from '../../../agents/agent.ts';
import { serveChild } from './protocol.ts';

export interface AgentChildReady {
  agentId: string;
  /** Where its /metrics is served (with metricsPort). */
  metricsUrl?: string;
}

serveChild<AgentConfig, { stop(): Promise<void> }>('site-agent', async (config) => {
  const agent = await startAgent(config);
  const ready: AgentChildReady = { agentId: config.agentId, ...(agent.metricsUrl !== undefined ? { metricsUrl: agent.metricsUrl } : {}) };
  return { running: agent, ready };
});
