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
 */
export const PATHS_PER_STREAM = 64;

const TWO_POW_MINUS_32 = 2 ** -32;

export class Stream {
  private readonly g: RandomGenerator;
  private spare = 0;
  private hasSpare = false;

  constructor(g: RandomGenerator) {
    this.g = g;
  }

  /** Uniform on (0, 1). */
  uniform(): number {
    return ((this.g.next() >>> 0) + 0.5) * TWO_POW_MINUS_32;
  }

  /** Standard normal (Marsaglia's polar method; the second draw is kept for the next call). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
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
