import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOffersFile, parseOffers } from '../../services/scheduler/strategic/load-offers.ts';

const MINIMAL = `
startMonth: 2026-01
horizonMonths: 24
discountRatePctPerYear: 10
powerPriceUsdPerMwh: 40
hashprice: { startUsdPerPhDay: 45 }
offers:
  - { id: a, counterparty: A, rateUsdPerKwMonth: 140, termMonths: 120, capexUsdPerMwCriticalIt: 9e6, leadTimeMonths: 12, criticalItShare: 0.75, maxCriticalItMw: 30 }
`;

test('the demo offers file loads', () => {
  const o = loadOffersFile('infra/sites/demo-offers.yaml');
  assert.equal(o.offers.length, 3);
  for (const offer of o.offers) {
    assert.ok(offer.rateUsdPerKwMonth >= 121 && offer.rateUsdPerKwMonth <= 159, `${offer.id} rate in the published range`);
    assert.ok(offer.capexUsdPerMwCriticalIt >= 8e6 && offer.capexUsdPerMwCriticalIt <= 11e6, `${offer.id} capex in range`);
    assert.ok(offer.leadTimeMonths >= 8 && offer.leadTimeMonths <= 24, `${offer.id} lead time in range`);
    assert.ok(offer.termMonths >= 120 && offer.termMonths <= 180, `${offer.id} term in range`);
  }
});

test('defaults are filled, nested ones included', () => {
  const o = parseOffers(MINIMAL, 'minimal.yaml');
  assert.equal(o.offers[0]!.opexPctOfRevenue, 15);
  assert.equal(o.offers[0]!.minCriticalItMw, 0);
  assert.equal(o.offers[0]!.escalatorPctPerYear, 0);
  assert.equal(o.capexTiming, 'spread-over-lead-time');
  assert.equal(o.miningUptime, 1);
  assert.deepEqual(o.coverage, { windowMonths: 1, shortfallPenaltyPerUsd: 1000, refinanceBulletPrincipal: false });
  assert.deepEqual(o.existingContracts, { colocationOpexPctOfRevenue: 15, gpuCloudOpexPctOfRevenue: 25 });
  assert.deepEqual(o.solver, { timeLimitS: 30, mipRelGap: 1e-4 });
  assert.equal(o.hashprice.feeSharePct, 2);
  assert.equal(o.hashprice.btcPriceGrowthPctPerYear, 0);
});

test('JSON is read too', () => {
  const o = parseOffers(JSON.stringify(parseOffers(MINIMAL, 'x')), 'offers.json');
  assert.equal(o.offers[0]!.id, 'a');
});

test('unknown keys and bad values are rejected, naming the file and the key', () => {
  assert.throws(() => parseOffers(MINIMAL.replace('maxCriticalItMw: 30', 'maxCriticalItMw: 30, maxMw: 3'), 'f.yaml'), /offers file f\.yaml: .*\/offers\/0\/maxMw unknown key "maxMw"/);
  assert.throws(() => parseOffers(MINIMAL.replace('startMonth: 2026-01', 'startMonth: 2026-13'), 'f.yaml'), /\/startMonth/);
  assert.throws(() => parseOffers(MINIMAL.replace('criticalItShare: 0.75', 'criticalItShare: 1.5'), 'f.yaml'), /\/offers\/0\/criticalItShare/);
  assert.throws(() => parseOffers(MINIMAL.replace('horizonMonths: 24', 'horizonMonths: 24\nhorizonMonths: 12'), 'f.yaml'), /offers file f\.yaml: .*[Dd]uplicate|unique/);
});

test('what a schema cannot say: min above max, duplicate ids, halvingDate with anchor, too many prices', () => {
  assert.throws(() => parseOffers(MINIMAL.replace('maxCriticalItMw: 30', 'maxCriticalItMw: 30, minCriticalItMw: 40'), 'f.yaml'), /minCriticalItMw 40 MW is above maxCriticalItMw 30 MW/);
  const twice = MINIMAL + MINIMAL.slice(MINIMAL.indexOf('  - {'));
  assert.throws(() => parseOffers(twice, 'f.yaml'), /duplicate offer id "a"/);
  assert.throws(
    () => parseOffers(MINIMAL.replace('{ startUsdPerPhDay: 45 }', '{ startUsdPerPhDay: 45, halvingDate: 2028-04-20, anchor: { height: 1, date: 2009-01-09 } }'), 'f.yaml'),
    /halvingDate or anchor, not both/,
  );
  assert.throws(() => parseOffers(MINIMAL.replace('powerPriceUsdPerMwh: 40', `powerPriceUsdPerMwh: [${new Array(25).fill(40).join(', ')}]`), 'f.yaml'), /25 monthly values but the horizon is 24/);
});

test('a missing file is an error naming it', () => {
  assert.throws(() => loadOffersFile('no/such/offers.yaml'), /reading offers file no\/such\/offers\.yaml: .*ENOENT/);
});
