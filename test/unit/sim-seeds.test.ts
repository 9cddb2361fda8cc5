// The demo company under the base scenario: the same seed gives the same result (whatever the
// worker count); another seed moves every reported probability within its standard errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCompanyFile } from '../../services/finance/load-company.ts';
import { loadScenarioFile } from '../../simulations/finance/scenario-file.ts';
import { simulate } from '../../simulations/finance/simulate.ts';

test('base scenario: same seed same result; seed 2 vs seed 1 within 3 combined SE for every probability', async () => {
  const company = loadCompanyFile('infra/sites/demo-company.yaml');
  const scenario = { ...loadScenarioFile('simulations/finance/scenarios/base.yaml'), horizonMonths: 24 };
  const nowMs = Date.UTC(2026, 11, 5);
  const a = await simulate(company, scenario, { paths: 1_500, seed: 1, workers: 0, nowMs });
  const again = await simulate(company, scenario, { paths: 1_500, seed: 1, workers: 2, nowMs });
  assert.deepEqual(again, a);
  const b = await simulate(company, scenario, { paths: 1_500, seed: 2, workers: 0, nowMs });
  assert.notDeepEqual(b, a);
  const close = (pa: number, sa: number, pb: number, sb: number, what: string) => {
    const se = Math.hypot(sa, sb);
    assert.ok(Math.abs(pa - pb) <= 3 * se + 1e-12, `${what}: ${pa} ± ${sa} vs ${pb} ± ${sb}`);
  };
  a.covenants.forEach((c, k) => {
    const d = b.covenants[k]!;
    close(c.anyBreachProbability, c.anyBreachProbabilitySe, d.anyBreachProbability, d.anyBreachProbabilitySe, `${c.instrumentId} ${c.kind} any`);
    c.breachProbabilityByQuarter.forEach((q, j) => close(q.probability, q.se, d.breachProbabilityByQuarter[j]!.probability, d.breachProbabilityByQuarter[j]!.se, `${c.instrumentId} ${c.kind} ${q.quarter}`));
  });
  a.btcLoans.forEach((l, k) => close(l.marginCallProbability, l.marginCallProbabilitySe, b.btcLoans[k]!.marginCallProbability, b.btcLoans[k]!.marginCallProbabilitySe, `${l.instrumentId} margin call`));
  close(a.cashBelowFloorAnyMonthProbability, a.cashBelowFloorAnyMonthProbabilitySe, b.cashBelowFloorAnyMonthProbability, b.cashBelowFloorAnyMonthProbabilitySe, 'cash below floor');
  a.decisions.forEach((d, k) => {
    const e = b.decisions[k]!;
    close(d.convertBetterProbability, d.convertBetterProbabilitySe, e.convertBetterProbability, e.convertBetterProbabilitySe, `${d.id} convert better`);
    close(d.keepNpvUsd.mean, d.keepNpvUsd.meanSe, e.keepNpvUsd.mean, e.keepNpvUsd.meanSe, `${d.id} keep NPV mean`);
    close(d.convertNpvUsd.mean, d.convertNpvUsd.meanSe, e.convertNpvUsd.mean, e.convertNpvUsd.meanSe, `${d.id} convert NPV mean`);
  });
});
