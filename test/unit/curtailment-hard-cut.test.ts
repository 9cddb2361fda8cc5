import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planHardCut, replanHardCut, type HardCutChannel } from '../../services/curtailment/shed-plan-hard.ts';
import { planPowerOn, type PoweredOffChannel } from '../../services/curtailment/restore-plan.ts';
import type { MinerState, ShedState } from '../../services/curtailment/shed-state.ts';
import { shedModeOf } from '../../services/curtailment/programs.ts';
import { miner } from '../support/shed-site.ts';

// Ten miners behind four channels, every one drawing 3000 W (S21s turned down), and two loose
// miners behind none: x1 an S21 at 3500 W (17.5 J/TH), x2 an S19j Pro at 3068 W (29.5 J/TH).
//   relay R/c0: a1..a4  → 12,000 W      relay R/c1: b1..b3 → 9,000 W
//   PDU   P/o1: c1, c2  →  6,000 W      PDU   P/o2: d1     → 3,000 W
const ids = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i + 1}`);
const channels: HardCutChannel[] = [
  { id: 'R/c0', actuatorId: 'R', blockId: 'B1', minerIds: ids('a', 4) },
  { id: 'R/c1', actuatorId: 'R', blockId: 'B1', minerIds: ids('b', 3) },
  { id: 'P/o1', actuatorId: 'P', blockId: 'B1', minerIds: ids('c', 2) },
  { id: 'P/o2', actuatorId: 'P', blockId: 'B1', minerIds: ids('d', 1) },
];
const miners = (over: Record<string, Partial<MinerState>> = {}): MinerState[] => [
  ...[...ids('a', 4), ...ids('b', 3), ...ids('c', 2), ...ids('d', 1)].map((id) => ({ ...miner(id, 'B1', 'S21', { powerW: 3000 }), ...over[id] })),
  miner('x1', 'B1', 'S21'),
  miner('x2', 'B1', 'S19j-Pro'),
];
const state = (ms = miners()): ShedState => ({ siteLoadW: 1_000_000, miners: ms, gpuHosts: [], contracts: [] });
const summary = (p: { commands: { deviceId: string; action: string }[]; expectedShedW: number }) => ({ commands: p.commands.map((c) => `${c.action} ${c.deviceId}`), expectedShedW: p.expectedShedW });

describe('hard-cut shed plan: the fewest commands that meet the target', () => {
  test('20 kW: no channel covers it alone, so two — the largest (12 kW), then the only one covering the last 8 kW (9 kW)', () => {
    assert.deepEqual(summary(planHardCut({ shedMw: 0.02, allowAi: false }, state(), channels)), { commands: ['power-off R/c0', 'power-off R/c1'], expectedShedW: 21_000 });
  });

  test('14 kW: 12 kW, then the smallest channel covering the last 2 kW (3 kW), not the 9 kW one', () => {
    assert.deepEqual(summary(planHardCut({ shedMw: 0.014, allowAi: false }, state(), channels)), { commands: ['power-off R/c0', 'power-off P/o2'], expectedShedW: 15_000 });
  });

  test('5 kW: one command, the smallest channel that covers it (6 kW)', () => {
    assert.deepEqual(summary(planHardCut({ shedMw: 0.005, allowAi: false }, state(), channels)), { commands: ['power-off P/o1'], expectedShedW: 6_000 });
  });

  test('33 kW: every channel (30 kW), then a miner sleep for the last 3 kW, least efficient first', () => {
    // x2 (29.5 J/TH) before x1 (17.5): 3068 − 25 = 3043 W ≥ 3000 W left, and 68 W is below its range: a sleep.
    assert.deepEqual(summary(planHardCut({ shedMw: 0.033, allowAi: false }, state(), channels)), {
      commands: ['power-off R/c0', 'power-off R/c1', 'power-off P/o1', 'power-off P/o2', 'sleep x2'],
      expectedShedW: 33_043,
    });
  });

  test('a channel with a miner another event holds (not in the state) is not cut; an offline miner counts 0 W', () => {
    const noC2 = miners().filter((m) => m.id !== 'c2');
    // P/o1 is out: 5 kW → the smallest covering is now R/c1 (9 kW).
    assert.deepEqual(summary(planHardCut({ shedMw: 0.005, allowAi: false }, state(noC2), channels)).commands, ['power-off R/c1']);
    // d1 offline (unknown draw): P/o2 removes nothing and is never planned; 2 kW → P/o1 (6 kW).
    const offline = miners({ d1: { online: false, powerW: Number.NaN } });
    assert.deepEqual(summary(planHardCut({ shedMw: 0.002, allowAi: false }, state(offline), channels)).commands, ['power-off P/o1']);
  });

  test('channels already commanded are skipped (a top-up)', () => {
    assert.deepEqual(summary(planHardCut({ shedMw: 0.005, allowAi: false }, state(), channels, new Set(['P/o1']))).commands, ['power-off R/c1']);
  });

  test('a failed channel: what was sent stays, its share moves to the smallest channel covering it', () => {
    const plan = planHardCut({ shedMw: 0.014, allowAi: false }, state(), channels);
    const re = replanHardCut(plan, ['P/o2'], state(), channels);
    // Kept R/c0 (12 kW); 2 kW short; R/c0, P/o2 out: of R/c1 (9) and P/o1 (6) the smaller.
    assert.deepEqual(re.added.map((c) => c.deviceId), ['P/o1']);
    assert.deepEqual(re.dropped.map((c) => c.deviceId), ['P/o2']);
    assert.deepEqual(summary(re), { commands: ['power-off R/c0', 'power-off P/o1'], expectedShedW: 18_000 });
  });
});

describe('power-on after a hard cut, within inrush limits', () => {
  // R: 12 kW a step, 1 s apart; P: 7 kW a step, 2 s apart.
  const limits = new Map([
    ['R', { maxStepW: 12_000, stepIntervalMs: 1000 }],
    ['P', { maxStepW: 7_000, stepIntervalMs: 2000 }],
  ]);
  const off = (deviceId: string, actuatorId: string, w: number): PoweredOffChannel => ({ deviceId, blockId: 'B1', actuatorId, nameplateW: w, returnW: w, shedAtMs: 0 });
  const cut = [off('R/c0', 'R', 6000), off('R/c1', 'R', 6000), off('R/c2', 'R', 9000), off('R/c3', 'R', 14_000), off('P/o1', 'P', 7000), off('P/o2', 'P', 7000)];
  const waves = (p: ReturnType<typeof planPowerOn>) => p.waves.map((w) => [w.atMs, ...w.commands.map((c) => c.deviceId)]);

  test('steps pack each actuator to its limit, its steps at its interval; actuators step in parallel', () => {
    // R: c0 + c1 = 12 kW (step 0), c2 9 kW (step 1: +9 would be 21), c3 14 kW over the limit → alone (step 2).
    // P: 7 kW each → o1 at 0, o2 at 2 s.
    const plan = planPowerOn(cut, { nowMs: 10_000, limits, minOffMs: 0 });
    assert.deepEqual(waves(plan), [
      [10_000, 'P/o1', 'R/c0', 'R/c1'],
      [11_000, 'R/c2'],
      [12_000, 'P/o2', 'R/c3'],
    ]);
    assert.deepEqual(plan.fallbacks.map((f) => f.deviceId), ['R/c3']);
    assert.ok(plan.waves.every((w) => w.commands.every((c) => c.action === 'power-on' && c.expectedDeltaW > 0)));
  });

  test('with the site ramp (0.6 MW/min = 10 W/ms) a wave waits for the ramp, and no actuator steps sooner than its interval', () => {
    // Wave 0: 19 kW → next no sooner than 1.9 s; R/c2 (9 kW) at 1.9 s → next at 2.8 s: P/o2 (due 2 s);
    // P/o2 (7 kW) → next at 3.5 s: R/c3 (due 2 s; R's interval after 1.9 s is 2.9 s).
    const plan = planPowerOn(cut, { nowMs: 0, limits, minOffMs: 0, rampMwPerMin: 0.6 });
    assert.deepEqual(waves(plan), [
      [0, 'P/o1', 'R/c0', 'R/c1'],
      [1900, 'R/c2'],
      [2800, 'P/o2'],
      [3500, 'R/c3'],
    ]);
  });

  test('off at least minOffMs; an actuator without a limit is left unplanned with the reason', () => {
    const plan = planPowerOn([off('R/c0', 'R', 6000), off('Q/o1', 'Q', 1000)], { nowMs: 1000, limits, minOffMs: 60_000 });
    assert.deepEqual(waves(plan), [[60_000, 'R/c0']]);
    assert.deepEqual(plan.unplanned.map((u) => u.deviceId), ['Q/o1']);
    assert.match(plan.unplanned[0]!.reason, /no inrush limit for Q/);
  });
});

test('programs choose how: emergencies may hard-cut, economic programs sleep', () => {
  assert.equal(shedModeOf('under-frequency', false), 'hard-cut');
  assert.equal(shedModeOf('ers', false), 'hard-cut');
  assert.equal(shedModeOf('grid-dispatch', false), 'sleep');
  assert.equal(shedModeOf('grid-dispatch', true), 'hard-cut');
  assert.equal(shedModeOf('operator', false), 'sleep');
  assert.equal(shedModeOf('operator', true), 'hard-cut');
  assert.equal(shedModeOf('price-strike', true), 'sleep');
  assert.equal(shedModeOf('4cp', true), 'sleep');
});
