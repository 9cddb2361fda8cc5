import { annuityPayment } from './debt-schedule.ts';

/**
 * Service of a project loan that funds a share of conversion capex. Pure.
 * Each month's draw is share × that month's capex. Interest accrues from the month after a
 * draw and is paid monthly (interest only) until repayment starts; repayment is a level
 * monthly annuity over `termMonths` on everything drawn, starting when the lease starts (or
 * the month after the last draw, whichever is later) — the lease is what repays it.
 */
export function projectLoanServiceUsd(
  capexUsd: readonly number[],
  sharePct: number,
  couponPct: number,
  termMonths: number,
  leaseStartMonth: number,
): { drawUsd: number[]; serviceUsd: number[] } {
  const months = capexUsd.length;
  const share = sharePct / 100;
  const rate = couponPct / 100 / 12;
  const drawUsd = capexUsd.map((c) => c * share);
  const serviceUsd = new Array<number>(months).fill(0);
  let lastDraw = -1;
  drawUsd.forEach((d, m) => {
    if (d > 0) lastDraw = m;
  });
  if (lastDraw < 0) return { drawUsd, serviceUsd };

  const repayFrom = Math.max(leaseStartMonth, lastDraw + 1);
  let balance = 0;
  for (let m = 0; m < Math.min(repayFrom, months); m++) {
    serviceUsd[m] = balance * rate;
    balance += drawUsd[m]!;
  }
  const level = annuityPayment(balance, rate, termMonths);
  for (let k = 0; k < termMonths && repayFrom + k < months; k++) serviceUsd[repayFrom + k] = level;
  return { drawUsd, serviceUsd };
}
