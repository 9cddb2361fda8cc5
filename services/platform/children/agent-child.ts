// The site agent in its own process (`switchyard start` forks it so it gets the second core).
import { startAgent, type AgentConfig } from '../../../agents/agent.ts';
import { serveChild } from './protocol.ts';

export interface AgentChildReady {
  agentId: string;
}

serveChild<AgentConfig, { stop(): Promise<void> }>('site-agent', async (config) => {
  const agent = await startAgent(config);
  const ready: AgentChildReady = { agentId: config.agentId };
  return { running: agent, ready };
});
