import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annuityPayment, debtSchedule, monthlyDebtService, type DebtTerms } from '../../services/finance/debt-schedule.ts';

/** $1.2M at 12 % a year, quarterly for one year: period rate 3 %, four periods. */
const LOAN: Omit<DebtTerms, 'amortization'> = {
  principalUsd: 1_200_000,
  couponPct: 12,
  issueDate: '2026-01-01',
  maturityDate: '2027-01-01',
  paymentsPerYear: 4,
};

function near(actual: number, expected: number, what: string, tol = 0.01): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected}, got ${actual}`);
}

test('bullet: interest each quarter, all principal at maturity', () => {
  const s = debtSchedule({ ...LOAN, amortization: 'bullet' });
  assert.deepEqual(s.map((p) => p.date), ['2026-04-01', '2026-07-01', '2026-10-01', '2027-01-01']);
  // 1,200,000 × 3 % = 36,000 every quarter.
  for (const p of s) near(p.interestUsd, 36_000, `interest ${p.date}`);
  assert.deepEqual(s.map((p) => p.principalUsd), [0, 0, 0, 1_200_000]);
  assert.equal(s.at(-1)!.balanceAfterUsd, 0);
});

test('straight-line: 300,000 of principal a quarter, interest on the falling balance', () => {
  const s = debtSchedule({ ...LOAN, amortization: 'straight-line' });
  for (const p of s) near(p.principalUsd, 300_000, `principal ${p.date}`);
  // 3 % of 1.2M, 0.9M, 0.6M, 0.3M.
  [36_000, 27_000, 18_000, 9_000].forEach((v, i) => near(s[i]!.interestUsd, v, `interest ${i + 1}`));
  [900_000, 600_000, 300_000, 0].forEach((v, i) => near(s[i]!.balanceAfterUsd, v, `balance ${i + 1}`));
});

test('annuity: a level 322,832.45 a quarter', () => {
  // 1,200,000 × 0.03 / (1 − 1.03^−4); 1.03^4 = 1.12550881, 1/1.12550881 = 0.88848705,
  // so 36,000 / 0.11151295 = 322,832.45.
  near(annuityPayment(1_200_000, 0.03, 4), 322_832.45, 'payment');
  const s = debtSchedule({ ...LOAN, amortization: 'annuity' });
  for (const p of s) near(p.interestUsd + p.principalUsd, 322_832.45, `payment ${p.date}`);
  near(s[0]!.interestUsd, 36_000, 'first interest');
  near(s[0]!.principalUsd, 286_832.45, 'first principal');
  near(s[1]!.interestUsd, 27_395.03, 'second interest (3 % of 913,167.55)');
  near(s.reduce((t, p) => t + p.principalUsd, 0), 1_200_000, 'principal repaid');
  assert.equal(s.at(-1)!.balanceAfterUsd, 0);
  assert.equal(annuityPayment(1_200_000, 0, 4), 300_000, 'zero coupon is straight-line');
});

test('month-end issue dates clamp to the month and the last payment falls on maturity', () => {
  const s = debtSchedule({ principalUsd: 250e6, couponPct: 9.5, issueDate: '2025-03-31', maturityDate: '2030-03-31', amortization: 'straight-line', paymentsPerYear: 4 });
  assert.equal(s.length, 20);
  assert.deepEqual(s.slice(0, 4).map((p) => p.date), ['2025-06-30', '2025-09-30', '2025-12-31', '2026-03-31']);
  assert.equal(s.at(-1)!.date, '2030-03-31');
  near(s[0]!.interestUsd, 250e6 * 0.095 / 4, 'first interest');
  near(s[0]!.principalUsd, 12.5e6, 'first principal');
});

test('monthly totals: payments bucketed by month from the start, earlier ones dropped, bullets marked', () => {
  const m = monthlyDebtService(
    [
      { ...LOAN, amortization: 'straight-line' },
      { ...LOAN, amortization: 'bullet', principalUsd: 100_000, couponPct: 4, issueDate: '2025-10-01', maturityDate: '2026-10-01' },
    ],
    '2026-02',
    12,
  );
  // From 2026-02: month 2 = 2026-04, 5 = 2026-07, 8 = 2026-10, 11 = 2027-01.
  // The bullet pays 1 % (1,000) each quarter: 2026-01 (before the start, dropped), 04, 07, 10.
  near(m.interestUsd[2]!, 36_000 + 1_000, 'interest 2026-04');
  near(m.principalUsd[2]!, 300_000, 'principal 2026-04');
  near(m.principalUsd[8]!, 300_000 + 100_000, 'principal 2026-10');
  near(m.bulletPrincipalUsd[8]!, 100_000, 'bullet principal 2026-10');
  near(m.interestUsd[11]!, 9_000, 'interest 2027-01');
  assert.equal(m.interestUsd[0], 0);
  assert.equal(m.interestUsd.reduce((a, b) => a + b, 0), 36_000 + 27_000 + 18_000 + 9_000 + 3_000);
});
