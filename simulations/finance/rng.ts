import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * Random streams for the Monte Carlo, from pure-rand's xoroshiro128+ (a kept library: its
 * jump() gives 2^64 non-overlapping draws per stream, which is what makes a run independent of
 * how many workers share it). Paths are cut into fixed blocks of PATHS_PER_STREAM; block k draws
 * from the seed's generator jumped k times, so path p sees the same numbers whichever worker
 * runs it.
 *
 * Uniforms use one 32-bit draw each, centred in their 2^-32 cell, so they are never 0 or 1
 * (log and inverse transforms stay finite); 32 bits are plenty for a Monte Carlo of months.
 *
 * Normals: the ziggurat of Marsaglia & Tsang (2000) in Doornik's form (2005, "An improved
 * ziggurat method"), 128 layers: one 32-bit draw gives the layer (its top 7 bits) and a uniform
 * on (−1, 1) (its low 25 bits), so ~98.8 % of normals cost one draw and a table lookup — no log,
 * no square root (the polar method it replaced spent most of a path's time there). The layer
 * comes from the high bits because the low bits of xoroshiro128+ are its weakest.
 */
export const PATHS_PER_STREAM = 64;

const TWO_POW_MINUS_32 = 2 ** -32;

const ZIG_LAYERS = 128;
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
/** Layer edges X[0..128] (X[0] = V / f(R) is the base strip's pseudo-width, X[1] = R, X[128] = 0) and X[i+1]/X[i]. */
const ZIG_X = new Float64Array(ZIG_LAYERS + 1);
const ZIG_RATIO = new Float64Array(ZIG_LAYERS);
{
  let f = Math.exp(-0.5 * ZIG_R * ZIG_R);
  ZIG_X[0] = ZIG_V / f;
  ZIG_X[1] = ZIG_R;
  ZIG_X[ZIG_LAYERS] = 0;
  for (let i = 2; i < ZIG_LAYERS; i++) {
    ZIG_X[i] = Math.sqrt(-2 * Math.log(ZIG_V / ZIG_X[i - 1]! + f));
    f = Math.exp(-0.5 * ZIG_X[i]! * ZIG_X[i]!);
  }
  for (let i = 0; i < ZIG_LAYERS; i++) ZIG_RATIO[i] = ZIG_X[i + 1]! / ZIG_X[i]!;
}
const TWO_POW_MINUS_24 = 2 ** -24;

export class Stream {
  private readonly g: RandomGenerator;

  constructor(g: RandomGenerator) {
    this.g = g;
  }

  /** Uniform on (0, 1). */
  uniform(): number {
    return ((this.g.next() >>> 0) + 0.5) * TWO_POW_MINUS_32;
  }

  /** Standard normal (ziggurat). */
  normal(): number {
    for (;;) {
      const w = this.g.next() >>> 0;
      const i = w >>> 25;
      const u = ((w & 0x1ffffff) + 0.5) * TWO_POW_MINUS_24 - 1;
      if (Math.abs(u) < ZIG_RATIO[i]!) return u * ZIG_X[i]!;
      if (i === 0) return this.tail(u < 0);
      const x = u * ZIG_X[i]!;
      const x2 = x * x;
      const f0 = Math.exp(-0.5 * (ZIG_X[i]! * ZIG_X[i]! - x2));
      const f1 = Math.exp(-0.5 * (ZIG_X[i + 1]! * ZIG_X[i + 1]! - x2));
      if (f1 + this.uniform() * (f0 - f1) < 1) return x;
    }
  }

  /** Beyond R (Marsaglia 1964): x = −ln(U)/R, y = −ln(U), accept when 2y > x². */
  private tail(negative: boolean): number {
    let x = 0;
    let y = 0;
    do {
      x = Math.log(this.uniform()) / ZIG_R;
      y = Math.log(this.uniform());
    } while (-2 * y < x * x);
    return negative ? x - ZIG_R : ZIG_R - x;
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

/** The stream of path block `block` for `seed` (an integer; 32 bits of it are used). */
export function streamFor(seed: number, block: number): Stream {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(block) || block < 0) throw new RangeError(`block must be a non-negative integer, got ${block}`);
  const g = xoroshiro128plus(seed | 0);
  for (let k = 0; k < block; k++) g.jump();
  return new Stream(g);
}
