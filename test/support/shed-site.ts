// A 50,000-miner, 200-GPU-host shed state from a seed: the shed-plan tests and the
// curtailment-plans benchmark use the same site.
import assert from 'node:assert/strict';
import type { GpuHostState, MinerState, ShedState } from '../../services/curtailment/shed-state.ts';
import { asicCatalog } from '../../services/domain/catalog.ts';

export function miner(id: string, blockId: string, model: string, opts: { online?: boolean; powerW?: number; canSetPowerTarget?: boolean } = {}): MinerState {
  const m = asicCatalog().get(model);
  assert.ok(m, model);
  return {
    id,
    blockId,
    model,
    online: opts.online ?? true,
    powerW: opts.powerW ?? m.powerW,
    efficiencyJPerTh: m.efficiencyJPerTh,
    minPowerW: m.minPowerW,
    maxPowerW: m.maxPowerW,
    sleepPowerW: m.sleepPowerW,
    canSetPowerTarget: opts.canSetPowerTarget ?? true,
  };
}

/** mulberry32: a small seeded generator, so a failing case can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function bigShedSite(seed: number): ShedState {
  const rand = rng(seed);
  const models = [...asicCatalog().keys()];
  const miners: MinerState[] = [];
  for (let i = 0; i < 50_000; i++) {
    const model = models[Math.floor(rand() * models.length)] as string;
    const nominal = asicCatalog().get(model)!.powerW;
    miners.push(
      miner(`B${i % 20}-m${String(i).padStart(5, '0')}`, `B${i % 20}`, model, {
        online: rand() > 0.05,
        powerW: Math.round(nominal * (0.95 + rand() * 0.1)),
        canSetPowerTarget: rand() > 0.5,
      }),
    );
  }
  const hosts: GpuHostState[] = [];
  for (let i = 0; i < 200; i++) {
    hosts.push({ id: `g${String(i).padStart(3, '0')}`, blockId: `A${i % 4}`, contractId: i % 2 === 0 ? 'c-flex' : 'c-rigid', online: rand() > 0.05, powerW: 8_000 + Math.round(rand() * 4_000), minCapW: 6_000 });
  }
  return { siteLoadW: 200e6, miners, gpuHosts: hosts, contracts: [{ id: 'c-flex', flexibility: { maxCurtailPct: 25 } }, { id: 'c-rigid' }] };
}
