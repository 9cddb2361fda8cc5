// A scenario with zero volatility everywhere equals the finance model's forward figures to the cent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { covenantResults } from '../../services/finance/covenants.ts';
import { forwardAt } from '../../services/finance/forward.ts';
import { loadCompanyFile } from '../../services/finance/load-company.ts';
import { compileRun } from '../../simulations/finance/compile.ts';
import { runPaths } from '../../simulations/finance/run.ts';
import { parseScenario } from '../../simulations/finance/scenario-file.ts';

const cents = (usd: number) => Math.round(usd * 100);

test('zero volatility: every path is the forward model, month by month, to the cent (demo company, 36 months)', async () => {
  const company = loadCompanyFile('infra/sites/demo-company.yaml');
  const scenario = parseScenario('name: deterministic\n', 'deterministic.yaml');
  const nowMs = Date.UTC(2026, 0, 15);
  const run = compileRun(company, scenario, { nowMs });
  const forward = forwardAt(run.base, 1);
  const r = await runPaths(run.model, { paths: 64, seed: 9, workers: 0 });
  const M = run.model.months;
  assert.equal(M, 36);
  for (let path = 0; path < 64; path += 21) {
    forward.forEach((f, m) => {
      const at = `path ${path}, ${f.month}`;
      assert.equal(cents(r.ebitdaUsd[path * M + m]!), cents(f.ebitdaUsd), `EBITDA ${at}`);
      assert.equal(cents(r.marginUsd[path * M + m]!), cents(f.miningMarginUsd + f.aiUsd), `margin ${at}`);
      assert.equal(cents(r.cashUsd[path * M + m]!), cents(f.cashUsd), `cash ${at}`);
      assert.equal(cents(r.hashpriceUsdPerPhDay[path * M + m]!), cents(f.hashpriceUsdPerPhDay), `hashprice ${at}`);
      assert.equal(cents(r.btcPriceUsd[path * M + m]!), cents(f.btcPriceUsd), `BTC ${at}`);
      const dscr = r.dscr[path * M + m]!;
      if (f.dscr === null) assert.ok(Number.isNaN(dscr), `DSCR ${at}`);
      else assert.ok(Math.abs(dscr - f.dscr) < 1e-9, `DSCR ${at}: ${dscr} vs ${f.dscr}`);
    });
  }
  // Each covenant test fails on a path exactly where the forward model's fails.
  const results = covenantResults(run.base, company.debt);
  assert.equal(results.length, run.model.covenants.length);
  results.forEach((c, k) => {
    assert.ok(c.tests.length > 0 || c.note !== undefined);
    for (const t of c.tests) {
      const m = run.months.indexOf(t.month);
      assert.equal(r.covenantBreach[(0 * results.length + k) * M + m], t.ok ? 0 : 1, `${c.instrumentId} ${c.kind} ${t.month}`);
    }
  });
});

test('renewal rent and a scenario start price, by hand', () => {
  const company = loadCompanyFile('infra/sites/demo-company.yaml');
  const nowMs = Date.UTC(2026, 11, 5); // outlook starts 2026-12 (its current month)
  const scenario = parseScenario('name: r\nbtc: { startPriceUsd: 184000 }\ntenants:\n  - { contractId: cloud-1, renewalPct: 100, renewalRatePct: 90 }\n', 'r.yaml');
  const run = compileRun(company, scenario, { nowMs });
  // cloud-1: 2,000 B200 × $3.20/GPU-h × 0.85 × 24 h = $130,560 a day; its 36 months end 2028-10-01.
  // Renewed at 90 %: $117,504 a day; October 2028 has 31 days: $3,642,624; September 2028 is still in term: no renewal rent.
  const cloud = run.model.tenants.find((t) => t.contractId === 'cloud-1')!;
  const oct = run.months.indexOf('2028-10');
  assert.equal(cents(cloud.renewalRentUsd[oct]!), cents(3_642_624));
  assert.equal(cloud.renewalRentUsd[oct - 1], 0);
  assert.equal(cloud.renewalProb, 1);
  // Start price $184,000 = 2 × the outlook's $92,000: BTC and hashprice paths double.
  const plain = compileRun(company, parseScenario('name: p\n', 'p.yaml'), { nowMs });
  assert.equal(run.model.btc.basePriceUsd[0], 184_000);
  assert.equal(run.model.chain.hashpriceTrendUsd[5], 2 * plain.model.chain.hashpriceTrendUsd[5]!);
});
