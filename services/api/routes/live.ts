import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { errorMessage } from '../../lib/errors.ts';
import { ApiError } from '../errors.ts';
import { NoQuery, SiteViewSchema } from '../schemas.ts';

/** The live socket only sends; a client frame larger than this closes it (1009) before it is buffered. */
export const LIVE_MAX_FRAME_BYTES = 4096;

/**
 * A browser always sends Origin on a WebSocket: a page of another site may not read this
 * site's live state through the user's browser. Same host as the request, or listed.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    const o = new URL(origin);
    // Through the origin's scheme, so a default port (":80") compares equal to none.
    return host !== undefined && o.host === new URL(`${o.protocol}//${host}`).host;
  } catch {
    // Not a URL (e.g. "null" from a sandboxed frame): not an origin we know.
    return false;
  }
}

/** SWITCHYARD_ALLOWED_ORIGINS: extra origins (comma-separated, e.g. https://ops.example) allowed on /api/live. */
export function allowedOriginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.SWITCHYARD_ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** ws has no per-socket payload limit; its receiver checks this field at each frame header. */
function capFrames(socket: WebSocket, bytes: number): boolean {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') return false;
  receiver._maxPayload = bytes;
  return true;
}

/** What /api/live sends: a full site snapshot each time (small: one row per block). */
export const LiveMessage = Type.Object(
  { type: Type.Literal('snapshot'), site: SiteViewSchema },
  { additionalProperties: false },
);

export interface LiveRouteOptions {
  /** Push at most this often; also the period at which time-driven changes (stale) are noticed. */
  pushMs: number;
  /** Origins allowed besides the request's own host. */
  allowedOrigins?: readonly string[];
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

  const allowed = opts.allowedOrigins ?? [];
  const checkOrigin = async (req: { headers: Record<string, string | string[] | undefined> }) => {
    const origin = req.headers.origin;
    const host = req.headers.host;
    if (!originAllowed(typeof origin === 'string' ? origin : undefined, typeof host === 'string' ? host : undefined, allowed)) {
      throw new ApiError('E_FORBIDDEN', `origin ${String(origin)} may not open the live socket (set SWITCHYARD_ALLOWED_ORIGINS to allow it)`);
    }
  };
  let uncapped = false;

  app.get('/api/live', { websocket: true, config: { access: 'read' }, schema: { querystring: NoQuery }, preValidation: checkOrigin }, (socket, req) => {
    if (!capFrames(socket, LIVE_MAX_FRAME_BYTES) && !uncapped) {
      uncapped = true;
      log.warn('the ws version in use has no receiver payload field: live sockets keep the global frame limit');
    }
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
