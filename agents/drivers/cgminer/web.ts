import http from 'node:http';
import { digestAuthorization, parseDigestChallenge, type DigestChallenge } from './auth/digest.ts';
import { charged, type CpuAccount } from './cpu-account.ts';

/**
 * A JSON request to a miner's web UI with HTTP Digest auth (Antminer stock lighttpd). The
 * server's nonce is kept per miner and reused with a rising nonce count (RFC 7616 §3.4: nc),
 * so a command is one request, not a 401 round trip before each; a keep-alive connection
 * carries a command's requests (read the config, write it back). A nonce the server no
 * longer takes (401, often with stale=true) is replaced from that 401 and the request sent
 * once more. One deadline covers everything. A wrong password is an error that says so,
 * never a retry loop.
 */
export interface WebRequest {
  host: string;
  port: number;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  username: string;
  password: string;
  timeoutMs: number;
  signal?: AbortSignal;
  cpu?: CpuAccount;
}

export class WebAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebAuthError';
  }
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Idle connections close after 2 s: long enough for a command's second request, short enough
 * that thousands of miners commanded at once do not hold their sockets open between events.
 */
const IDLE_MS = 2_000;
const keepAlive = new http.Agent({ keepAlive: true, timeout: IDLE_MS, maxSockets: 4, maxFreeSockets: 1 });

interface KeptNonce {
  challenge: DigestChallenge;
  nc: number;
}
const nonces = new Map<string, KeptNonce>();
const NONCE_LIMIT = 100_000;

const nonceKey = (r: Pick<WebRequest, 'host' | 'port' | 'username'>) => `${r.host}:${r.port}\u0000${r.username}`;

/** Forgets every kept nonce (tests). */
export function forgetDigestNonces(): void {
  nonces.clear();
}

/** Whether a nonce is kept for this miner and user (tests, the pre-arm's count). */
export function hasDigestNonce(r: Pick<WebRequest, 'host' | 'port' | 'username'>): boolean {
  return nonces.has(nonceKey(r));
}

function keep(r: WebRequest, challenge: DigestChallenge): KeptNonce {
  if (nonces.size >= NONCE_LIMIT) nonces.clear();
  const kept = { challenge, nc: 0 };
  nonces.set(nonceKey(r), kept);
  return kept;
}

function once(r: WebRequest, deadlineAt: number, authorization: string | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers.authorization = authorization;
    if (r.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(r.body));
    }
    const timeoutMs = Math.max(1, deadlineAt - Date.now());
    const signal = r.signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([r.signal, AbortSignal.timeout(timeoutMs)]);
    charged(r.cpu, () => {
      const req = http.request({ host: r.host, port: r.port, method: r.method, path: r.path, headers, signal, agent: keepAlive }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => charged(r.cpu, () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })));
        res.on('error', reject);
      });
      req.on('error', (err) => reject(new Error(`${r.method} http://${r.host}:${r.port}${r.path}: ${err.name === 'AbortError' ? `no reply within ${timeoutMs} ms` : err.message}`, { cause: err })));
      req.end(r.body);
    });
  });
}

function answer(r: WebRequest, kept: KeptNonce): string {
  kept.nc += 1;
  return charged(r.cpu, () => digestAuthorization({ username: r.username, password: r.password, method: r.method, uri: r.path, challenge: kept.challenge, nc: kept.nc }));
}

function challengeOf(r: WebRequest, res: RawResponse): DigestChallenge {
  const challenge = parseDigestChallenge(res.headers['www-authenticate']);
  if (challenge === undefined) throw new WebAuthError(`${r.method} http://${r.host}:${r.port}${r.path}: 401 without a Digest challenge (${res.headers['www-authenticate'] ?? 'no WWW-Authenticate'})`);
  return challenge;
}

export async function digestJson(r: WebRequest): Promise<unknown> {
  const deadlineAt = Date.now() + r.timeoutMs;
  const where = `${r.method} http://${r.host}:${r.port}${r.path}`;
  let kept = nonces.get(nonceKey(r));
  let res = await once(r, deadlineAt, kept === undefined ? undefined : answer(r, kept));
  if (res.status === 401) {
    // No nonce yet, or the kept one expired: answer this 401's challenge, once.
    kept = keep(r, challengeOf(r, res));
    res = await once(r, deadlineAt, answer(r, kept));
    if (res.status === 401) {
      nonces.delete(nonceKey(r));
      throw new WebAuthError(`${where}: digest credentials for user "${r.username}" were refused`);
    }
  }
  if (res.status < 200 || res.status >= 300) throw new Error(`${where}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  const body = res.body;
  try {
    return charged(r.cpu, () => JSON.parse(body) as unknown);
  } catch (err) {
    throw new Error(`${where}: reply is not JSON: ${body.slice(0, 120)}`, { cause: err });
  }
}

/**
 * Takes the server's digest nonce ahead of a command (an unauthenticated GET of `path` answers
 * 401 with it), so the command itself needs no challenge round trip. A server that answers
 * without asking for auth needs nothing kept.
 */
export async function primeDigest(r: Omit<WebRequest, 'method' | 'body'>): Promise<void> {
  if (nonces.has(nonceKey(r))) return;
  const req: WebRequest = { ...r, method: 'GET' };
  const res = await once(req, Date.now() + r.timeoutMs, undefined);
  if (res.status === 401) keep(req, challengeOf(req, res));
  else if (res.status < 200 || res.status >= 300) throw new Error(`GET http://${r.host}:${r.port}${r.path}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
}
