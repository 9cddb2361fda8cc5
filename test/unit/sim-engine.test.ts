// Monte Carlo engine against closed forms (each within 3 standard errors) and against paper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPaths } from '../../simulations/finance/run.ts';
import { meanAndVariance, normalCdf, probability } from '../../simulations/finance/stats.ts';
import { bareModel, DAYS_PER_YEAR, driftCum } from '../support/sim-model.ts';

const within3Se = (value: number, expected: number, se: number, what: string) => {
  console.log(`closed form ${what}: ${value.toPrecision(6)} ± ${se.toPrecision(3)} (SE) vs ${expected.toPrecision(6)}`);
  assert.ok(Math.abs(value - expected) <= 3 * se, `${what}: ${value} vs ${expected} (3 SE = ${3 * se})`);
};

function terminal(prices: Float64Array, months: number): Float64Array {
  const n = prices.length / months;
  return Float64Array.from({ length: n }, (_, i) => prices[i * months + months - 1]!);
}

test('GBM terminal price: mean S0·e^{μT} and variance S0²e^{2μT}(e^{σ²T} − 1), within 3 SE', async () => {
  // 12 months from 2026-01: T = 365 days = 365/365.25 years; μ = 10%/yr, σ = 60%/yr.
  const model = bareModel({ months: 12, priceUsd: 100_000, driftPerYear: 0.1, volPerYear: 0.6 });
  const T = model.days / DAYS_PER_YEAR;
  const r = await runPaths(model, { paths: 20_000, seed: 7, workers: 0 });
  const est = meanAndVariance(terminal(r.btcPriceUsd, 12));
  const mean = 100_000 * Math.exp(0.1 * T);
  const variance = 100_000 ** 2 * Math.exp(2 * 0.1 * T) * (Math.exp(0.36 * T) - 1);
  within3Se(est.mean, mean, est.seMean, 'terminal mean');
  within3Se(est.variance, variance, est.seVariance, 'terminal variance');
});

test('margin-call barrier touched within the horizon: continuous-monitoring formula with the Broadie–Glasserman–Kou shift for daily checks, within 3 SE', async () => {
  // Down barrier B for GBM (ν = μ − σ²/2), touched by T:
  //   P = N((ln(B/S0) − νT)/(σ√T)) + (B/S0)^(2ν/σ²) · N((ln(B/S0) + νT)/(σ√T)).
  // Checked once a day, the path is touched as if the barrier were lower: B·e^(−0.5826·σ·√Δt)
  // (Broadie, Glasserman & Kou 1997; 0.5826 = −ζ(1/2)/√(2π)), Δt one day.
  const S0 = 100_000;
  const mu = 0.05;
  const sigma = 0.5;
  const model = bareModel({ months: 12, priceUsd: S0, driftPerYear: mu, volPerYear: sigma });
  const barrier = 80_000; // e.g. $60M loan on 1,000 BTC, margin call at 75% LTV
  // $60M on 1,000 BTC, called at 75 % LTV: $80,000 (its first call is what counts here; cures come after).
  model.btcLoans = [{ id: 'L', balanceUsd: 60e6, btcPledged: 1000, marginCallLtv: 0.75, cureLtv: 0.6, fromDay: 0, toDay: model.days }];
  const T = model.days / DAYS_PER_YEAR;
  const shifted = barrier * Math.exp(-0.5826 * sigma * Math.sqrt(1 / DAYS_PER_YEAR));
  const nu = mu - (sigma * sigma) / 2;
  const x = Math.log(shifted / S0);
  const s = sigma * Math.sqrt(T);
  const expected = normalCdf((x - nu * T) / s) + (shifted / S0) ** ((2 * nu) / (sigma * sigma)) * normalCdf((x + nu * T) / s);
  const n = 20_000;
  const r = await runPaths(model, { paths: n, seed: 11, workers: 0 });
  const hits = r.marginCallMonth.reduce((k, m) => k + (m >= 0 ? 1 : 0), 0);
  const p = probability(hits, n);
  within3Se(p.p, expected, p.se, 'touch probability');
});

test('same seed, same numbers, whatever the number of workers; another seed moves the mean within its standard errors', async () => {
  const model = bareModel({ months: 6, driftPerYear: 0, volPerYear: 0.5 });
  const a = await runPaths(model, { paths: 1_000, seed: 42, workers: 0 });
  const b = await runPaths(model, { paths: 1_000, seed: 42, workers: 2 });
  assert.deepEqual(b.btcPriceUsd, a.btcPriceUsd);
  const c = await runPaths(model, { paths: 1_000, seed: 43, workers: 0 });
  assert.notDeepEqual(c.btcPriceUsd, a.btcPriceUsd);
  const ea = meanAndVariance(terminal(a.btcPriceUsd, 6));
  const ec = meanAndVariance(terminal(c.btcPriceUsd, 6));
  within3Se(ec.mean, ea.mean, Math.hypot(ea.seMean, ec.seMean), 'mean under another seed');
});

test('the halving lands at height 1,050,000: April 2028 at 144 blocks a day from height 930,000, and cuts that whole month (the finance model\'s convention)', async () => {
  // Heights from 930,000 (the next block on 2026-01-01) at 144 a day: after D days the last block mined is
  // 930,000 + 144·D − 1, which reaches 1,050,000 when 144·D ≥ 120,001, D ≥ 833.3: the 834th day, 2028-04-13
  // (365 + 366 + 31 + 29 + 31 + 12 = 834). End of March 2028: D = 822 (last block 1,048,367); end of April: D = 852.
  // So month 27 (April 2028) is the first with 1.5625 BTC, and the flat outlook's $50/PH/day hashprice halves to $25 there.
  const model = bareModel({ months: 36, priceUsd: 100_000 });
  const r = await runPaths(model, { paths: 64, seed: 1, workers: 0 });
  assert.ok(r.halvingMonth.every((m) => m === 27));
  assert.equal(r.hashpriceUsdPerPhDay[26], 50);
  assert.equal(r.hashpriceUsdPerPhDay[27], 25);
});

test('when the hashrate follows the price, blocks come faster or slower and the halving day differs by path', async () => {
  const model = bareModel({ months: 48, priceUsd: 100_000, volPerYear: 0.6 });
  model.chain.elasticity = 1;
  model.chain.lagDays = 30;
  const r = await runPaths(model, { paths: 256, seed: 3, workers: 0 });
  // Difficulty retargets every 2016 blocks, so a price move shifts the halving by weeks, not months.
  const months = new Set(r.halvingMonth);
  assert.ok(months.size >= 2, `halving months ${[...months].join(',')}`);
  assert.ok(r.halvingMonth.every((m) => m >= 26 && m <= 28));
  // A hashrate growing 1 %/day beyond the outlook outruns each retarget: blocks come early on every path.
  model.chain.hashrateDriftCum = driftCum(model.days, 0.01);
  const fast = await runPaths(model, { paths: 64, seed: 3, workers: 0 });
  assert.ok(fast.halvingMonth.every((m) => m >= 0 && m < 27), `halving months ${[...new Set(fast.halvingMonth)].join(',')}`);
});

test('a tenant default stops rent from the default month; the guarantor pays its share from then on', async () => {
  // Rent $1,000,000 a month; default in month 4 (the 5th month); guarantor pays 40%:
  // months 0–3: 1,000,000; months 4–11: 400,000. No other flows, so margin = rent.
  const model = bareModel({ months: 12 });
  model.tenants = [{ contractId: 'colo-1', rentUsd: new Float64Array(12).fill(1_000_000), defaultProbPerMonth: 0, forcedDefaultMonth: 4, recoveryShare: 0.4, renewalRentUsd: new Float64Array(12), renewalProb: 0 }];
  const r = await runPaths(model, { paths: 64, seed: 1, workers: 0 });
  const expected = [1e6, 1e6, 1e6, 1e6, 4e5, 4e5, 4e5, 4e5, 4e5, 4e5, 4e5, 4e5];
  assert.deepEqual(Array.from(r.marginUsd.subarray(0, 12)), expected);
  // Cash at month 12 = 4 × 1,000,000 + 8 × 400,000 = 7,200,000.
  assert.equal(r.cashUsd[11], 7_200_000);
});

test('tenant default hazard: P(default within 12 months) = 1 − (1 − q)^12, within 3 SE', async () => {
  const q = 1 - (1 - 0.2) ** (1 / 12); // 20% a year
  const model = bareModel({ months: 12 });
  model.tenants = [{ contractId: 't', rentUsd: new Float64Array(12).fill(100), defaultProbPerMonth: q, forcedDefaultMonth: -1, recoveryShare: 0, renewalRentUsd: new Float64Array(12), renewalProb: 0 }];
  const n = 10_000;
  const r = await runPaths(model, { paths: n, seed: 5, workers: 0 });
  let defaulted = 0;
  for (let i = 0; i < n; i++) if (r.marginUsd[i * 12 + 11] === 0) defaulted++;
  const p = probability(defaulted, n);
  within3Se(p.p, 0.2, p.se, 'default probability');
});

test('GBM with jumps: E[S_T] = S0 · e^{μT} · (1 + p(e^{m + s²/2} − 1))^days, within 3 SE', async () => {
  // Jumps on a day with probability p (drawn as geometric waits between jump days: the same law),
  // log size ~ N(m, s²): each day multiplies the mean by 1 + p(e^{m+s²/2} − 1).
  const model = bareModel({ months: 12, priceUsd: 100_000, driftPerYear: 0, volPerYear: 0.3 });
  const p = 6 / DAYS_PER_YEAR;
  const m = Math.log(0.85);
  const s = 0.1;
  Object.assign(model.btc, { jumpProbPerDay: p, jumpLogMean: m, jumpLogSd: s });
  const r = await runPaths(model, { paths: 20_000, seed: 21, workers: 0 });
  const est = meanAndVariance(terminal(r.btcPriceUsd, 12));
  within3Se(est.mean, 100_000 * (1 + p * (Math.exp(m + (s * s) / 2) - 1)) ** model.days, est.seMean, 'jump-diffusion terminal mean');
});

test('bootstrap of daily returns (blocks of 1 day): log S_T/S0 has mean 0 (returns demeaned) and variance days × var(returns), within 3 SE', async () => {
  // Returns: ±1 %, ±3 % (mean 0, variance (1 + 9)/2 × 1e-4 = 5e-4).
  const model = bareModel({ months: 6, priceUsd: 100_000 });
  Object.assign(model.btc, { kind: 'bootstrap', returns: Float64Array.from([0.01, -0.01, 0.03, -0.03]), blockDays: 1 });
  const r = await runPaths(model, { paths: 10_000, seed: 4, workers: 0 });
  const logs = Float64Array.from(terminal(r.btcPriceUsd, 6), (v) => Math.log(v / 100_000));
  const est = meanAndVariance(logs);
  within3Se(est.mean, 0, est.seMean, 'bootstrap log-return mean');
  within3Se(est.variance, model.days * 5e-4, est.seVariance, 'bootstrap log-return variance');
});

test('renewal: a tenant that renews pays the renewal rent after its term; the share of paths renewing is the probability, within 3 SE', async () => {
  // Term rent $1,000,000 for months 0–5, renewal rent $800,000 for months 6–11.
  const model = bareModel({ months: 12 });
  const rentUsd = Float64Array.from({ length: 12 }, (_, m) => (m < 6 ? 1e6 : 0));
  const renewalRentUsd = Float64Array.from({ length: 12 }, (_, m) => (m < 6 ? 0 : 8e5));
  model.tenants = [{ contractId: 't', rentUsd, renewalRentUsd, renewalProb: 1, defaultProbPerMonth: 0, forcedDefaultMonth: -1, recoveryShare: 0 }];
  const sure = await runPaths(model, { paths: 64, seed: 2, workers: 0 });
  assert.deepEqual(Array.from(sure.marginUsd.subarray(0, 12)), [1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 8e5, 8e5, 8e5, 8e5, 8e5, 8e5]);
  model.tenants[0]!.renewalProb = 0.3;
  const n = 10_000;
  const r = await runPaths(model, { paths: n, seed: 2, workers: 0 });
  let renewed = 0;
  for (let i = 0; i < n; i++) if (r.marginUsd[i * 12 + 11] === 8e5) renewed++;
  const p = probability(renewed, n);
  within3Se(p.p, 0.3, p.se, 'renewal probability');
});

test('dispatch, the fast rule: a block runs the hours at or below its break-even and pays a restart a day, by hand', async () => {
  // Shape: 22 hours at 0.8 and hours 17–18 at 3.2 (mean 1). Level $40/MWh: $32 and $128 an hour.
  // Block: 86.4 PH/s, all kept, 3 MW at the wall; hashprice $50/PH/day (the bare outlook):
  // revenue $50 × 86.4 / 24 = $180 an hour, break-even $180 / 3 MW = $60/MWh: it runs 22 hours
  // and is off 17–18 (one stretch: one restart a day at $500).
  // A day: 22 × ($180 − $32 × 3) − $500 = 22 × $84 − $500 = $1,348; January (31 days): $41,788.
  const model = bareModel({ months: 1 });
  const day = Array.from({ length: 24 }, (_, h) => (h === 17 || h === 18 ? 3.2 : 0.8));
  model.power.shape = Float64Array.from({ length: 12 * 24 }, (_, i) => day[i % 24]!);
  model.blocks = [{ id: 'B', phs: 86.4, wallMw: 3, keptShare: 1, restartCostUsd: 500, opexUsdPerMonth: 0 }];
  const r = await runPaths(model, { paths: 64, seed: 1, workers: 0 });
  assert.ok(Math.abs(r.marginUsd[0]! - 41_788) < 1e-6, `margin ${r.marginUsd[0]}`);
  // At $70/MWh the $56 hours run and the $224 hours do not: 22 × ($180 − $168) − $500 = −$236 a day; the rule
  // still runs them (each hour pays), and the restart is what makes the day lose: −$7,316 in January.
  model.power.basePriceUsdPerMwh.fill(70);
  const dear = await runPaths(model, { paths: 64, seed: 1, workers: 0 });
  assert.ok(Math.abs(dear.marginUsd[0]! - -7_316) < 1e-6, `margin ${dear.marginUsd[0]}`);
});

test('a margin call is cured: free BTC pledged first, then the loan paid down in cash to the cure LTV, by hand', async () => {
  // $100,000 BTC halves on day 40 (February 10th, month 1). Loan $60M on 1,000 BTC, called at 75 % LTV ($80,000),
  // cured to 60 %, 500 BTC free in the treasury. At $50,000: 60M / (0.6 × 50,000) = 2,000 BTC wanted, 500 posted
  // (all free BTC) → 1,500 pledged; paid down 60M − 0.6 × 1,500 × 50,000 = $15,000,000 → balance $45M, the next
  // call at 45M / (1,500 × 0.75) = $40,000: no more calls at $50,000.
  const model = bareModel({ months: 3, priceUsd: 100_000 });
  model.btc.shockLogPerDay[40] = Math.log(0.5);
  model.btcLoans = [{ id: 'L', balanceUsd: 60e6, btcPledged: 1000, marginCallLtv: 0.75, cureLtv: 0.6, fromDay: 0, toDay: model.days }];
  model.freeBtc = 500;
  const r = await runPaths(model, { paths: 64, seed: 1, workers: 0 });
  assert.equal(r.marginCallMonth[0], 1);
  assert.ok(Math.abs(r.cureCashUsd[0]! - 15e6) < 1e-6);
  assert.ok(Math.abs(r.freeCashUsd[1]! - -15e6) < 1e-6);
  assert.ok(Math.abs(r.cashUsd[2]! - -15e6) < 1e-6);
});
