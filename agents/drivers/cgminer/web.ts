import http from 'node:http';
import { digestAuthorization, parseDigestChallenge } from './auth/digest.ts';

/**
 * A JSON request to a miner's web UI with HTTP Digest auth (Antminer stock lighttpd): one
 * unauthenticated request to get the challenge, then the answered one. One deadline covers
 * both. A wrong password is an error that says so, never a retry loop.
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

function once(r: WebRequest, deadlineAt: number, authorization: string | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { connection: 'close' };
    if (authorization !== undefined) headers.authorization = authorization;
    if (r.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(r.body));
    }
    const timeoutMs = Math.max(1, deadlineAt - Date.now());
    const signal = r.signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([r.signal, AbortSignal.timeout(timeoutMs)]);
    const req = http.request({ host: r.host, port: r.port, method: r.method, path: r.path, headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (err) => reject(new Error(`${r.method} http://${r.host}:${r.port}${r.path}: ${err.name === 'AbortError' ? `no reply within ${timeoutMs} ms` : err.message}`, { cause: err })));
    req.end(r.body);
  });
}

export async function digestJson(r: WebRequest): Promise<unknown> {
  const deadlineAt = Date.now() + r.timeoutMs;
  const where = `${r.method} http://${r.host}:${r.port}${r.path}`;
  const first = await once(r, deadlineAt, undefined);
  let res = first;
  if (first.status === 401) {
    const challenge = parseDigestChallenge(first.headers['www-authenticate']);
    if (challenge === undefined) throw new WebAuthError(`${where}: 401 without a Digest challenge (${first.headers['www-authenticate'] ?? 'no WWW-Authenticate'})`);
    const authorization = digestAuthorization({ username: r.username, password: r.password, method: r.method, uri: r.path, challenge });
    res = await once(r, deadlineAt, authorization);
    if (res.status === 401) throw new WebAuthError(`${where}: digest credentials for user "${r.username}" were refused`);
  }
  if (res.status < 200 || res.status >= 300) throw new Error(`${where}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  try {
    return JSON.parse(res.body);
  } catch (err) {
    throw new Error(`${where}: reply is not JSON: ${res.body.slice(0, 120)}`, { cause: err });
  }
}
