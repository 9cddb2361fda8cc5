import type { Server } from 'node:net';
import { wrap } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';

/**
 * Where the twin listens. Each virtual miner has its own loopback address (127.40.1.7 …), and
 * Linux delivers a connection to 127.40.1.7 only to a socket bound to that address or to the
 * wildcard. So: one socket per address, all on one port, while that stays a modest number of
 * file descriptors — nothing outside the machine can reach them. Past MAX_ADDRESS_LISTENERS
 * (the demo site has ~30,000 miners; the fd limit here is 20,000) one wildcard socket takes
 * them all, and the connection handlers reset anything not loopback at both ends.
 */
export const MAX_ADDRESS_LISTENERS = 4096;

export interface Listeners {
  port: number;
  /** "loopback" (one socket per address) or "wildcard" (0.0.0.0, filtered). */
  mode: 'loopback' | 'wildcard';
  servers: Server[];
}

function listenOne(server: Server, host: string, port: number, backlog: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(wrap(`starting the twin's ${what} on ${host}:${port}`, err));
    server.once('error', onError);
    server.listen({ host, port, backlog }, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

export async function listenOnAddresses(
  create: () => Server,
  hosts: readonly string[],
  opts: { port: number; backlog: number; what: string; log: Logger; maxAddresses?: number },
): Promise<Listeners> {
  const unique = [...new Set(hosts)];
  const servers: Server[] = [];
  const closeAll = () => Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
  try {
    if (unique.length === 0 || unique.length > (opts.maxAddresses ?? MAX_ADDRESS_LISTENERS)) {
      const server = create();
      servers.push(server);
      const port = await listenOne(server, '0.0.0.0', opts.port, opts.backlog, opts.what);
      if (unique.length > 0) opts.log.info({ addresses: unique.length, port }, `twin ${opts.what}: ${unique.length} addresses, more than ${opts.maxAddresses ?? MAX_ADDRESS_LISTENERS}: one wildcard listener, non-loopback connections reset`);
      return { port, mode: 'wildcard', servers };
    }
    // The first address picks the port (0: a free one); the others take the same port.
    const first = create();
    servers.push(first);
    const port = await listenOne(first, unique[0]!, opts.port, opts.backlog, opts.what);
    for (const host of unique.slice(1)) {
      const s = create();
      servers.push(s);
      await listenOne(s, host, port, opts.backlog, opts.what);
    }
    return { port, mode: 'loopback', servers };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
