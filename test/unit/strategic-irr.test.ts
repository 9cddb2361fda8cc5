import { test } from 'node:test';
import assert from 'node:assert/strict';
import { irrMonthly, npvMonthly, paybackMonth } from '../../services/finance/discount.ts';

const months = (n: number, v = 0) => new Array<number>(n).fill(v);

test('−100 now and +110 a year later is 10 % a year', () => {
  const r = irrMonthly([-100, ...months(11), 110]);
  assert.ok(r.irrPctPerYear !== null && Math.abs(r.irrPctPerYear - 10) < 1e-7, `got ${r.irrPctPerYear}`);
});

test('−100 now and +121 two years later is 10 % a year', () => {
  const r = irrMonthly([-100, ...months(23), 121]);
  assert.ok(r.irrPctPerYear !== null && Math.abs(r.irrPctPerYear - 10) < 1e-7, `got ${r.irrPctPerYear}`);
});

test('a level monthly annuity: 1000 out, 12 × 88.85 back is 12 %/yr nominal (1 %/month)', () => {
  // 1000 × 0.01 / (1 − 1.01^−12) = 88.8487886 per month returns exactly 1 % a month.
  const r = irrMonthly([-1000, ...months(12, 88.8487886)]);
  assert.ok(r.irrPctPerYear !== null && Math.abs(r.irrPctPerYear - (1.01 ** 12 - 1) * 100) < 1e-5, `got ${r.irrPctPerYear}`);
});

test('a losing project has a negative IRR', () => {
  const r = irrMonthly([-100, ...months(11), 90]);
  assert.ok(r.irrPctPerYear !== null && Math.abs(r.irrPctPerYear + 10) < 1e-7, `got ${r.irrPctPerYear}`);
});

test('no sign change gives null with a reason', () => {
  for (const flows of [[100, 10, 10], [-100, -10], [0, 0, 0]]) {
    const r = irrMonthly(flows);
    assert.equal(r.irrPctPerYear, null);
    assert.match(r.reason!, /never change sign/);
  }
});

test('two IRRs give null with both rates named', () => {
  // −100, +230, −132 a year apart: NPV = 0 at 10 % and 20 % a year.
  const r = irrMonthly([-100, ...months(11), 230, ...months(11), -132]);
  assert.equal(r.irrPctPerYear, null);
  assert.match(r.reason!, /10\.0 %.*20\.0 %/);
});

test('npvMonthly discounts month m by (1 + r)^m', () => {
  assert.equal(npvMonthly([100, 100], 0), 200);
  assert.ok(Math.abs(npvMonthly([0, 101], 0.01) - 100) < 1e-9);
});

test('payback is the month from which the cumulative flow stays ≥ 0', () => {
  assert.equal(paybackMonth([-100, 50, 50, 10]), 2);
  assert.equal(paybackMonth([-100, 50, 40]), null);
  assert.equal(paybackMonth([10, 10]), 0);
  // Back below zero later (the lease ended, mining forgone): payback restarts.
  assert.equal(paybackMonth([-10, 20, -30, 40]), 3);
});
