import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { asicCatalog } from '../../services/domain/catalog.ts';
import { VirtualMiner, PowerTargetError } from '../../simulations/site-twin/miner.ts';
import { blockAiPowerW, gpuGroupPowerW } from '../../simulations/site-twin/ai-hall.ts';
import { gpuCatalog } from '../../services/domain/catalog.ts';

const S21 = asicCatalog().get('S21');
assert.ok(S21);
const model = S21;

/** First time (in 100 ms steps, up to `limitMs`) at which `ok` holds. */
function timeUntil(miner: VirtualMiner, fromMs: number, limitMs: number, ok: (m: VirtualMiner, t: number) => boolean): number | undefined {
  for (let t = fromMs; t <= fromMs + limitMs; t += 100) if (ok(miner, t)) return t - fromMs;
  return undefined;
}

describe('virtual miner physics (injected time)', () => {
  test('mines at nominal power and hashrate', () => {
    const m = new VirtualMiner(model, { seed: 1, nowMs: 0 });
    const s = m.snapshot(10_000);
    assert.equal(s.mode, 'mining');
    assert.ok(Math.abs(s.powerW - model.powerW) / model.powerW < 0.011);
    assert.ok(Math.abs(s.hashrateHs - model.hashrateThs * 1e12) / (model.hashrateThs * 1e12) < 0.011);
  });

  test('a sleeping miner falls to its sleep draw (≤ 30 W) within 2–5 s and stops hashing at once', () => {
    const m = new VirtualMiner(model, { seed: 2, nowMs: 0 });
    assert.equal(m.sleep(1_000), true);
    assert.equal(m.snapshot(1_000).hashrateHs, 0);
    const t = timeUntil(m, 1_000, 10_000, (mm, at) => mm.snapshot(at).powerW <= 30);
    assert.ok(t !== undefined && t >= 2_000 && t <= 5_000, `took ${t} ms`);
    assert.ok(Math.abs(m.powerAt(60_000) - model.sleepPowerW) < 0.5);
  });

  test('waking takes tens of seconds to reach hashrate', () => {
    const m = new VirtualMiner(model, { seed: 3, nowMs: 0, mode: 'sleeping' });
    assert.equal(m.wake(0), true);
    assert.equal(m.snapshot(10_000).mode, 'waking');
    assert.equal(m.snapshot(10_000).hashrateHs, 0);
    const nominal = model.hashrateThs * 1e12;
    const t = timeUntil(m, 0, 120_000, (mm, at) => mm.snapshot(at).hashrateHs >= 0.9 * nominal);
    assert.ok(t !== undefined && t >= 20_000 && t <= 60_000, `took ${t} ms`);
  });

  test('hashrate is proportional to power within the allowed range; out-of-range targets are refused', () => {
    const m = new VirtualMiner(model, { seed: 4, nowMs: 0 });
    m.setPowerTarget(0, model.minPowerW);
    const s = m.snapshot(120_000);
    const ratio = s.hashrateHs / (model.hashrateThs * 1e12) / (s.powerW / model.powerW);
    assert.ok(Math.abs(ratio - 1) < 0.03, `ratio ${ratio}`);
    assert.throws(() => m.setPowerTarget(0, model.maxPowerW + 1), PowerTargetError);
    assert.throws(() => m.setPowerTarget(0, model.minPowerW - 1), /outside S21's range/);
    assert.throws(() => m.setPowerTarget(0, Number.NaN), PowerTargetError);
  });

  test('board temperature follows power', () => {
    const m = new VirtualMiner(model, { seed: 5, nowMs: 0 });
    const hot = m.snapshot(0).tempC;
    m.sleep(0);
    const cold = m.snapshot(600_000).tempC;
    assert.ok(hot > 55 && cold < 30, `hot ${hot} cold ${cold}`);
  });

  test('the same clock gives the same readings (deterministic noise)', () => {
    const a = new VirtualMiner(model, { seed: 9, nowMs: 0 });
    const b = new VirtualMiner(model, { seed: 9, nowMs: 0 });
    a.snapshot(3_000);
    assert.deepEqual(a.snapshot(7_000), b.snapshot(7_000));
  });
});

describe('AI hall power', () => {
  const h100 = gpuCatalog().get('H100-SXM');
  assert.ok(h100);
  const gpu = h100;
  test('between idle and TDP per GPU, plus the node overhead', () => {
    const group = { model: 'H100-SXM', count: 800, utilization: 1 };
    const overhead = gpu.systemPowerW / gpu.gpusPerSystem - gpu.tdpW;
    const busy = gpuGroupPowerW(group, gpu, 'training', 10 * 60_000, 12);
    const checkpoint = gpuGroupPowerW(group, gpu, 'training', 30 * 60_000 + 10_000, 12);
    const idle = gpuGroupPowerW(group, gpu, 'idle', 0, 12);
    assert.ok(busy <= 800 * (gpu.tdpW + overhead) && busy > 0.85 * 800 * (gpu.tdpW + overhead));
    assert.ok(checkpoint < busy * 0.7, 'checkpoints dip');
    assert.equal(idle, 800 * (gpu.idlePowerW + overhead));
    const night = gpuGroupPowerW(group, gpu, 'inference', 0, 3);
    const afternoon = gpuGroupPowerW(group, gpu, 'inference', 0, 15);
    assert.ok(afternoon > night * 1.3, 'inference follows the day');
  });

  test('a block being converted draws nothing yet', () => {
    const block = { id: 'B9', name: 'x', feed: 'T', capacityMw: 1, cooling: 'liquid' as const, state: 'converting' as const, capability: ['ai' as const], overheadFactor: 1.2, miners: [], gpus: [{ model: 'H100-SXM', count: 8 }] };
    const s = { site: { id: 's', name: 's', timezone: 'UTC', market: { iso: 'X', settlementPoint: 'Y' }, importLimitMw: 1, poolFee: 0 }, blocks: [block], meters: [], snmpDevices: [], gpuHosts: [], contracts: [], debt: [] };
    assert.equal(blockAiPowerW(block, s, gpuCatalog(), 0), 0);
  });
});
