import net from 'node:net';
import type { MinerDevice } from '../../services/domain/devices.ts';
import { errorMessage, wrap } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';
import { answer, parseRequest } from './cgminer-commands.ts';
import type { VirtualMiner } from './miner.ts';
import type { TwinSecrets } from './twin-secrets.ts';
import { listenOnAddresses } from './loopback-listen.ts';

/**
 * The virtual miners' cgminer API. Each miner has its own loopback address (127.21.0.42 …),
 * as on a real site: one socket per address on one port, or one wildcard socket past a few
 * thousand addresses (./loopback-listen.ts); either way miners are told apart by the address
 * the client dialled (socket.localAddress).
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
  /** The miners' addresses: listened on one by one when they are few (default: wildcard). */
  hosts?: readonly string[];
}

export interface CgminerServer {
  port: number;
  /** How it listens (see loopback-listen.ts). */
  mode: 'loopback' | 'wildcard';
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
  const onConnection = (socket: net.Socket) => {
    // With a wildcard listener (many miners) anything not both from and to 127.0.0.0/8 is cut:
    // the twin never serves the outside network.
    if (!isLoopbackAddress(socket.remoteAddress) || !isLoopbackAddress(socket.localAddress)) {
      socket.destroy();
      return;
    }
    const local = ipv4Of(socket.localAddress) as string;
    const endpoint = opts.lookup(local);
    if (endpoint === undefined || !endpoint.miner.answers(opts.clock())) {
      // No miner at that address (or its controller is "unplugged"): reset, as a host
      // without a listener would.
      socket.resetAndDestroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serve(socket, endpoint, opts, requestTimeoutMs);
  };
  const create = () => {
    const server = net.createServer({ allowHalfOpen: true }, onConnection);
    server.maxConnections = opts.maxConnections ?? 4096;
    server.on('error', (err) => opts.log.error({ err }, 'cgminer listener error'));
    return server;
  };
  const { port, mode, servers } = await listenOnAddresses(create, opts.hosts ?? [], { port: opts.port, backlog: 4096, what: 'cgminer listener', log: opts.log });
  return {
    port,
    mode,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(wrap('closing the twin cgminer listener', err)) : resolve())))),
      );
    },
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
