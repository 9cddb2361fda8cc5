import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planShed, replan, requiredShedW, ShedPlanError, type ShedPlan } from '../../services/curtailment/shed-plan.ts';
import type { GpuHostState, MinerState, ShedState } from '../../services/curtailment/shed-state.ts';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import { bigShedSite, miner, rng } from '../support/shed-site.ts';

// Five miners of three models. Sleep drops: S19j-Pro 3068−25 = 3043, S19-XP 3010−25 = 2985,
// S21 3500−25 = 3475. Order (J/TH desc, then id): m2, m4 (29.5), m3 (21.5), m1 (17.5); m5 is offline.
const fiveMiners = (over: Partial<Record<string, Parameters<typeof miner>[3]>> = {}): MinerState[] => [
  miner('m1', 'B1', 'S21', over.m1),
  miner('m2', 'B1', 'S19j-Pro', over.m2),
  miner('m3', 'B1', 'S19-XP', over.m3),
  miner('m4', 'B2', 'S19j-Pro', over.m4),
  miner('m5', 'B2', 'S19-XP', { online: false, ...over.m5 }),
];

const gpuHosts: GpuHostState[] = [
  { id: 'g0', blockId: 'B3', contractId: 'c-flex', online: false, powerW: 10_000, minCapW: 5_000 },
  { id: 'g1', blockId: 'B3', contractId: 'c-flex', online: true, powerW: 10_000, minCapW: 5_000 },
  { id: 'g2', blockId: 'B3', contractId: 'c-flex', online: true, powerW: 8_000, minCapW: 7_000 },
  { id: 'g3', blockId: 'B4', contractId: 'c-rigid', online: true, powerW: 10_000, minCapW: 1_000 },
];
const contracts = [{ id: 'c-flex', flexibility: { maxCurtailPct: 30 } }, { id: 'c-rigid' }];

const state = (miners = fiveMiners(), siteLoadW = 1_007_000): ShedState => ({ siteLoadW, miners, gpuHosts, contracts });

const sleep = (deviceId: string, blockId: string, w: number): DeviceCommand => ({ deviceId, blockId, action: 'sleep', expectedDeltaW: -w });
const trim = (deviceId: string, blockId: string, targetW: number, w: number): DeviceCommand => ({
  deviceId,
  blockId,
  action: 'set-power-target',
  targetW,
  expectedDeltaW: -w,
});
const cap = (deviceId: string, blockId: string, targetW: number, w: number): DeviceCommand => ({ deviceId, blockId, action: 'gpu-power-cap', targetW, expectedDeltaW: -w });

test('target load: two sleeps of the least efficient miners, then a power-target trim for the rest', () => {
  // 1.007 MW on the meter, target 1 MW: 7000 W to shed = 3043 + 3043 + 914 (m3 to 3010 − 914 = 2096 W ≥ 1800).
  const plan = planShed({ targetMw: 1, allowAi: false }, state());
  assert.deepEqual(plan, {
    requiredShedW: 7000,
    allowAi: false,
    commands: [sleep('m2', 'B1', 3043), sleep('m4', 'B2', 3043), trim('m3', 'B1', 2096, 914)],
    expectedShedW: 7000,
    shortfallW: 0,
    byBlock: { B1: { expectedShedW: 3957, commandCount: 2 }, B2: { expectedShedW: 3043, commandCount: 1 } },
    excludedDeviceIds: [],
  } satisfies ShedPlan);
});

test('a remainder beyond the boundary miner\'s range sleeps it instead (shed ≥ target)', () => {
  // 8500 W: after two sleeps 2414 W remain; 3010 − 2414 = 596 W is below m3's 1800 W minimum.
  const plan = planShed({ shedMw: 0.0085, allowAi: false }, state());
  assert.deepEqual(plan.commands, [sleep('m2', 'B1', 3043), sleep('m4', 'B2', 3043), sleep('m3', 'B1', 2985)]);
  assert.equal(plan.expectedShedW, 9071);
  assert.equal(plan.shortfallW, 0);
});

test('a miner whose firmware takes no power target is slept at the boundary', () => {
  const plan = planShed({ shedMw: 0.007, allowAi: false }, state(fiveMiners({ m3: { canSetPowerTarget: false } })));
  assert.deepEqual(plan.commands, [sleep('m2', 'B1', 3043), sleep('m4', 'B2', 3043), sleep('m3', 'B1', 2985)]);
});

test('a trim target above the allowed maximum is clamped to it', () => {
  // m2 overclocked at 3500 W (max 3300): shedding 100 W sets 3300 W, a 200 W drop.
  const plan = planShed({ shedMw: 0.0001, allowAi: false }, state(fiveMiners({ m2: { powerW: 3500 } })));
  assert.deepEqual(plan.commands, [trim('m2', 'B1', 3300, 200)]);
});

test('without AI the plan stops at the ASICs and reports the shortfall', () => {
  // ASIC capacity: 3043 + 3043 + 2985 + 3475 = 12546 W; m5 is offline and never counted.
  const plan = planShed({ shedMw: 0.02, allowAi: false }, state());
  assert.deepEqual(plan.commands, [sleep('m2', 'B1', 3043), sleep('m4', 'B2', 3043), sleep('m3', 'B1', 2985), sleep('m1', 'B1', 3475)]);
  assert.equal(plan.expectedShedW, 12546);
  assert.equal(plan.shortfallW, 7454);
});

test('with AI allowed, GPU hosts are capped within the contract flexibility and never below their floor', () => {
  // g1: floor max(5000, 10000 × 0.7) = 7000 → 3000 W; g2: floor max(7000, 5600) = 7000 → 1000 W;
  // g3's contract has no flexibility; g0 is offline.
  const plan = planShed({ shedMw: 0.02, allowAi: true }, state());
  assert.deepEqual(plan.commands.slice(4), [cap('g1', 'B3', 7000, 3000), cap('g2', 'B3', 7000, 1000)]);
  assert.equal(plan.expectedShedW, 16546);
  assert.equal(plan.shortfallW, 3454);
  assert.deepEqual(plan.byBlock.B3, { expectedShedW: 4000, commandCount: 2 });

  // 14000 W: 1454 W past the ASICs, taken from g1 alone.
  const partial = planShed({ shedMw: 0.014, allowAi: true }, state());
  assert.deepEqual(partial.commands.slice(4), [cap('g1', 'B3', 8546, 1454)]);
  assert.equal(partial.shortfallW, 0);
});

test('a target at or above the site load plans nothing; bad requests throw', () => {
  assert.deepEqual(planShed({ targetMw: 2, allowAi: false }, state()).commands, []);
  assert.throws(() => planShed({ targetMw: 1, allowAi: false }, state(fiveMiners(), Number.NaN)), ShedPlanError);
  assert.throws(() => requiredShedW({ shedMw: -1 }, 0), RangeError);
  assert.throws(() => requiredShedW({ shedMw: 1, targetMw: 1 } as never, 0), /not both/);
  assert.throws(() => planShed({ shedMw: 1, allowAi: false }, state([...fiveMiners(), miner('m1', 'B9', 'S21')])), /appears twice/);
});

test('unknown draw (NaN) leaves a miner out of the plan', () => {
  const plan = planShed({ shedMw: 0.003, allowAi: false }, state(fiveMiners({ m2: { powerW: Number.NaN } })));
  // m4 is next: 3068 − 3000 = 68 W is below its range, so it sleeps.
  assert.deepEqual(plan.commands, [sleep('m4', 'B2', 3043)]);
});

test('replan moves a failed sleep onto the next miners in order and deepens the old trim', () => {
  const plan = planShed({ targetMw: 1, allowAi: false }, state());
  // State after the commands: m2 asleep, m3 trimmed. Replan must read the draw before its own commands.
  const after = state(fiveMiners({ m2: { powerW: 25 }, m3: { powerW: 2096 } }));
  const r = replan(plan, ['m4'], after);
  // 7000 − 3043 (m2) = 3957: m3 sleeps (2985), 972 left: m1 to 3500 − 972 = 2528 W.
  assert.deepEqual(r.commands, [sleep('m2', 'B1', 3043), sleep('m3', 'B1', 2985), trim('m1', 'B1', 2528, 972)]);
  assert.deepEqual(r.added, [sleep('m3', 'B1', 2985), trim('m1', 'B1', 2528, 972)]);
  assert.deepEqual(r.dropped, [sleep('m4', 'B2', 3043), trim('m3', 'B1', 2096, 914)]);
  assert.equal(r.expectedShedW, 7000);
  assert.equal(r.shortfallW, 0);
  assert.deepEqual(r.excludedDeviceIds, ['m4']);

  // A second failure: m1's trim fails; m4 stays excluded though the state shows it online.
  const r2 = replan(r, ['m1'], after);
  assert.deepEqual(r2.commands, [sleep('m2', 'B1', 3043), sleep('m3', 'B1', 2985)]);
  assert.deepEqual(r2.added, []);
  assert.deepEqual(r2.excludedDeviceIds, ['m1', 'm4']);
  assert.equal(r2.shortfallW, 972);
});

test('replan with no failure changes nothing', () => {
  const plan = planShed({ targetMw: 1, allowAi: false }, state());
  const r = replan(plan, [], state());
  assert.deepEqual(r.commands, plan.commands);
  assert.deepEqual(r.added, []);
  assert.deepEqual(r.dropped, []);
});

// ---- 50,000 miners -------------------------------------------------------------------------

function checkPlan(plan: ShedPlan, s: ShedState, failed: Set<string> = new Set()): void {
  const minerById = new Map(s.miners.map((m) => [m.id, m]));
  const hostById = new Map(s.gpuHosts.map((h) => [h.id, h]));
  const seen = new Set<string>();
  let asicDone = false;
  for (const c of plan.commands) {
    assert.ok(!seen.has(c.deviceId), `${c.deviceId} commanded twice`);
    assert.ok(!failed.has(c.deviceId), `${c.deviceId} failed but is planned`);
    seen.add(c.deviceId);
    const m = minerById.get(c.deviceId);
    if (m !== undefined) {
      assert.ok(m.online, `${m.id} is offline`);
      assert.ok(!asicDone, 'ASIC command after a trim or a GPU cap');
      if (c.action === 'set-power-target') {
        assert.ok(m.canSetPowerTarget);
        assert.ok(c.targetW! >= m.minPowerW && c.targetW! <= m.maxPowerW, `${m.id} target ${c.targetW} outside [${m.minPowerW}, ${m.maxPowerW}]`);
        asicDone = true;
      } else assert.equal(c.action, 'sleep');
    } else {
      const h = hostById.get(c.deviceId)!;
      asicDone = true;
      assert.equal(c.action, 'gpu-power-cap');
      assert.ok(plan.allowAi && h.online && h.contractId === 'c-flex');
      assert.ok(c.targetW! >= Math.max(h.minCapW, h.powerW * 0.75), `${h.id} capped to ${c.targetW}, below its floor`);
    }
  }
}

test('50,000 miners: meets the target when capacity allows, respects ranges, order and AI floors', () => {
  const s = bigShedSite(42);
  const online = s.miners.filter((m) => m.online);
  const asicCapacityW = online.reduce((a, m) => a + m.powerW - m.sleepPowerW, 0);
  const maxSleepDropW = Math.max(...online.map((m) => m.powerW - m.sleepPowerW));
  const gpuCapacityW = s.gpuHosts.filter((h) => h.online && h.contractId === 'c-flex').reduce((a, h) => a + h.powerW - Math.ceil(Math.max(h.minCapW, h.powerW * 0.75)), 0);
  const rand = rng(7);
  for (let trial = 0; trial < 6; trial++) {
    const allowAi = trial % 2 === 1;
    const needW = Math.round(rand() * (asicCapacityW + (allowAi ? gpuCapacityW : 0)) * 1.02);
    const plan = planShed({ shedMw: needW / 1e6, allowAi }, s);
    checkPlan(plan, s);
    const capacityW = asicCapacityW + (allowAi ? gpuCapacityW : 0);
    if (needW <= capacityW) {
      assert.equal(plan.shortfallW, 0, `trial ${trial}: need ${needW}`);
      assert.ok(plan.expectedShedW >= needW);
    } else {
      assert.ok(Math.abs(plan.expectedShedW + plan.shortfallW - needW) < 1e-3);
    }
    if (needW <= asicCapacityW) {
      assert.ok(plan.commands.every((c) => c.action !== 'gpu-power-cap'), 'GPU capped while ASICs were left');
      assert.ok(plan.expectedShedW - needW < maxSleepDropW, 'overshoot beyond one miner');
    }
    // Least efficient first: nothing left running is less efficient than what was commanded.
    const commanded = new Set(plan.commands.map((c) => c.deviceId));
    const minCommandedEff = Math.min(...online.filter((m) => commanded.has(m.id)).map((m) => m.efficiencyJPerTh));
    const maxLeftEff = Math.max(...online.filter((m) => !commanded.has(m.id)).map((m) => m.efficiencyJPerTh));
    if (commanded.size > 0 && commanded.size < online.length) assert.ok(minCommandedEff >= maxLeftEff);

    // 5% of the commanded devices fail: replan around them.
    const failed = new Set(plan.commands.filter(() => rand() < 0.05).map((c) => c.deviceId));
    const r = replan(plan, failed, s);
    checkPlan(r, s, failed);
    const lostW =
      online.filter((m) => failed.has(m.id)).reduce((a, m) => a + m.powerW - m.sleepPowerW, 0) +
      s.gpuHosts.filter((h) => failed.has(h.id)).reduce((a, h) => a + h.powerW - Math.ceil(Math.max(h.minCapW, h.powerW * 0.75)), 0);
    if (needW <= capacityW - lostW) {
      assert.equal(r.shortfallW, 0, `trial ${trial}: replan short`);
      assert.ok(r.expectedShedW >= needW);
    }
  }
});

test('the plan is deterministic: same state, same commands', () => {
  const s = bigShedSite(3);
  const a = planShed({ shedMw: 50, allowAi: true }, s);
  const b = planShed({ shedMw: 50, allowAi: true }, { ...s, miners: [...s.miners].reverse() });
  assert.deepEqual(a, b);
});
