import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blockSubsidyBtc,
  blockSubsidySats,
  blocksPerDayPerPhs,
  hashpriceBtcPerPhDay,
  hashpriceUsdPerPhDay,
  networkHashrateHs,
} from '../../services/market/chain.ts';
import {
  breakevenPowerPriceUsdPerMwh,
  fleetRevenueUsdPerMwDay,
  hashcostUsdPerPhDay,
  miningRevenueUsdPerMwDay,
  phsPerMw,
} from '../../services/finance/mining.ts';
import {
  criticalItFromGross,
  gpuCloudRevenueUsd,
  grossFromCriticalIt,
  leaseMonthlySchedule,
  leaseRevenueUsdPerMwYear,
  leaseTotalUsd,
} from '../../services/finance/lease.ts';

/** |a − b| ≤ rel × |b| */
function near(actual: number, expected: number, rel = 1e-9, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what} expected ≈ ${expected}, got ${actual}`);
}

test('block subsidy at every boundary, exact in satoshis', () => {
  assert.equal(blockSubsidySats(0), 5_000_000_000);
  assert.equal(blockSubsidySats(209_999), 5_000_000_000);
  assert.equal(blockSubsidySats(210_000), 2_500_000_000);
  assert.equal(blockSubsidySats(420_000), 1_250_000_000);
  assert.equal(blockSubsidySats(630_000), 625_000_000);
  assert.equal(blockSubsidySats(840_000), 312_500_000);
  assert.equal(blockSubsidySats(1_049_999), 312_500_000);
  assert.equal(blockSubsidySats(1_050_000), 156_250_000);
  // Epoch 10: 5e9 / 1024 = 4,882,812.5 → the shift truncates to 4,882,812 sats.
  assert.equal(blockSubsidySats(2_100_000), 4_882_812);
  // The last satoshi of subsidy is paid in epoch 32 (5e9 / 2^32 = 1.16); 0 from block 6,930,000.
  assert.equal(blockSubsidySats(6_929_999), 1);
  assert.equal(blockSubsidySats(6_930_000), 0);
  assert.equal(blockSubsidySats(13_440_000), 0);
  assert.equal(blockSubsidySats(100_000_000), 0);
  assert.equal(blockSubsidyBtc(840_000), 3.125);
  assert.equal(blockSubsidyBtc(1_050_000), 1.5625);
  assert.equal(blockSubsidyBtc(0), 50);
});

test('subsidy rejects heights that are not block heights', () => {
  assert.throws(() => blockSubsidySats(-1), { name: 'RangeError', message: /height/ });
  assert.throws(() => blockSubsidySats(1.5), /height must be an integer/);
  assert.throws(() => blockSubsidySats(Number.NaN), RangeError);
});

test('blocks per day per PH/s and network hashrate at D = 156T', () => {
  // 86400e15 / (156e12 × 4,294,967,296) = 8.64e19 / 6.70014898176e23
  near(blocksPerDayPerPhs(156e12), 1.289523564852e-4, 1e-12);
  // 156e12 × 2^32 / 600 = 1.11669149696e21 H/s ≈ 1116.7 EH/s
  near(networkHashrateHs(156e12), 1.11669149696e21, 1e-12);
  assert.throws(() => blocksPerDayPerPhs(0), /difficulty must be a finite number > 0/);
  assert.throws(() => networkHashrateHs(Number.NaN), /difficulty/);
});

test('DESIGN.md published check: D 156T, $104k, 3.145 BTC per block ≈ $42.2/PH/day', () => {
  const usd = hashpriceUsdPerPhDay({ difficulty: 156e12, subsidyBtc: 3.125, feesPerBlockBtc: 0.02, btcPriceUsd: 104_000 });
  assert.ok(Math.abs(usd - 42.2) < 0.05, `got ${usd}`);
  // The published index ($43.33 on 2025-11-03) used a slightly different difficulty: within 3%.
  assert.ok(Math.abs(usd - 43.33) / 43.33 < 0.03);
  near(hashpriceBtcPerPhDay({ difficulty: 156e12, subsidyBtc: 3.125, feesPerBlockBtc: 0.02 }), 1.289523564852e-4 * 3.145, 1e-12);
  assert.throws(() => hashpriceUsdPerPhDay({ difficulty: 156e12, subsidyBtc: 3.125, feesPerBlockBtc: 0.02, btcPriceUsd: -1 }), /btcPriceUsd/);
  assert.throws(() => hashpriceBtcPerPhDay({ difficulty: 156e12, subsidyBtc: 3.125, feesPerBlockBtc: Number.NaN }), /feesPerBlockBtc/);
});

test('PH/s per MW, hashcost and breakeven', () => {
  assert.equal(phsPerMw(20), 50);
  // 24 h × 17.5 kW per PH/s × $40/MWh / 1000 = $16.80
  near(hashcostUsdPerPhDay(17.5, 40), 16.8, 1e-12);
  near(hashcostUsdPerPhDay(17.5, 40, 1.05), 17.64, 1e-12);
  // p* = 50 × 1000 × 0.98 / (24 × 17.5 × 1.05) = 49,000 / 441
  const p = breakevenPowerPriceUsdPerMwh({ hashpriceUsdPerPhDay: 50, efficiencyJPerTh: 17.5, poolFee: 0.02, overheadFactor: 1.05 });
  near(p, 111.11111111111111, 1e-12);
  // At the breakeven price, net revenue per PH/s-day equals the power cost with overhead.
  near(hashcostUsdPerPhDay(17.5, p, 1.05), 50 * 0.98, 1e-12);
  assert.throws(() => breakevenPowerPriceUsdPerMwh({ hashpriceUsdPerPhDay: 50, efficiencyJPerTh: 0, poolFee: 0.02, overheadFactor: 1 }), /efficiencyJPerTh/);
  assert.throws(() => breakevenPowerPriceUsdPerMwh({ hashpriceUsdPerPhDay: 50, efficiencyJPerTh: 17.5, poolFee: 1.5, overheadFactor: 1 }), /poolFee/);
  assert.throws(() => hashcostUsdPerPhDay(17.5, 40, 0.9), /overheadFactor must be a finite number ≥ 1/);
});

test('mining revenue per MW-day, single model and fleet mix', () => {
  // 50 $/PH/day × 50 PH/s per MW × 0.95 uptime × 0.98 = 2327.5
  near(miningRevenueUsdPerMwDay(50, 20, 0.95, 0.02), 2327.5, 1e-12);
  const s21 = { hashrateThs: 200, powerW: 3500 };
  const s19j = { hashrateThs: 104, powerW: 3068 };
  // By count: 304 TH/s over 6,568 W → 46.285 PH/s per MW, ε = 21.605 J/TH
  const byCount = fleetRevenueUsdPerMwDay({ fleet: [{ model: s21, count: 1 }, { model: s19j, count: 1 }], hashpriceUsdPerPhDay: 50, uptime: 1, poolFee: 0 });
  near(byCount.phsPerMw, 46.28501827040195, 1e-12);
  near(byCount.efficiencyJPerTh, 21.605263157894736, 1e-12);
  near(byCount.revenueUsdPerMwDay, 2314.2509135200976, 1e-12);
  // By MW share: 0.5 × 1000/17.5 + 0.5 × 1000/29.5 = 45.5206 PH/s per MW
  const byShare = fleetRevenueUsdPerMwDay({ fleet: [{ model: s21, shareOfMw: 0.5 }, { model: s19j, shareOfMw: 0.5 }], hashpriceUsdPerPhDay: 50, uptime: 0.9, poolFee: 0.02 });
  near(byShare.phsPerMw, 45.520581113801455, 1e-12);
  near(byShare.revenueUsdPerMwDay, 45.520581113801455 * 50 * 0.9 * 0.98, 1e-12);
  assert.throws(() => fleetRevenueUsdPerMwDay({ fleet: [{ model: s21, shareOfMw: 0.5 }], hashpriceUsdPerPhDay: 50, uptime: 1, poolFee: 0 }), /must sum to 1/);
  assert.throws(() => fleetRevenueUsdPerMwDay({ fleet: [{ model: s21, shareOfMw: 0.5 }, { model: s19j, count: 3 }], hashpriceUsdPerPhDay: 50, uptime: 1, poolFee: 0 }), /all use count or all use shareOfMw/);
  assert.throws(() => fleetRevenueUsdPerMwDay({ fleet: [{ model: s21, count: 1 }], hashpriceUsdPerPhDay: 50, uptime: Number.NaN, poolFee: 0 }), /uptime must be a fraction/);
  assert.throws(() => fleetRevenueUsdPerMwDay({ fleet: [{ model: s21, count: -1 }], hashpriceUsdPerPhDay: 50, uptime: 1, poolFee: 0 }), /fleet\[0\]\.count/);
  assert.throws(() => fleetRevenueUsdPerMwDay({ fleet: [], hashpriceUsdPerPhDay: 50, uptime: 1, poolFee: 0 }), /at least one entry/);
});

test('lease revenue per MW-year with a 3% escalator, by hand', () => {
  assert.equal(leaseRevenueUsdPerMwYear(140, 3, 1), 1_680_000); // 140 × 12,000
  near(leaseRevenueUsdPerMwYear(140, 3, 2), 1_730_400, 1e-12); // × 1.03
  near(leaseRevenueUsdPerMwYear(140, 3, 15), 2_541_150.737756588, 1e-12); // × 1.03^14
  assert.equal(leaseRevenueUsdPerMwYear(121, 0, 10), 1_452_000);
  assert.throws(() => leaseRevenueUsdPerMwYear(140, 3, 0), /year must be an integer ≥ 1/);
  assert.throws(() => leaseRevenueUsdPerMwYear(Number.NaN, 3, 1), /rateUsdPerKwMonth/);
  assert.throws(() => leaseRevenueUsdPerMwYear(140, -1, 1), /escalatorPctPerYear/);
});

test('lease monthly schedule over 15 years', () => {
  const terms = { rateUsdPerKwMonth: 140, criticalItMw: 37.5, termMonths: 180, escalatorPctPerYear: 3 };
  const s = leaseMonthlySchedule(terms);
  assert.equal(s.length, 180);
  assert.deepEqual([s[0]!.month, s[0]!.year, s[0]!.revenueUsd], [1, 1, 5_250_000]); // 140 × 37,500 kW
  assert.equal(s[11]!.revenueUsd, 5_250_000);
  assert.equal(s[12]!.year, 2);
  near(s[12]!.revenueUsd, 5_407_500, 1e-12);
  assert.equal(s[179]!.year, 15);
  // Σ 12 × 5.25M × 1.03^(y−1), y = 1..15 = 63M × (1.03^15 − 1) / 0.03
  near(leaseTotalUsd(terms), 1_171_731_574.8616068, 1e-12);
  // Month starts clamp to the month's last day: a lease starting Jan 31 bills Feb 28 next.
  const dated = leaseMonthlySchedule({ ...terms, termMonths: 3, startMs: Date.UTC(2025, 0, 31) });
  assert.deepEqual(dated.map((m) => new Date(m.startMs!).toISOString().slice(0, 10)), ['2025-01-31', '2025-02-28', '2025-03-31']);
  assert.throws(() => leaseMonthlySchedule({ ...terms, criticalItMw: -1 }), /criticalItMw/);
  assert.throws(() => leaseMonthlySchedule({ ...terms, termMonths: 0 }), /termMonths/);
});

test('critical IT vs gross, and GPU-cloud revenue', () => {
  assert.equal(criticalItFromGross(50e6, 0.75), 37.5e6);
  assert.equal(grossFromCriticalIt(37.5e6, 0.75), 50e6);
  assert.throws(() => criticalItFromGross(50e6, 1.2), /criticalItRatio must be in \(0, 1\]/);
  assert.throws(() => grossFromCriticalIt(-1, 0.75), /criticalItPower/);
  // 2,000 GPUs × $3.20 × 0.85 × 8,760 h
  near(gpuCloudRevenueUsd({ gpuCount: 2000, rateUsdPerGpuHour: 3.2, utilization: 0.85, periodHours: 8760 }), 47_654_400, 1e-12);
  assert.throws(() => gpuCloudRevenueUsd({ gpuCount: 2000, rateUsdPerGpuHour: 3.2, utilization: 1.1, periodHours: 1 }), /utilization/);
  assert.throws(() => gpuCloudRevenueUsd({ gpuCount: 2.5, rateUsdPerGpuHour: 3.2, utilization: 1, periodHours: 1 }), /gpuCount/);
});
