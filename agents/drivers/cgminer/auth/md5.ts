/**
 * MD5 of a byte string, in JavaScript. md5crypt hashes 1,000 tiny messages per call; through
 * node:crypto each costs a native call and two buffers, which made Whatsminer's token (two
 * md5crypts per command) the slowest step of a curtailment. This one reuses its buffers and
 * is checked against node:crypto on random inputs (test/unit/miner-auth.test.ts).
 */

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
const K = Int32Array.from({ length: 64 }, (_x, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const G = Int32Array.from({ length: 64 }, (_x, i) => (i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16));

let scratch = new Uint8Array(128);
const words = new Int32Array(16);

/** MD5 of `data[0..length)`, written into `out` (16 bytes). */
export function md5Into(data: Uint8Array, length: number, out: Uint8Array): void {
  const padded = ((length + 8) >> 6) * 64 + 64;
  if (scratch.length < padded) scratch = new Uint8Array(padded);
  const m = scratch;
  for (let i = 0; i < length; i++) m[i] = data[i]!;
  for (let i = length; i < padded; i++) m[i] = 0;
  m[length] = 0x80;
  const bits = length * 8;
  m[padded - 8] = bits & 0xff;
  m[padded - 7] = (bits >>> 8) & 0xff;
  m[padded - 6] = (bits >>> 16) & 0xff;
  m[padded - 5] = (bits >>> 24) & 0xff;
  m[padded - 4] = Math.floor(bits / 2 ** 32) & 0xff;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let off = 0; off < padded; off += 64) {
    for (let i = 0; i < 16; i++) {
      const p = off + i * 4;
      words[i] = m[p]! | (m[p + 1]! << 8) | (m[p + 2]! << 16) | (m[p + 3]! << 24);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    // Four loops, one per round function, so no branch runs inside the 64 steps.
    for (let i = 0; i < 16; i++) {
      const t = (a + ((b & c) | (~b & d)) + K[i]! + words[i]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << S[i]!) | (t >>> (32 - S[i]!)))) | 0;
    }
    for (let i = 16; i < 32; i++) {
      const t = (a + ((d & b) | (~d & c)) + K[i]! + words[G[i]!]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << S[i]!) | (t >>> (32 - S[i]!)))) | 0;
    }
    for (let i = 32; i < 48; i++) {
      const t = (a + (b ^ c ^ d) + K[i]! + words[G[i]!]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << S[i]!) | (t >>> (32 - S[i]!)))) | 0;
    }
    for (let i = 48; i < 64; i++) {
      const t = (a + (c ^ (b | ~d)) + K[i]! + words[G[i]!]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << S[i]!) | (t >>> (32 - S[i]!)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  writeWord(out, 0, a0);
  writeWord(out, 4, b0);
  writeWord(out, 8, c0);
  writeWord(out, 12, d0);
}

function writeWord(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}
