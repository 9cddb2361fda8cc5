// The streams' normals and uniforms against their moments and tails (each within 3 SE).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamFor } from '../../simulations/finance/rng.ts';
import { normalCdf } from '../../simulations/finance/stats.ts';

const N = 1_000_000;

test('normals: mean 0, variance 1, fourth moment 3, and the tail and body masses of N(0,1), within 3 SE', () => {
  const s = streamFor(12345, 0);
  const z = new Float64Array(N);
  for (let i = 0; i < N; i++) z[i] = s.normal();
  let m1 = 0;
  let m2 = 0;
  let m4 = 0;
  for (const v of z) {
    m1 += v;
    m2 += v * v;
    m4 += v ** 4;
  }
  m1 /= N;
  m2 /= N;
  m4 /= N;
  assert.ok(Math.abs(m1) < 3 / Math.sqrt(N), `mean ${m1}`);
  assert.ok(Math.abs(m2 - 1) < 3 * Math.sqrt(2 / N), `variance ${m2}`); // Var(Z²) = 2
  assert.ok(Math.abs(m4 - 3) < 3 * Math.sqrt(96 / N), `fourth moment ${m4}`); // Var(Z⁴) = 105 − 9
  // Masses: beyond the ziggurat's base (3.4426), in its wedges, and a central band.
  for (const [lo, hi] of [[3.442619855899, Infinity], [2, 3], [0.5, 1], [-0.1, 0.1]] as const) {
    const p = normalCdf(hi) - normalCdf(lo);
    let k = 0;
    for (const v of z) if (v > lo && v <= hi) k++;
    const se = Math.sqrt((p * (1 - p)) / N);
    assert.ok(Math.abs(k / N - p) < 3 * se + 1e-7, `(${lo}, ${hi}]: ${k / N} vs ${p}`);
  }
});

test('uniforms: mean 1/2, variance 1/12, never 0 or 1', () => {
  const s = streamFor(7, 3);
  let m = 0;
  let v = 0;
  for (let i = 0; i < N; i++) {
    const u = s.uniform();
    assert.ok(u > 0 && u < 1);
    m += u;
    v += (u - 0.5) ** 2;
  }
  assert.ok(Math.abs(m / N - 0.5) < 3 * Math.sqrt(1 / 12 / N));
  assert.ok(Math.abs(v / N - 1 / 12) < 3 * Math.sqrt(1 / 180 / N));
});
