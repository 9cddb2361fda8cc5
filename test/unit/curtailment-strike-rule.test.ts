import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runStrikeRule, stepStrike, strikeState, type StrikeAction } from '../../services/curtailment/strike-rule.ts';

const params = { strikeUsdPerMwh: 100, curtailAfter: 3, resumeAfter: 2, hardStrikeUsdPerMwh: 1000 };

test('curtail after N intervals above the strike, resume after M at or below it', () => {
  const prices = [90, 120, 130, 110, 150, 80, 120, 90, 100, 95];
  // above:          0    1    2    3    4    0    1    0    0    0   (100 is at the strike: counts toward resume)
  // below:          1    0    0    0    0    1    0    1    2    3
  assert.deepEqual(runStrikeRule(prices, params), [false, false, false, true, true, true, true, true, false, false]);
  let s = strikeState(params);
  const actions: StrikeAction[] = [];
  for (const p of prices) {
    const r = stepStrike(s, p);
    s = r.state;
    actions.push(r.action);
  }
  assert.deepEqual(actions, ['hold', 'hold', 'hold', 'curtail', 'hold', 'hold', 'hold', 'hold', 'resume', 'hold']);
});

test('a price above the hard strike curtails on its own interval', () => {
  assert.deepEqual(runStrikeRule([50, 1500, 50, 50, 200], params), [false, true, true, false, false]);
  // Just at the hard strike is not above it.
  assert.deepEqual(runStrikeRule([1000], params), [false]);
});

test('a missing price breaks the streak: it never completes N consecutive intervals', () => {
  assert.deepEqual(runStrikeRule([150, 150, Number.NaN, 150, 150, 150], params), [false, false, false, false, false, true]);
  // Nor does it complete a resume run.
  assert.deepEqual(runStrikeRule([150, 150, 150, 50, Number.NaN, 50, 50], params), [false, false, true, true, true, true, false]);
});

test('the state is immutable and the parameters are checked', () => {
  const s0 = strikeState(params);
  const { state: s1 } = stepStrike(s0, 500);
  assert.equal(s0.above, 0);
  assert.equal(s1.above, 1);
  assert.throws(() => strikeState({ ...params, curtailAfter: 0 }), RangeError);
  assert.throws(() => strikeState({ ...params, resumeAfter: 1.5 }), RangeError);
  assert.throws(() => strikeState({ ...params, hardStrikeUsdPerMwh: 100 }), /above the strike/);
  assert.throws(() => strikeState({ ...params, strikeUsdPerMwh: Number.NaN }), RangeError);
  assert.deepEqual(runStrikeRule([], params), []);
});

test('a year of five-minute prices: one decision per interval, curtailing in the peaks only', () => {
  const prices = Array.from({ length: 105_120 }, (_, i) => 60 + 80 * Math.sin(i / 50));
  const out = runStrikeRule(prices, { strikeUsdPerMwh: 100, curtailAfter: 2, resumeAfter: 2 });
  assert.equal(out.length, prices.length);
  assert.ok(out.some(Boolean) && !out.every(Boolean));
  // Curtailed only after two intervals above the strike, resumed only after two below.
  for (let i = 2; i < out.length; i++) {
    if (out[i] && !out[i - 1]) assert.ok(prices[i]! > 100 && prices[i - 1]! > 100, `curtailed at ${i}`);
    if (!out[i] && out[i - 1]) assert.ok(prices[i]! <= 100 && prices[i - 1]! <= 100, `resumed at ${i}`);
  }
});


test('strike rule: counts only prices at or below the resume level toward resuming; prices in the band restart both streaks', () => {
  const params = { strikeUsdPerMwh: 100, curtailAfter: 1, resumeAfter: 2, resumeAtOrBelowUsdPerMwh: 50 };
  // 120 curtails; 80 is in the band (not above 100, not at or below 50): both streaks restart;
  // 50, 40 are two at or below 50: resume on the second.
  assert.deepEqual(runStrikeRule([120, 40, 80, 50, 40, 60], params), [true, true, true, true, false, false]);
  // Without the resume level, 40 and 80 would have resumed at once.
  assert.deepEqual(runStrikeRule([120, 40, 80], { strikeUsdPerMwh: 100, curtailAfter: 1, resumeAfter: 2 }), [true, true, false]);
});

test('strike rule: a resume level above the strike is refused', () => {
  assert.throws(() => strikeState({ strikeUsdPerMwh: 100, curtailAfter: 1, resumeAfter: 1, resumeAtOrBelowUsdPerMwh: 101 }), /resumeAtOrBelowUsdPerMwh must be finite and at most the strike \(100\)/);
});
