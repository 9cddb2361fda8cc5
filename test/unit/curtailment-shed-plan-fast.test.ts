import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coveredWakes, planShedFast, planSleeps, planSwap, type SwapSleeper } from '../../services/curtailment/shed-plan-fast.ts';
import type { MinerState, ShedState } from '../../services/curtailment/shed-state.ts';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import type { Firmware } from '../../services/domain/site-schema.ts';
import { miner } from '../support/shed-site.ts';

// Catalog facts (sleep drop = powerW − sleepPowerW 25 W): S19j-Pro 3068 W, 29.5 J/TH → 3043 W;
// S19-XP 3010 W, 21.5 J/TH → 2985 W; S21 3500 W, 17.5 J/TH → 3475 W. Sleeps only (no trims).
const m = (id: string, model: string, firmware: Firmware, over: { online?: boolean } = {}): MinerState => ({ ...miner(id, 'B1', model, { canSetPowerTarget: false, ...over }), firmware });
const sleep = (deviceId: string, w: number): DeviceCommand => ({ deviceId, blockId: 'B1', action: 'sleep', expectedDeltaW: -w });
const wake = (deviceId: string, w: number): DeviceCommand => ({ deviceId, blockId: 'B1', action: 'wake', expectedDeltaW: w });
const site = (miners: MinerState[]): ShedState => ({ siteLoadW: 1_000_000, miners, gpuHosts: [], contracts: [] });

const five = () => [
  m('a1', 'S19j-Pro', 'whatsminer'),
  m('a2', 'S19j-Pro', 'antminer'),
  m('b1', 'S21', 'braiins'),
  m('b2', 'S19-XP', 'avalon'),
  m('b3', 'S21', 'luxos'),
];

test('fast plan: cheapest sleep per watt first (Braiins, Avalon, LuxOS before Antminer and Whatsminer)', () => {
  // Cost per W of drop, ms/W: b1 0.1/3475 = 2.9e-5, b2 0.2/2985 = 6.7e-5, b3 0.5/3475 = 1.4e-4,
  // a2 1.0/3043 = 3.3e-4, a1 3.0/3043 = 9.9e-4. 9000 W: b1 3475 (5525 left), b2 2985 (2540
  // left), b3 3475 > 2540 and no trim → slept whole: 9935 W in three one-firmware-cheap sleeps.
  const plan = planShedFast({ shedMw: 0.009, allowAi: false }, site(five()));
  assert.deepEqual(plan.commands, [sleep('b1', 3475), sleep('b2', 2985), sleep('b3', 3475)]);
  assert.equal(plan.expectedShedW, 9935);
  assert.equal(plan.shortfallW, 0);
});

test("sleepPlan 'efficient' keeps least-efficient-first", () => {
  // a1, a2 (29.5 J/TH) 6086 W, 2914 left; b2 (21.5) drop 2985 ≥ 2914: slept → 9071 W.
  const plan = planSleeps('efficient', { shedMw: 0.009, allowAi: false }, site(five()));
  assert.deepEqual(plan.commands, [sleep('a1', 3043), sleep('a2', 3043), sleep('b2', 2985)]);
  assert.equal(plan.expectedShedW, 9071);
});

test('swap: efficient sleepers are woken only against less efficient sleeps that cover them', () => {
  const sleepers: SwapSleeper[] = [
    { deviceId: 'b1', blockId: 'B1', dropW: 3475, efficiencyJPerTh: 17.5 },
    { deviceId: 'b2', blockId: 'B1', dropW: 2985, efficiencyJPerTh: 21.5 },
    { deviceId: 'b3', blockId: 'B1', dropW: 3475, efficiencyJPerTh: 17.5 },
  ];
  // Awake: a1, a2 (29.5), c1 (21.5), d1 offline (never planned).
  const awake = site([m('a1', 'S19j-Pro', 'whatsminer'), m('a2', 'S19j-Pro', 'antminer'), m('c1', 'S19-XP', 'antminer'), m('d1', 'S19j-Pro', 'antminer', { online: false })]);
  // Sleepers most efficient first: b1, b3 (17.5, by id), b2 (21.5). b1 3475: a1 3043 < 3475,
  // + a2 → 6086 ≥ 3475: wake b1 (balance 2611). b3 3475: + c1 (21.5 > 17.5) → 9071 − 3475 =
  // 5596 ≥ 3475: wake b3 (balance 2121). b2 2985: no candidate left → stop.
  const swap = planSwap(sleepers, awake);
  assert.deepEqual(swap.sleeps, [sleep('a1', 3043), sleep('a2', 3043), sleep('c1', 2985)]);
  assert.deepEqual(swap.wakes, [wake('b1', 3475), wake('b3', 3475)]);
  // The shed only grows: 9071 slept − 6950 woken = +2121 W.

  // c1's sleep failed: acked 6086 W covers b1 (3475) but not b1 + b3 (6950).
  assert.deepEqual(coveredWakes(swap.wakes, 6086), [wake('b1', 3475)]);
  assert.deepEqual(coveredWakes(swap.wakes, 9071), swap.wakes);
  assert.deepEqual(coveredWakes(swap.wakes, 0), []);
});

test('swap: nothing when no awake miner is less efficient, and no sleep left uncovering', () => {
  const sleepers: SwapSleeper[] = [{ deviceId: 'a1', blockId: 'B1', dropW: 3043, efficiencyJPerTh: 29.5 }];
  assert.deepEqual(planSwap(sleepers, site([m('b1', 'S21', 'braiins'), m('a2', 'S19j-Pro', 'antminer')])), { sleeps: [], wakes: [] });
  // One S19-XP (2985 W) cannot cover an S21's 3475 W: its sleep is not made.
  const one: SwapSleeper[] = [{ deviceId: 'b1', blockId: 'B1', dropW: 3475, efficiencyJPerTh: 17.5 }];
  assert.deepEqual(planSwap(one, site([m('c1', 'S19-XP', 'antminer')])), { sleeps: [], wakes: [] });
});
