import type { FastifyInstance } from 'fastify';
import { NoQuery } from '../schemas.ts';

/** GET /api/agent/channel (websocket): an agent's command channel (agents/commands/channel.ts). */
export async function agentChannelRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/agent/channel', { websocket: true, config: { access: ['agent'] }, schema: { querystring: NoQuery } }, (socket, req) => {
    const hub = app.services.agentHub;
    if (!hub) {
      socket.close(1013, 'this control plane runs no curtailment engine');
      return;
    }
    hub.attach(req.principal!.name, socket);
  });
}
