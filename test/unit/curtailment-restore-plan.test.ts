import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hysteresisBlocks, planRestore, type ShedDevice } from '../../services/curtailment/restore-plan.ts';

const slept = (deviceId: string, efficiencyJPerTh: number, shedAtMs = 0): ShedDevice => ({
  deviceId,
  blockId: 'B1',
  shedAction: 'sleep',
  preEventW: 3000,
  currentW: 25,
  shedAtMs,
  efficiencyJPerTh,
});

// Ramp 0.012 MW/min = 0.2 W/ms; stagger 30 s → at most 6000 W per wave.
const params = { nowMs: 50_000, rampMwPerMin: 0.012, minOffMs: 60_000, staggerMs: 30_000 };

test('AI hosts first, then the most efficient miners, in ramp-sized waves that wait for min-off', () => {
  const devices: ShedDevice[] = [
    slept('d3', 21.5, 30_000), // may wake from 90 s
    slept('d2', 17.5),
    slept('d1', 15),
    { deviceId: 'd4', blockId: 'B2', shedAction: 'set-power-target', preEventW: 3068, currentW: 2096, shedAtMs: 0, efficiencyJPerTh: 29.5 },
    { deviceId: 'g1', blockId: 'B3', shedAction: 'gpu-power-cap', preEventW: 10_000, currentW: 7_000, restoreTargetW: 10_200, shedAtMs: 0 },
  ];
  const plan = planRestore(devices, params);
  assert.deepEqual(plan, {
    waves: [
      // At 50 s only the trim and the cap may come back (the sleeps' 60 s min-off has not passed).
      {
        atMs: 50_000,
        commands: [
          { deviceId: 'g1', blockId: 'B3', action: 'gpu-power-cap', targetW: 10_200, expectedDeltaW: 3000 },
          { deviceId: 'd4', blockId: 'B2', action: 'set-power-target', targetW: 3068, expectedDeltaW: 972 },
        ],
        deltaW: 3972,
      },
      // 30 s later (3972 W at 0.2 W/ms needs only 19.86 s): d1 and d2, 5950 W ≤ 6000 W.
      {
        atMs: 80_000,
        commands: [
          { deviceId: 'd1', blockId: 'B1', action: 'wake', expectedDeltaW: 2975 },
          { deviceId: 'd2', blockId: 'B1', action: 'wake', expectedDeltaW: 2975 },
        ],
        deltaW: 5950,
      },
      { atMs: 110_000, commands: [{ deviceId: 'd3', blockId: 'B1', action: 'wake', expectedDeltaW: 2975 }], deltaW: 2975 },
    ],
    totalW: 12_897,
    finishMs: 110_000,
    fallbacks: [],
    unplanned: [],
  });
});

test('a wave that is full waits for the next; nobody jumps ahead of a more efficient device', () => {
  const devices = [slept('a', 15), slept('b', 16), slept('c', 17), { ...slept('small', 30), preEventW: 525 }];
  const plan = planRestore(devices, { ...params, nowMs: 100_000 });
  // a + b = 5950 W; c would make 8925 W, so it waits — and so does 'small' (500 W) behind it.
  assert.deepEqual(
    plan.waves.map((w) => [w.atMs, w.commands.map((c) => c.deviceId)]),
    [
      [100_000, ['a', 'b']],
      [130_000, ['c', 'small']],
    ],
  );
});

test('a device larger than a wave goes alone and the next wave waits for the ramp to pay for it', () => {
  const big: ShedDevice = { deviceId: 'g-big', blockId: 'B3', shedAction: 'gpu-power-cap', preEventW: 132_000, currentW: 100_000, shedAtMs: 0 };
  const plan = planRestore([big, slept('m1', 15)], { ...params, nowMs: 100_000 });
  // 32 000 W at 0.2 W/ms = 160 s.
  assert.deepEqual(
    plan.waves.map((w) => [w.atMs, w.deltaW]),
    [
      [100_000, 32_000],
      [260_000, 2975],
    ],
  );
});

test('hysteresis: nothing is planned while the trigger is inside its band', () => {
  const devices = [slept('a', 15)];
  const price = { threshold: 100, bandWidth: 10, tripsWhen: 'above' as const };
  assert.match(planRestore(devices, { ...params, hysteresis: { ...price, value: 95 } }).blockedReason ?? '', /above 90/);
  assert.deepEqual(planRestore(devices, { ...params, hysteresis: { ...price, value: 95 } }).waves, []);
  assert.equal(planRestore(devices, { ...params, hysteresis: { ...price, value: 90 } }).waves.length, 1);
  const freq = { threshold: 59.7, bandWidth: 0.2, tripsWhen: 'below' as const };
  assert.ok(hysteresisBlocks({ ...freq, value: 59.85 }));
  assert.equal(hysteresisBlocks({ ...freq, value: 59.95 }), undefined);
  assert.match(hysteresisBlocks({ ...freq, value: Number.NaN }) ?? '', /unknown/);
});

test('bad parameters throw; nothing shed is an empty plan', () => {
  assert.deepEqual(planRestore([], params), { waves: [], totalW: 0, finishMs: null, fallbacks: [], unplanned: [] });
  assert.throws(() => planRestore([], { ...params, rampMwPerMin: 0 }), RangeError);
  assert.throws(() => planRestore([], { ...params, staggerMs: -1 }), RangeError);
});

// Issue 10 finding 2: a shed miner whose model has no catalog efficiency made the restore
// throw; the abort answered 500 and ~5.9 MW stayed off. Missing data is a fallback now.
test('missing data never throws: a stated fallback per device', () => {
  const devices: ShedDevice[] = [
    { ...slept('no-eff', 15), efficiencyJPerTh: undefined },
    { ...slept('no-draw', 20), preEventW: Number.NaN },
    slept('ok', 25),
    { deviceId: 'trim-no-target', blockId: 'B1', shedAction: 'set-power-target', preEventW: Number.NaN, currentW: 2000, shedAtMs: 0, efficiencyJPerTh: 20 },
  ];
  const plan = planRestore(devices, { ...params, nowMs: 1_000_000 });
  const order = plan.waves.flatMap((w) => w.commands.map((c) => c.deviceId));
  // Known efficiencies first (20 J/TH with unknown draw, then 25), the unknown efficiency last.
  assert.deepEqual(order, ['no-draw', 'ok', 'no-eff']);
  // The unknown draw goes alone in its wave.
  assert.equal(plan.waves.find((w) => w.commands.some((c) => c.deviceId === 'no-draw'))!.commands.length, 1);
  assert.deepEqual(plan.fallbacks.map((f) => f.deviceId).sort(), ['no-draw', 'no-eff']);
  assert.match(plan.fallbacks.find((f) => f.deviceId === 'no-eff')!.reason, /no catalog efficiency/);
  assert.deepEqual(plan.unplanned.map((u) => u.deviceId), ['trim-no-target']);
  assert.match(plan.unplanned[0]!.reason, /no power target known/);
});

test('50,000 miners: ramp, min-off and stagger hold in every wave, most efficient first', () => {
  const devices: ShedDevice[] = Array.from({ length: 50_000 }, (_, i) => ({
    ...slept(`m${String(i).padStart(5, '0')}`, 12 + (i % 18), (i % 7) * 10_000),
    preEventW: 3000 + (i % 600),
  }));
  const p = { nowMs: 30_000, rampMwPerMin: 10, minOffMs: 300_000, staggerMs: 5_000 };
  const plan = planRestore(devices, p);
  const rampWPerMs = (p.rampMwPerMin * 1e6) / 60_000;
  const byId = new Map(devices.map((d) => [d.deviceId, d]));
  let count = 0;
  plan.waves.forEach((w, k) => {
    assert.ok(w.deltaW <= rampWPerMs * p.staggerMs + 1e-6, `wave ${k} too big`);
    const next = plan.waves[k + 1];
    if (next !== undefined) assert.ok(next.atMs - w.atMs >= Math.max(p.staggerMs, w.deltaW / rampWPerMs));
    for (const c of w.commands) {
      const d = byId.get(c.deviceId)!;
      assert.ok(w.atMs >= d.shedAtMs + p.minOffMs, `${d.deviceId} woken before its min-off`);
      count++;
    }
  });
  assert.equal(count, 50_000);
  // Within the devices that all became eligible together, efficiency never decreases across waves.
  const last = plan.waves.filter((w) => w.atMs >= 360_000).flatMap((w) => w.commands.map((c) => byId.get(c.deviceId)!.efficiencyJPerTh!));
  for (let i = 1; i < last.length; i++) assert.ok(last[i]! >= last[i - 1]!);
});
