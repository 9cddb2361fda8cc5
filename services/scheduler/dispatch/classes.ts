import type { AiBlock, DispatchInput, MiningBlock } from './input.ts';

/**
 * Identical mining blocks (same miners, overhead, minimum times, restart cost and starting
 * state) are interchangeable, so the MILP decides how many of them run rather than which:
 * one integer per class and interval instead of one binary per block. This is exact — any
 * count schedule that meets the aggregated minimum up/down rows can be handed out to blocks
 * first-in-first-out (disaggregate.ts) — and it is what lets a 1,000-block site solve fast.
 */

export interface MiningClass {
  index: number;
  /** The block every member is a copy of (ids aside). */
  template: MiningBlock;
  blockIds: string[];
}

export function miningClasses(input: DispatchInput): MiningClass[] {
  const byKey = new Map<string, MiningClass>();
  for (const b of input.blocks) {
    if (b.kind !== 'mining') continue;
    const { id: _id, ...rest } = b;
    const initial = { on: b.initial.on, intervalsInState: Math.min(b.initial.intervalsInState, b.initial.on ? b.minOnIntervals : b.minOffIntervals) };
    const key = JSON.stringify({ ...rest, initial });
    let c = byKey.get(key);
    if (!c) {
      c = { index: byKey.size, template: b, blockIds: [] };
      byKey.set(key, c);
    }
    c.blockIds.push(b.id);
  }
  return [...byKey.values()];
}

export function aiBlocks(input: DispatchInput): AiBlock[] {
  return input.blocks.filter((b): b is AiBlock => b.kind === 'ai');
}
