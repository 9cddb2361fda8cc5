import net from 'node:net';
import type { MinerDevice } from '../../services/domain/devices.ts';
import { errorMessage, wrap } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';
import { answer, parseRequest } from './cgminer-commands.ts';
import type { VirtualMiner } from './miner.ts';
import type { TwinSecrets } from './twin-secrets.ts';

/**
 * One TCP listener for every virtual miner. Each miner has its own loopback address
 * (127.21.0.42 …), as on a real site, but a listener per miner would need one file
 * descriptor each; instead a single socket on 0.0.0.0:<port> accepts them all and tells
 * miners apart by the address the client dialled (socket.localAddress).
 */
export interface MinerEndpoint {
  device: MinerDevice;
  miner: VirtualMiner;
}

export interface CgminerServerOptions {
  port: number;
  lookup(localAddress: string): MinerEndpoint | undefined;
  clock(): number;
  log: Logger;
  /** A client that has not sent a complete request by then is disconnected. */
  requestTimeoutMs?: number;
  /** Keeps a flood of clients from exhausting this process's file descriptors. */
  maxConnections?: number;
  /** Credentials the miners expect (Whatsminer API password). */
  secrets?: TwinSecrets;
}

export interface CgminerServer {
  port: number;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 64 * 1024;

export function ipv4Of(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function isLoopbackAddress(address: string | undefined): boolean {
  const v4 = ipv4Of(address);
  return v4 !== undefined && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export async function startCgminerServer(opts: CgminerServerOptions): Promise<CgminerServer> {
  const requestTimeoutMs = opts.requestTimeoutMs ?? 5_000;
  const sockets = new Set<net.Socket>();
  // allowHalfOpen: a client may send its request and half-close before reading the reply.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    // The twin listens on 0.0.0.0 only so that every 127.x.y.z address reaches it. It must
    // never serve the outside network: anything not both from and to 127.0.0.0/8 is cut.
    if (!isLoopbackAddress(socket.remoteAddress) || !isLoopbackAddress(socket.localAddress)) {
      socket.destroy();
      return;
    }
    const local = ipv4Of(socket.localAddress) as string;
    const endpoint = opts.lookup(local);
    if (endpoint === undefined || !endpoint.miner.reachable) {
      // No miner at that address (or its controller is "unplugged"): reset, as a host
      // without a listener would.
      socket.resetAndDestroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serve(socket, endpoint, opts, requestTimeoutMs);
  });
  server.maxConnections = opts.maxConnections ?? 4096;
  server.on('error', (err) => opts.log.error({ err }, 'cgminer listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(wrap(`starting the twin's cgminer listener on 0.0.0.0:${opts.port}`, err)));
    server.listen({ host: '0.0.0.0', port: opts.port, backlog: 4096 }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const s of sockets) s.destroy();
        server.close((err) => (err ? reject(wrap('closing the twin cgminer listener', err)) : resolve()));
      }),
  };
}

function serve(socket: net.Socket, endpoint: MinerEndpoint, opts: CgminerServerOptions, timeoutMs: number): void {
  let received = '';
  let answered = false;
  const reply = (text: string) => {
    answered = true;
    // cgminer terminates every reply with a NUL byte and closes the connection.
    socket.end(`${text}\0`);
  };
  const respond = (raw: string, final: boolean) => {
    const request = parseRequest(raw);
    if (request.kind === 'incomplete') {
      if (final) socket.destroy();
      return;
    }
    try {
      const ctx = { device: endpoint.device, miner: endpoint.miner, nowMs: opts.clock(), ...(opts.secrets === undefined ? {} : { secrets: opts.secrets }) };
      reply(answer(request, ctx));
    } catch (err) {
      opts.log.error({ err, miner: endpoint.device.id }, 'twin miner failed to answer');
      socket.destroy();
    }
  };
  socket.setNoDelay(true);
  socket.setEncoding('latin1');
  socket.setTimeout(timeoutMs, () => socket.destroy());
  socket.on('data', (chunk: string) => {
    if (answered) return;
    received += chunk;
    if (received.length > MAX_REQUEST_BYTES) {
      socket.destroy();
      return;
    }
    respond(received, false);
  });
  socket.on('end', () => {
    if (!answered) respond(received, true);
  });
  socket.on('error', (err) => {
    // Clients hanging up mid-reply is routine on a polled fleet; keep it at debug level.
    opts.log.debug({ miner: endpoint.device.id, err: errorMessage(err) }, 'twin miner connection error');
  });
}
