import type { FastifyInstance } from 'fastify';
import { wrap } from '../lib/errors.ts';

export interface Listening {
  /** Base URL clients use, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  host: string;
}

/** Only listens: the app is built by app.ts. Port 0 picks a free port. */
export async function listen(app: FastifyInstance, opts: { port: number; host: string }): Promise<Listening> {
  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    throw wrap(`listening on ${opts.host}:${opts.port}`, err, 'E_LISTEN');
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  const scheme = app.initialConfig.https ? 'https' : 'http';
  return { url: `${scheme}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`, port, host: opts.host };
}
