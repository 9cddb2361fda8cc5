import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseDigestChallenge, verifyDigest } from '../../agents/drivers/cgminer/auth/digest.ts';
import { wrap } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';
import { ipv4Of, isLoopbackAddress, type MinerEndpoint } from './cgminer-server.ts';
import { DEFAULT_SECRETS, type TwinSecrets } from './twin-secrets.ts';
import { listenOnAddresses } from './loopback-listen.ts';

/**
 * The web UI of stock-firmware Antminers, the one way they sleep and wake: HTTP Digest auth
 * (realm "antMiner Configuration"), GET /cgi-bin/get_miner_conf.cgi, POST
 * /cgi-bin/set_miner_conf.cgi with "miner-mode" 1 (sleep) or 0 (normal). Like the cgminer
 * listener, it listens on each Antminer's loopback address (or one wildcard socket when they
 * are many: ./loopback-listen.ts) and tells them apart by the dialled address.
 */
export interface AntminerWebOptions {
  port: number;
  lookup(localAddress: string): MinerEndpoint | undefined;
  clock(): number;
  log: Logger;
  secrets?: TwinSecrets;
  /** The Antminers' addresses (default: wildcard). */
  hosts?: readonly string[];
}

export interface AntminerWebCounts {
  requests: number;
  connections: number;
}

export interface AntminerWeb {
  port: number;
  mode: 'loopback' | 'wildcard';
  /** Requests and TCP connections served so far (what keep-alive and nonce reuse save). */
  counts(): AntminerWebCounts;
  close(): Promise<void>;
}

const REALM = 'antMiner Configuration';
const MAX_BODY = 64 * 1024;

function minerConf(endpoint: MinerEndpoint, nowMs: number): Record<string, unknown> {
  const sleeping = endpoint.miner.snapshot(nowMs).mode === 'sleeping';
  return {
    pools: [{ url: 'stratum+tcp://pool.switchyard.invalid:3333', user: `switchyard.${endpoint.device.id}`, pass: 'x' }],
    'api-listen': true,
    'api-network': true,
    'api-allow': 'W:0/0',
    'bitmain-fan-ctrl': false,
    'bitmain-fan-pwm': '100',
    'bitmain-use-vil': true,
    'bitmain-freq': '',
    'bitmain-voltage': '',
    'bitmain-ccdelay': '',
    'bitmain-pwth': '',
    'bitmain-work-mode': sleeping ? '1' : '0',
    'bitmain-freq-level': '',
  };
}

export async function startAntminerWeb(opts: AntminerWebOptions): Promise<AntminerWeb> {
  const users = new Map([[(opts.secrets ?? DEFAULT_SECRETS).antminerWeb.username, (opts.secrets ?? DEFAULT_SECRETS).antminerWeb.password]]);
  const nonce = randomBytes(16).toString('hex');
  const challenge = `Digest realm="${REALM}", nonce="${nonce}", qop="auth"`;
  if (parseDigestChallenge(challenge) === undefined) throw new Error('twin web: malformed digest challenge');
  const counts: AntminerWebCounts = { requests: 0, connections: 0 };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    counts.requests++;
    const local = req.socket.localAddress;
    if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackAddress(local)) {
      req.socket.destroy();
      return;
    }
    const endpoint = opts.lookup(ipv4Of(local) as string);
    if (endpoint === undefined || !endpoint.miner.answers(opts.clock()) || endpoint.device.firmware !== 'antminer') {
      req.socket.resetAndDestroy();
      return;
    }
    // Keep-alive as lighttpd does: a client may send its next request on the same connection.
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (!verifyDigest(req.headers.authorization, { realm: REALM, nonce, method: req.method ?? 'GET', users })) {
      json(401, { stats: 'error', code: 'W001', msg: 'Unauthorized' }, { 'www-authenticate': challenge });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const nowMs = opts.clock();
      if (req.method === 'GET' && req.url === '/cgi-bin/get_miner_conf.cgi') return json(200, minerConf(endpoint, nowMs));
      if (req.method === 'POST' && req.url === '/cgi-bin/set_miner_conf.cgi') {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch (err) {
          return json(400, { stats: 'error', code: 'M001', msg: `body is not JSON: ${(err as Error).message}` });
        }
        const mode = Number(body['miner-mode'] ?? body['bitmain-work-mode']);
        if (mode === 1) endpoint.miner.sleep(nowMs);
        else if (mode === 0) endpoint.miner.wake(nowMs);
        else return json(400, { stats: 'error', code: 'M002', msg: `unsupported miner-mode ${JSON.stringify(body['miner-mode'])}` });
        return json(200, { stats: 'success', code: 'M000', msg: 'OK!' });
      }
      return json(404, { stats: 'error', code: 'W404', msg: `no ${req.method} ${req.url}` });
    });
  };
  const create = () => {
    const server = http.createServer(onRequest);
    server.on('connection', () => counts.connections++);
    server.requestTimeout = 5_000;
    server.headersTimeout = 5_000;
    server.on('error', (err) => opts.log.error({ err }, 'antminer web listener error'));
    return server;
  };
  const { port, mode, servers } = await listenOnAddresses(create, opts.hosts ?? [], { port: opts.port, backlog: 1024, what: 'Antminer web listener', log: opts.log });
  return {
    port,
    mode,
    counts: () => ({ ...counts }),
    close: async () => {
      await Promise.all(
        (servers as http.Server[]).map(
          (server) =>
            new Promise<void>((resolve, reject) => {
              server.closeAllConnections();
              server.close((err) => (err ? reject(wrap('closing the twin Antminer web listener', err)) : resolve()));
            }),
        ),
      );
    },
  };
}
