import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { errorMessage } from '../../lib/errors.ts';
import { NoQuery, SiteViewSchema } from '../schemas.ts';

/** What /api/live sends: a full site snapshot each time (small: one row per block). */
export const LiveMessage = Type.Object(
  { type: Type.Literal('snapshot'), site: SiteViewSchema },
  { additionalProperties: false },
);

export interface LiveRouteOptions {
  /** Push at most this often; also the period at which time-driven changes (stale) are noticed. */
  pushMs: number;
}

/**
 * GET /api/live (websocket): a snapshot on connect, then one whenever the site changed,
 * at most every `pushMs`. One serialisation is shared by every client.
 */
export async function liveRoutes(app: FastifyInstance, opts: LiveRouteOptions): Promise<void> {
  const { live, viewer, log } = app.services;
  const clients = new Set<WebSocket>();
  let lastSentKey = '';
  let lastSentAt = 0;
  let timer: NodeJS.Timeout | null = null;
  let pending: NodeJS.Timeout | null = null;

  const message = () => {
    const view = viewer.view();
    // Compare without the generation time, or every tick would look like a change.
    const key = JSON.stringify({ ...view, generatedAtMs: 0 });
    return { key, text: JSON.stringify({ type: 'snapshot', site: view }) };
  };

  const push = (force: boolean) => {
    if (clients.size === 0) return;
    const { key, text } = message();
    if (!force && key === lastSentKey) return;
    lastSentKey = key;
    lastSentAt = Date.now();
    for (const ws of clients) {
      if (ws.readyState === ws.OPEN) ws.send(text);
    }
  };

  const onChange = () => {
    if (pending || clients.size === 0) return;
    const wait = Math.max(0, lastSentAt + opts.pushMs - Date.now());
    pending = setTimeout(() => {
      pending = null;
      push(false);
    }, wait);
  };
  live.on('change', onChange);

  const startTimer = () => {
    timer ??= setInterval(() => push(false), opts.pushMs);
  };
  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };

  app.addHook('onClose', async () => {
    live.off('change', onChange);
    stopTimer();
    if (pending) clearTimeout(pending);
    for (const ws of clients) ws.close(1001, 'server shutting down');
  });

  app.get('/api/live', { websocket: true, config: { access: 'read' }, schema: { querystring: NoQuery } }, (socket, req) => {
    clients.add(socket);
    startTimer();
    try {
      socket.send(message().text);
    } catch (err) {
      req.log.warn({ err }, `sending the first live snapshot failed: ${errorMessage(err)}`);
    }
    socket.on('message', () => socket.close(1008, 'this socket only sends'));
    socket.on('error', (err) => req.log.warn({ err }, `live socket error: ${err.message}`));
    socket.on('close', () => {
      clients.delete(socket);
      if (clients.size === 0) stopTimer();
    });
    log.debug({ clients: clients.size }, 'live client connected');
  });
}
