import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conversionOption } from '../../services/scheduler/strategic/offer-flows.ts';
import { projectLoanServiceUsd } from '../../services/finance/project-loan.ts';
import { miningMarginUsd, type Candidate } from '../../services/scheduler/strategic/site-flows.ts';
import { windowSums } from '../../services/scheduler/strategic/evaluate.ts';
import type { ContractOffer } from '../../services/scheduler/strategic/offers-schema.ts';

function near(actual: number, expected: number, what: string, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected}, got ${actual}`);
}

const BLOCK: Candidate = { blockId: 'B', name: 'B', capacityMw: 10, aiCapable: false, hashratePhs: 0, miningGrossMw: 0, miningMarginUsd: new Array(20).fill(0) };
const OFFER: ContractOffer = {
  id: 'o',
  counterparty: 'T',
  rateUsdPerKwMonth: 100,
  termMonths: 24,
  escalatorPctPerYear: 10,
  capexUsdPerMwCriticalIt: 1_000_000,
  leadTimeMonths: 3,
  criticalItShare: 0.8,
  maxCriticalItMw: 50,
  minCriticalItMw: 0,
  opexPctOfRevenue: 15,
  powerCost: 'pass-through',
  expectedItLoadPct: 80,
};

test('conversion: capex over the lead time, lease from the lead time, escalated by contract year, cut at the horizon', () => {
  const o = conversionOption(BLOCK, 0, OFFER, 0, 20, 'spread-over-lead-time', undefined);
  near(o.criticalItMw, 8, 'critical IT = 10 MW × 0.8');
  near(o.capexTotalUsd, 8_000_000, 'capex');
  for (let m = 0; m < 3; m++) near(o.capexUsd[m]!, 8_000_000 / 3, `capex month ${m}`, 1e-6);
  assert.equal(o.capexUsd[3], 0);
  // 100 $/kW-month × 8,000 kW × 0.85 = 680,000 in contract year 1 (months 3..14), × 1.1 in year 2.
  for (let m = 0; m < 3; m++) assert.equal(o.leaseNoiUsd[m], 0, `building month ${m}`);
  near(o.leaseNoiUsd[3]!, 680_000, 'first lease month');
  near(o.leaseNoiUsd[14]!, 680_000, 'month 12 of the lease');
  near(o.leaseNoiUsd[15]!, 748_000, 'year 2');
  assert.equal(o.leaseNoiUsd.length, 20, 'truncated at the horizon');
  assert.ok(o.loanServiceUsd.every((v) => v === 0) && o.financedCapexUsd.every((v) => v === 0), 'no financing');
});

test('capex at decision, and the AI-ready price for a block that already has capability ai', () => {
  const o = conversionOption({ ...BLOCK, aiCapable: true }, 0, { ...OFFER, capexUsdPerMwCriticalItAiReady: 250_000 }, 0, 20, 'at-decision', undefined);
  assert.equal(o.capexUsd[0], 2_000_000);
  assert.equal(o.capexUsd.slice(1).reduce((a, b) => a + b, 0), 0);
});

test('a lease shorter than the horizon stops: no renewal is assumed', () => {
  const o = conversionOption(BLOCK, 0, { ...OFFER, termMonths: 5, leadTimeMonths: 0 }, 0, 20, 'at-decision', undefined);
  assert.deepEqual(o.leaseNoiUsd.map((v) => v > 0), [...new Array(5).fill(true), ...new Array(15).fill(false)]);
});

test('project loan: interest-only on what is drawn, then a level repayment from the lease start', () => {
  // Draw 50 % of 3M in months 0 and 1 at 12 %/yr (1 %/month): interest 15,000 in month 1,
  // then 3M × 0.01 / (1 − 1.01^−2) = 1,522,537.31 in months 2 and 3 (1.01^−2 = 0.98029605).
  const capex = [3e6, 3e6, 0, 0, 0, 0];
  const l = projectLoanServiceUsd(capex, 50, 12, 2, 2);
  assert.deepEqual(l.drawUsd, [1.5e6, 1.5e6, 0, 0, 0, 0]);
  near(l.serviceUsd[0]!, 0, 'month 0');
  near(l.serviceUsd[1]!, 15_000, 'month 1');
  near(l.serviceUsd[2]!, 1_522_537.313433, 'month 2', 1e-3);
  near(l.serviceUsd[3]!, 1_522_537.313433, 'month 3', 1e-3);
  assert.deepEqual(l.serviceUsd.slice(4), [0, 0]);
});

test('mining margin: revenue less power per month, and 0 (curtailed) when power costs more', () => {
  const c = { hashpriceUsdPerPhDay: [50, 10], powerUsdPerMwh: [40, 40], poolFee: 0.02, uptime: 1 };
  // 400 PH/s × 50 × 0.98 − 7 MW × 24 × 40 = 19,600 − 6,720 = 12,880 a day × 30.4375.
  near(miningMarginUsd(400, 7, c, 0), 12_880 * 30.4375, 'profitable month');
  assert.equal(miningMarginUsd(400, 7, c, 1), 0, '400 × 10 × 0.98 = 3,920 < 6,720: curtail');
});

test('coverage windows sum the trailing months, truncated at the start', () => {
  assert.deepEqual(windowSums([1, 2, 3, 4, 5], 3), [1, 3, 6, 9, 12]);
  assert.deepEqual(windowSums([1, 2, 3], 1), [1, 2, 3]);
});

test('an offer whose rent includes the power pays the expected load at the power price', () => {
  // 10 MW block × 0.8 = 8 MW critical IT; expected load 80 % → 6.4 MW IT → / 0.8 = 8 MW gross;
  // a month: 8 × 730.5 h × $40 = 233,760.00. Rent month 1 (year 1): 100 × 1,000 × 8 = 800,000
  // × (1 − 15 %) = 680,000 → NOI 680,000 − 233,760 = 446,240.00 (at the lead time, month 3).
  const o = conversionOption(BLOCK, 0, { ...OFFER, powerCost: 'included' }, 0, 20, 'spread-over-lead-time', undefined, [40]);
  near(o.leaseNoiUsd[3]!, 446_240, 'NOI with power');
  const passThrough = conversionOption(BLOCK, 0, OFFER, 0, 20, 'spread-over-lead-time', undefined, [40]);
  near(passThrough.leaseNoiUsd[3]!, 680_000, 'NOI passing power through');
});
