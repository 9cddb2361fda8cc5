import { createHash, randomBytes } from 'node:crypto';

/**
 * HTTP Digest access authentication (RFC 7616 with MD5, qop=auth; RFC 2069 without qop),
 * what Antminer stock firmware's web API (lighttpd, default root/root) demands. No installed
 * package does it. Pure apart from the client nonce.
 */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop: string | undefined;
  opaque: string | undefined;
  algorithm: string | undefined;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Parses `Digest realm="…", nonce="…", qop="auth"`; undefined when it is not Digest. */
export function parseDigestChallenge(header: string | undefined): DigestChallenge | undefined {
  if (header === undefined || !/^Digest\s/i.test(header)) return undefined;
  const params = parseParams(header.replace(/^Digest\s+/i, ''));
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  return { realm, nonce, qop: params.get('qop'), opaque: params.get('opaque'), algorithm: params.get('algorithm') };
}

export function parseParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    out.set((m[1] as string).toLowerCase(), m[2] ?? m[3] ?? '');
  }
  return out;
}

export interface DigestInput {
  username: string;
  password: string;
  method: string;
  uri: string;
  challenge: DigestChallenge;
  nc?: number;
  cnonce?: string;
}

export function digestResponse(i: DigestInput, nc: string, cnonce: string, qop: string | undefined): string {
  const ha1 = md5(`${i.username}:${i.challenge.realm}:${i.password}`);
  const ha2 = md5(`${i.method}:${i.uri}`);
  return qop === undefined ? md5(`${ha1}:${i.challenge.nonce}:${ha2}`) : md5(`${ha1}:${i.challenge.nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
}

/** The Authorization header answering `challenge`. */
export function digestAuthorization(i: DigestInput): string {
  const qop = i.challenge.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  if (i.challenge.qop !== undefined && qop === undefined) throw new Error(`digest auth: unsupported qop "${i.challenge.qop}" (only "auth")`);
  if (i.challenge.algorithm !== undefined && i.challenge.algorithm.toUpperCase() !== 'MD5') throw new Error(`digest auth: unsupported algorithm ${i.challenge.algorithm}`);
  const nc = (i.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = i.cnonce ?? randomBytes(8).toString('hex');
  const parts = [
    `username="${i.username}"`,
    `realm="${i.challenge.realm}"`,
    `nonce="${i.challenge.nonce}"`,
    `uri="${i.uri}"`,
    `response="${digestResponse(i, nc, cnonce, qop)}"`,
  ];
  if (qop !== undefined) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (i.challenge.opaque !== undefined) parts.push(`opaque="${i.challenge.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

/** Server side: whether `header` is a valid answer for (realm, nonce) and the credentials. */
export function verifyDigest(header: string | undefined, expect: { realm: string; nonce: string; method: string; users: Map<string, string> }): boolean {
  if (header === undefined || !/^Digest\s/i.test(header)) return false;
  const p = parseParams(header.replace(/^Digest\s+/i, ''));
  const username = p.get('username');
  const password = username === undefined ? undefined : expect.users.get(username);
  if (username === undefined || password === undefined || p.get('realm') !== expect.realm || p.get('nonce') !== expect.nonce) return false;
  const uri = p.get('uri') ?? '';
  const challenge: DigestChallenge = { realm: expect.realm, nonce: expect.nonce, qop: p.get('qop'), opaque: undefined, algorithm: undefined };
  const want = digestResponse({ username, password, method: expect.method, uri, challenge }, p.get('nc') ?? '', p.get('cnonce') ?? '', p.get('qop'));
  return want === p.get('response');
}
