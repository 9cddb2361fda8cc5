/**
 * Deterministic noise: the same (seed, slot) always gives the same value, so a twin driven
 * by an injected clock produces the same readings run after run, and two reads of a device
 * within one slot agree (a real sensor does not jitter between back-to-back reads).
 */
export function hashUnit(seed: number, slot: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(slot | 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Uniform in [-1, 1) for the slot of `nowMs` of width `slotMs`. */
export function jitter(seed: number, nowMs: number, slotMs = 1000): number {
  return hashUnit(seed, Math.floor(nowMs / slotMs)) * 2 - 1;
}

/** A stable per-name seed (FNV-1a), e.g. from a device id. */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
