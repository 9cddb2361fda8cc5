import { createHash } from 'node:crypto';
import { md5Into } from './md5.ts';

/**
 * MD5-crypt ("$1$salt$hash", Poul-Henning Kamp's FreeBSD scheme, what `openssl passwd -1`
 * writes). Whatsminer's btminer API v2 derives its token and AES key from it; no installed
 * package implements it. Pure. Returns the full "$1$<salt>$<hash>" string.
 */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MAGIC = '$1$';

function to64(value: number, chars: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < chars; i++) {
    out += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return out;
}

export function md5Crypt(password: string, saltText: string): string {
  const pw = Buffer.from(password, 'utf8');
  // At most 8 characters of salt, up to the first '$' (a full "$1$salt$" is accepted too).
  const bare = saltText.startsWith(MAGIC) ? saltText.slice(MAGIC.length) : saltText;
  const salt = Buffer.from(bare.split('$')[0]?.slice(0, 8) ?? '', 'utf8');
  const alternate = createHash('md5').update(pw).update(salt).update(pw).digest();
  const ctx = createHash('md5').update(pw).update(MAGIC).update(salt);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alternate.subarray(0, Math.min(16, left)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.of(0) : pw.subarray(0, 1));
  let final = ctx.digest();
  // The 1,000 rounds dominate (a curtailment signs thousands of these): each round's message
  // is assembled in one reused buffer and hashed in JavaScript, no native call per round.
  const msg = new Uint8Array(2 * pw.length + salt.length + 32);
  const digest = new Uint8Array(16);
  digest.set(final);
  for (let i = 0; i < 1000; i++) {
    let n = copy(msg, 0, i & 1 ? pw : digest);
    if (i % 3) n = copy(msg, n, salt);
    if (i % 7) n = copy(msg, n, pw);
    n = copy(msg, n, i & 1 ? digest : pw);
    md5Into(msg, n, digest);
  }
  final = Buffer.from(digest);
  const f = final;
  const b = (i: number) => f[i] as number;
  const hash =
    to64((b(0) << 16) | (b(6) << 8) | b(12), 4) +
    to64((b(1) << 16) | (b(7) << 8) | b(13), 4) +
    to64((b(2) << 16) | (b(8) << 8) | b(14), 4) +
    to64((b(3) << 16) | (b(9) << 8) | b(15), 4) +
    to64((b(4) << 16) | (b(10) << 8) | b(5), 4) +
    to64(b(11), 2);
  return `${MAGIC}${salt.toString('utf8')}$${hash}`;
}

function copy(into: Uint8Array, at: number, from: Uint8Array): number {
  for (let i = 0; i < from.length; i++) into[at + i] = from[i]!;
  return at + from.length;
}
