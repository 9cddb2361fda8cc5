import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashpricePath } from '../../services/finance/hashprice-outlook.ts';
import type { HashpriceOutlook } from '../../services/scheduler/strategic/offers-schema.ts';

const FLAT: HashpriceOutlook = { startUsdPerPhDay: 50, btcPriceGrowthPctPerYear: 0, difficultyGrowthPctPerYear: 0, feeSharePct: 2 };

function near(actual: number, expected: number, what: string, rel = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: expected ${expected}, got ${actual}`);
}

test('default anchor: block 1,050,000 lands in 2028-04 and hashprice drops by the subsidy share that month', () => {
  // 840,000 on 2024-04-20 + 210,000 / 144 = 1458.33 days → 2028-04-17.
  const p = hashpricePath(FLAT, '2026-01', 36);
  assert.equal(p.halvings.length, 1);
  const h = p.halvings[0]!;
  assert.equal(h.height, 1_050_000);
  assert.equal(h.date, '2028-04-17');
  assert.equal(h.month, '2028-04');
  assert.equal(h.monthIndex, 27);
  assert.equal(h.subsidyBeforeBtc, 3.125);
  assert.equal(h.subsidyAfterBtc, 1.5625);
  // Fees (2 % of the reward) stay; the subsidy (98 %) halves: 50 × (0.02 + 0.98 / 2) = 25.5.
  near(p.usdPerPhDay[26]!, 50, 'month before');
  near(p.usdPerPhDay[27]!, 25.5, 'halving month');
  near(p.usdPerPhDay[35]!, 25.5, 'after');
});

test('halvingDate moves the drop to the month holding that date', () => {
  const p = hashpricePath({ ...FLAT, halvingDate: '2028-06-20', feeSharePct: 0 }, '2026-01', 36);
  assert.equal(p.halvings[0]!.month, '2028-06');
  near(p.usdPerPhDay[28]!, 50, '2028-05');
  near(p.usdPerPhDay[29]!, 25, '2028-06');
});

test('an anchor height and date set the halving at 144 blocks a day', () => {
  // 1,000 blocks before the halving on 2028-01-01: 6.94 days later → 2028-01-07.
  const p = hashpricePath({ ...FLAT, anchor: { height: 1_049_000, date: '2028-01-01' } }, '2027-06', 12);
  assert.equal(p.halvings[0]!.date, '2028-01-07');
  assert.equal(p.halvings[0]!.month, '2028-01');
});

test('price and difficulty growth compound monthly: +21 %/yr price over +10 %/yr difficulty is +10 %/yr', () => {
  const p = hashpricePath({ ...FLAT, btcPriceGrowthPctPerYear: 21, difficultyGrowthPctPerYear: 10 }, '2026-01', 13);
  near(p.usdPerPhDay[12]!, 55, 'a year on', 1e-9);
  near(p.usdPerPhDay[6]!, 50 * Math.sqrt(1.1), 'half a year on', 1e-9);
});

test('a start after a halving takes the lower subsidy as given and finds the next one', () => {
  const p = hashpricePath(FLAT, '2029-01', 48);
  assert.deepEqual(p.halvings.map((h) => [h.height, h.month]), [[1_260_000, '2032-04']]);
  near(p.usdPerPhDay[0]!, 50, 'start');
  near(p.usdPerPhDay[47]!, 25.5, 'after 2032');
});
