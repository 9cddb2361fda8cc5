import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Contract, DebtInstrument } from '../../services/domain/site-schema.ts';
import { contractDayRentUsd, contractRentUsdPerHour, leaseMonthlyFeeUsd, passThroughUsd, rampShare, slaCreditUsd } from '../../services/finance/contracts.ts';
import { btcLoanExposure, covenantResults } from '../../services/finance/covenants.ts';
import { trailingDscr } from '../../services/finance/exposure.ts';
import type { Company } from '../../services/finance/load-company.ts';
import { debtSchedule, rolledSchedule } from '../../services/finance/debt-schedule.ts';
import { forwardAt, type ForwardBase } from '../../services/finance/forward.ts';
import { ledgerRow } from '../../services/finance/ledger.ts';
import { aiRevenueUsd } from '../../services/scheduler/dispatch/economics.ts';
import type { AiBlock, DispatchInput } from '../../services/scheduler/dispatch/input.ts';

/**
 * Money against paper (issue 11 acceptance): every case below was worked out by hand first; the
 * arithmetic is written next to it, and the code must match it to the cent.
 */

const cents = (x: number) => Math.round(x * 100) / 100;
const near = (actual: number, expected: number, what: string) => assert.equal(cents(actual), expected, `${what}: ${actual} ≠ ${expected}`);

const loan = (o: Partial<DebtInstrument>): DebtInstrument => ({
  id: 'L',
  name: 'loan',
  kind: 'term-loan',
  principalUsd: 1_200_000,
  couponPct: 12,
  issueDate: '2026-01-01',
  maturityDate: '2027-01-01',
  amortization: 'straight-line',
  paymentsPerYear: 4,
  secured: true,
  covenants: [],
  ...o,
});

test('straight-line loan: $1.2M at 12 % quarterly over a year', () => {
  // 4 periods, r = 12 % / 4 = 3 %; principal 1,200,000 / 4 = 300,000 each quarter.
  // interest: 1,200,000 × 3 % = 36,000; 900,000 × 3 % = 27,000; 600,000 × 3 % = 18,000; 300,000 × 3 % = 9,000.
  const s = debtSchedule(loan({}));
  assert.deepEqual(s.map((p) => p.date), ['2026-04-01', '2026-07-01', '2026-10-01', '2027-01-01']);
  assert.deepEqual(s.map((p) => cents(p.interestUsd)), [36_000, 27_000, 18_000, 9_000]);
  assert.deepEqual(s.map((p) => cents(p.principalUsd)), [300_000, 300_000, 300_000, 300_000]);
  assert.deepEqual(s.map((p) => cents(p.balanceAfterUsd)), [900_000, 600_000, 300_000, 0]);
});

test('annuity loan: $100,000 at 12 % monthly over 12 months', () => {
  // r = 1 %; payment = 100,000 × 0.01 / (1 − 1.01^−12) = 1,000 / 0.112449 = 8,884.88.
  // month 1: interest 100,000 × 1 % = 1,000.00; principal 8,884.88 − 1,000.00 = 7,884.88; balance 92,115.12.
  // month 2: interest 92,115.12 × 1 % = 921.15; principal 7,963.73; balance 84,151.39.
  // total paid 12 × 8,884.878867 = 106,618.55, of which interest 6,618.55.
  const s = debtSchedule(loan({ principalUsd: 100_000, amortization: 'annuity', paymentsPerYear: 12 }));
  assert.equal(s.length, 12);
  near(s[0]!.interestUsd + s[0]!.principalUsd, 8_884.88, 'payment');
  near(s[0]!.interestUsd, 1_000, 'interest 1');
  near(s[0]!.principalUsd, 7_884.88, 'principal 1');
  near(s[0]!.balanceAfterUsd, 92_115.12, 'balance 1');
  near(s[1]!.interestUsd, 921.15, 'interest 2');
  near(s[1]!.balanceAfterUsd, 84_151.39, 'balance 2');
  near(s.reduce((a, p) => a + p.interestUsd + p.principalUsd, 0), 106_618.55, 'total paid');
  near(s.reduce((a, p) => a + p.interestUsd, 0), 6_618.55, 'total interest');
});

test('bullet rolled at maturity keeps paying interest at the stated refinancing rate', () => {
  // $10M at 6 % semi-annual, 2025-01-01 → 2026-01-01: interest 10M × 6 % / 2 = 300,000 on
  // 2025-07-01 and 2026-01-01. At maturity the 10M is refinanced (a need of 10,000,000, not
  // paid) at 9 %: 10M × 9 % / 2 = 450,000 on 2026-07-01 and 2027-01-01.
  const s = rolledSchedule(loan({ principalUsd: 10_000_000, couponPct: 6, issueDate: '2025-01-01', maturityDate: '2026-01-01', amortization: 'bullet', paymentsPerYear: 2, refinanceCouponPct: 9 }), '2027-01-01');
  assert.deepEqual(s.map((p) => p.date), ['2025-07-01', '2026-01-01', '2026-07-01', '2027-01-01']);
  assert.deepEqual(s.map((p) => cents(p.interestUsd)), [300_000, 300_000, 450_000, 450_000]);
  assert.deepEqual(s.map((p) => cents(p.principalUsd)), [0, 0, 0, 0]);
  assert.deepEqual(s.map((p) => cents(p.refinancedUsd)), [0, 10_000_000, 0, 0]);
  assert.deepEqual(s.map((p) => p.rolled), [false, false, true, true]);
});

test('BTC-backed loan: LTV, margin-call price and free BTC', () => {
  // $60M against 1,000 BTC, margin call at 75 % LTV: 60,000,000 / (1,000 × 0.75) = $80,000.00.
  // At $92,000: LTV = 60M / 92M = 65.22 %; BTC needed at 75 % = 60M / (92,000 × 0.75) = 869.57,
  // so 1,000 − 869.57 = 130.43 BTC are free.
  const d = loan({ kind: 'btc-backed-loan', principalUsd: 60_000_000, amortization: 'bullet', btcPledged: 1_000, marginCallLtvPct: 75 });
  const x = btcLoanExposure(d, 60_000_000, 92_000);
  near(x.marginCallBtcUsd, 80_000, 'margin call');
  near(x.ltvPct!, 65.22, 'LTV %');
  near(x.btcFree, 130.43, 'free BTC');
});

test('DSCR and the BTC price at which a min-DSCR covenant breaks', () => {
  // Six months from 2027-01, a 3-month forward window. Each month at today's prices (k = 1):
  // mining revenue 1,000,000, power 400,000, G&A 100,000 → EBITDA 500,000; debt service 300,000.
  // DSCR at 2027-03 (the only quarter end with a full window: months 3–5) = 1,500,000 / 900,000 = 1.67.
  // Covenant min-dscr 1.25 breaks where 3 × (k × 1,000,000 − 400,000 − 100,000) = 1.25 × 900,000
  //   → k × 1,000,000 = 375,000 + 500,000 → k = 0.875:
  //   BTC $80,000 × 0.875 = $70,000.00; hashprice $40 × 0.875 = $35.00/PH/day.
  const six = (v: number) => new Array<number>(6).fill(v);
  const base: ForwardBase = {
    startMonth: '2027-01',
    months: ['2027-01', '2027-02', '2027-03', '2027-04', '2027-05', '2027-06'],
    days: [31, 28, 31, 30, 31, 30],
    btcPriceUsd: six(80_000),
    hashpriceUsdPerPhDay: six(40),
    powerPriceUsdPerMwh: six(40),
    blocks: [{ siteId: 's', blockId: 'B1', hashratePhs: 1, grossMw: 1, revenueUsd: six(1_000_000), powerUsd: six(400_000) }],
    miningOpexUsd: six(0),
    aiRentUsd: six(0),
    aiOpexUsd: six(0),
    aiEnergyUsd: six(0),
    gAndAUsd: six(100_000),
    committedCapexUsd: six(0),
    debtServiceUsd: six(300_000),
    interestUsd: six(300_000),
    principalUsd: six(0),
    refinancedUsd: six(0),
    debtOutstandingUsd: six(10_000_000),
    schedules: new Map(),
    cashUsd: 0,
    windowMonths: 3,
    assumptions: [],
  };
  const rows = forwardAt(base, 1);
  near(rows[2]!.ebitdaUsd, 500_000, 'EBITDA');
  near(rows[2]!.dscr!, 1.67, 'DSCR 2027-03');
  const [c] = covenantResults(base, [loan({ issueDate: '2026-01-01', maturityDate: '2030-01-01', covenants: [{ kind: 'min-dscr', threshold: 1.25 }] })]);
  assert.deepEqual(c!.tests.map((t) => t.month), ['2027-03']);
  assert.equal(c!.firstBreach, null);
  near(c!.breaksAtBtcUsd!, 70_000, 'breaks at BTC');
  near(c!.breaksAtHashpriceUsdPerPhDay!, 35, 'breaks at hashprice');
});

test('trailing DSCR from the realised ledger, annualised when the ledger covers less than a year', () => {
  // The straight-line loan above, seen from 2027-01: the 12 months before (2026-01-01 …
  // 2026-12-31) hold the 2026-04-01, 07-01 and 10-01 payments: 336,000 + 327,000 + 318,000
  // = 981,000 (the 2027-01-01 one is not yet trailing).
  // Ledger 365 days, margin 1,500,000; G&A 10,000 a month → 120,000 → EBITDA 1,380,000;
  // DSCR 1,380,000 / 981,000 = 1.41.
  // Ledger 73 days, margin 300,000: G&A 120,000 × 73 / 365 = 24,000 → 276,000 × 365 / 73 =
  // 1,380,000 a year → the same 1.41, stated as annualised.
  const d = loan({});
  const company = { debt: [d], file: { corporateCosts: { gAndAUsdPerMonth: 10_000 } } } as unknown as Company;
  const base = { startMonth: '2027-01', schedules: new Map([[d.id, rolledSchedule(d, '2030-01-01')]]) } as unknown as ForwardBase;
  const year = trailingDscr(company, base, { days: 365, marginUsd: 1_500_000 });
  near(year.debtServiceUsd, 981_000, 'debt service');
  near(year.ebitdaAnnualisedUsd, 1_380_000, 'EBITDA');
  near(year.dscr!, 1.41, 'DSCR');
  const part = trailingDscr(company, base, { days: 73, marginUsd: 300_000 });
  near(part.ebitdaAnnualisedUsd, 1_380_000, 'annualised EBITDA');
  assert.equal(part.note, 'annualised from 73 ledger days (fewer than a year)');
});

const colo: Contract = {
  id: 'colo',
  kind: 'colocation',
  counterparty: 't',
  rateUsdPerKwMonth: 140,
  criticalItMw: 10,
  startDate: '2025-07-01',
  termMonths: 60,
  escalatorPctPerYear: 3,
  takeOrPayPct: 100,
  slaUptimePct: 99.9,
  slaCreditPctPerPoint: 5,
};

test('lease with escalator and SLA credit; no rent outside the term', () => {
  // Year 2 (2026-07-01 … 2027-06-30): 140 × 1.03 = 144.20 $/kW-month × 10,000 kW = 1,442,000.00 a month.
  // A day of August 2026 (31 days): 1,442,000 / 31 = 46,516.13.
  // Measured availability 99.4 % against a 99.9 % SLA: 0.5 points × 5 % = 2.5 % of the fee
  //   = 1,442,000 × 0.025 = 36,050.00.
  // Year 1 per hour: 140 × 12,000 × 10 / 8,760 = 1,917.81. Before 2025-07-01 and from
  // 2030-07-01 (start + 60 months): 0.
  const aug = Date.parse('2026-08-10T00:00:00Z');
  near(leaseMonthlyFeeUsd(colo as Extract<Contract, { kind: 'colocation' }>, aug), 1_442_000, 'monthly fee year 2');
  near(contractDayRentUsd(colo, aug), 46_516.13, 'day rent');
  near(slaCreditUsd(1_442_000, 99.9, 99.4, 5), 36_050, 'SLA credit');
  near(contractRentUsdPerHour(colo, Date.parse('2025-07-01T00:00:00Z')), 1_917.81, 'rent per hour, year 1');
  assert.equal(contractRentUsdPerHour(colo, Date.parse('2025-06-30T23:00:00Z')), 0);
  assert.equal(contractRentUsdPerHour(colo, Date.parse('2030-07-01T00:00:00Z')), 0);
  // Year 5, the last hour in term: 140 × 1.03⁴ = 157.5705 × 12,000 × 10 / 8,760 = 2,158.51.
  near(contractRentUsdPerHour(colo, Date.parse('2030-06-30T23:00:00Z')), 2_158.51, 'last hour in term, year 5');
});

test('a lease ramp bills the share of capacity in force', () => {
  // Ramp: 25 % from 2025-07-01, 60 % from 2025-10-01, 100 % from 2026-01-01.
  // September 2025 (year 1, 30 days): 140 × 10,000 kW × 25 % = 350,000.00 a month → 11,666.67 a day.
  // November 2025: 140 × 10,000 × 60 % = 840,000.00 a month.
  const ramped = { ...colo, ramp: [{ fromDate: '2025-07-01', sharePct: 25 }, { fromDate: '2025-10-01', sharePct: 60 }, { fromDate: '2026-01-01', sharePct: 100 }] } as Contract;
  const sep = Date.parse('2025-09-15T00:00:00Z');
  assert.equal(rampShare(ramped, sep), 0.25);
  near(leaseMonthlyFeeUsd(ramped as Extract<Contract, { kind: 'colocation' }>, sep), 350_000, 'September fee');
  near(contractDayRentUsd(ramped, sep), 11_666.67, 'September day');
  near(leaseMonthlyFeeUsd(ramped as Extract<Contract, { kind: 'colocation' }>, Date.parse('2025-11-02T00:00:00Z')), 840_000, 'November fee');
  assert.equal(rampShare(ramped, Date.parse('2026-03-01T00:00:00Z')), 1);
});

test('pass-through tenant: the site is paid back the metered energy at the price it paid', () => {
  // Dispatch: an AI block at 8 IT MW with overhead 1.25 meters 10 MW; over one hour at $50/MWh
  // the tenant is billed 10 × 50 = 500.00 on top of its rent (take-or-pay 1,000/h): 1,500.00.
  const b: AiBlock = { kind: 'ai', id: 'A', contractId: 'colo', overheadFactor: 1.25, fullItMw: 8, floorItMw: 8, maxCappedIntervals: 0, revenueUsdPerHour: 1_000, revenueScalesWithLoad: false, energyPassThrough: true };
  const input = { intervalMinutes: 60, intervals: [], site: { importLimitMw: 100, poolFee: 0.02 }, blocks: [b] } as unknown as DispatchInput;
  near(aiRevenueUsd(b, 8, { startMs: 0, priceUsdPerMwh: 50, hashpriceUsdPerPhDay: 40 }, input), 1_500, 'rent + pass-through');
  // Ledger: 240.5 MWh metered at $38.20 = 9,187.10 billed through, and the same paid for energy.
  near(passThroughUsd(240.5, 38.2), 9_187.1, 'pass-through');
  const row = ledgerRow({
    blockId: 'A', startMs: 0, periodHours: 24, capacityMw: 12,
    hours: Array.from({ length: 24 }, (_, h) => ({ atMs: h * 3_600_000, powerW: (240.5 / 24) * 1e6, hashrateHs: null, priceUsdPerMwh: 38.2 })),
    hashpriceUsdPerPhDay: 40, btcPriceUsd: 90_000, poolFee: 0.02,
    ai: { contractId: 'colo', rentUsd: 46_516.13, slaUptimePct: 99.9, slaCreditPctPerPoint: 5, passThrough: true },
    creditsUsd: 0, restartCostUsd: 0,
  });
  near(row.passThroughUsd, 9_187.1, 'ledger pass-through');
  near(row.energyCostUsd, 9_187.1, 'ledger energy');
  near(row.marginUsd, 46_516.13, 'margin = rent: the energy is a wash');
});

test("one day's mining margin from metered energy and measured hashrate", () => {
  // Block B1, 30 MW, 24 hours measured: 27.6 MW mean → 27.6 × 24 = 662.40 MWh;
  // 20 h at $30/MWh and 4 h at $120/MWh: 27.6 × (20 × 30 + 4 × 120) = 27.6 × 1,080 = 29,808.00.
  // Measured hashrate 1,500 PH/s all day, hashprice $45/PH/day, pool fee 2 %:
  //   1,500 × 45 × 1 × 0.98 = 66,150.00 revenue; BTC at $90,000 → 0.735 BTC.
  // A curtailment credit of 1,200.00 and one restart at 15 $/MW × 30 MW = 450.00.
  // margin = 66,150 + 1,200 − 29,808 − 450 = 37,092.00; per MW-day 37,092 / 30 = 1,236.40;
  // per MWh 37,092 / 662.4 = 56.00.
  const row = ledgerRow({
    blockId: 'B1', startMs: 0, periodHours: 24, capacityMw: 30,
    hours: Array.from({ length: 24 }, (_, h) => ({ atMs: h * 3_600_000, powerW: 27.6e6, hashrateHs: 1_500e15, priceUsdPerMwh: h >= 17 && h < 21 ? 120 : 30 })),
    hashpriceUsdPerPhDay: 45, btcPriceUsd: 90_000, poolFee: 0.02, creditsUsd: 1_200, restartCostUsd: 450,
  });
  near(row.meteredMwh, 662.4, 'MWh');
  near(row.energyCostUsd, 29_808, 'energy');
  near(row.miningRevenueUsd, 66_150, 'mining revenue');
  assert.equal(Math.round(row.btcEarned! * 1e6) / 1e6, 0.735);
  near(row.marginUsd, 37_092, 'margin');
  near(row.marginUsdPerMwDay, 1_236.4, '$/MW-day');
  near(row.marginUsdPerMwh!, 56, '$/MWh');
});
