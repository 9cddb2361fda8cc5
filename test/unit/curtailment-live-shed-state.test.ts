import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { asicCatalog } from '../../services/domain/catalog.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { LiveShedState } from '../../services/curtailment/live-shed-state.ts';
import { planShed } from '../../services/curtailment/shed-plan.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';

/** The shed planner's view from live telemetry: miners as reported, GPU hosts summed from their GPUs. */

const base = loadSiteFile('test/support/sites/curtail.yaml');
const site: SiteFile = {
  ...base,
  gpuHosts: [{ id: 'G1', blockId: 'B3', host: 'gpu-1', nvidiaSmiPath: 'nvidia-smi' }],
  contracts: base.contracts.map((c) => (c.kind === 'colocation' ? { ...c, flexibility: { maxCurtailPct: 20, maxEventsPerMonth: 2 } } : c)),
};

function liveWith(readings: Parameters<LiveState['apply']>[0]['readings']): LiveState {
  const live = new LiveState(site);
  live.apply({ agentId: 'a', siteId: site.site.id, seq: 1, sentAtMs: 1_000, readings });
  return live;
}

describe('live shed state', () => {
  const gpus: Reading[] = Array.from({ length: 8 }, (_x, i) => ({ deviceId: `gpu-1/gpu${i}`, kind: 'gpu' as const, blockId: 'B3', atMs: 1_000, status: 'online' as const, metrics: { power_w: 700 }, labels: { host: 'gpu-1', index: String(i) } }));
  const miners: Reading[] = [
    { deviceId: 'B1-m00001', kind: 'miner' as const, blockId: 'B1', atMs: 1_000, status: 'online' as const, metrics: { power_w: 3068 }, labels: { model: 'S19j-Pro' } },
    { deviceId: 'B1-m00002', kind: 'miner' as const, blockId: 'B1', atMs: 1_000, status: 'offline' as const, metrics: {} },
  ];

  it('reads miners as reported (offline ones out of the plan) and GPU hosts as the sum of their GPUs', () => {
    const state = new LiveShedState(site, liveWith([...miners, ...gpus]), asicCatalog()).at(9e6, new Set());
    const m1 = state.miners.find((m) => m.id === 'B1-m00001')!;
    assert.equal(m1.online, true);
    assert.equal(m1.powerW, 3068);
    assert.equal(m1.canSetPowerTarget, false, 'stock Antminer firmware: sleep only');
    assert.equal(state.miners.find((m) => m.id === 'B1-m00002')!.online, false);
    assert.equal(state.miners.find((m) => m.id === 'B1-m00401')!.canSetPowerTarget, true, 'Whatsminer takes a power target');
    assert.deepEqual(state.gpuHosts, [{ id: 'G1', blockId: 'B3', contractId: 'colo-c', online: true, powerW: 5600, minCapW: 0 }]);
  });

  it('AI load is capped only when the event allows it, and never below the contract flexibility', () => {
    const state = new LiveShedState(site, liveWith([...miners, ...gpus]), asicCatalog()).at(9e6, new Set(['B1-m00001']));
    const withoutAi = planShed({ shedMw: 1, allowAi: false }, state);
    assert.ok(withoutAi.commands.every((c) => c.action !== 'gpu-power-cap'));
    assert.equal(withoutAi.shortfallW, 1e6, 'the only online miner is owned by another event');
    const withAi = planShed({ shedMw: 1, allowAi: true }, state);
    const cap = withAi.commands.find((c) => c.action === 'gpu-power-cap')!;
    assert.equal(cap.deviceId, 'G1');
    assert.ok(cap.targetW! >= 5600 * 0.8 - 1e-6, `cap ${cap.targetW} W under the 20% flexibility`);
  });
});
