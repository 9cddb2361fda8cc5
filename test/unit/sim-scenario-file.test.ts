// A bad scenario file names file, line and key; a good one fills its defaults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SiteFileError } from '../../services/domain/load-site.ts';
import { loadScenarioFile, parseScenario } from '../../simulations/finance/scenario-file.ts';

function problems(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (err) {
    assert.ok(err instanceof SiteFileError, String(err));
    assert.match(err.message, /^scenario file bad\.yaml has \d+ problems?:/);
    return err.problems.map((p) => `${p.file}:${p.line}: ${p.keyPath}: ${p.message}`);
  }
  assert.fail('expected a SiteFileError');
}

test('unknown key, wrong type and out-of-range value: each named by file, line and key path', () => {
  const text = ['name: bad', 'btc:', '  volatilityPctPerYear: -5', '  vol: 3', 'power:', '  shape: spiky', 'tenants:', '  - { contractId: colo-1, recoveryPct: 150 }', ''].join('\n');
  const got = problems(text);
  assert.ok(got.includes('bad.yaml:3: btc.volatilityPctPerYear: must be >= 0'), got.join('\n'));
  assert.ok(got.includes('bad.yaml:4: btc.vol: unknown key "vol"'), got.join('\n'));
  assert.ok(got.includes('bad.yaml:6: power.shape: must be one of "flat", "site", "file"'), got.join('\n'));
  assert.ok(got.includes('bad.yaml:8: tenants[0].recoveryPct: must be <= 100'), got.join('\n'));
});

test('cross-checks: duplicate tenant, bootstrap without history, YAML syntax', () => {
  const dup = problems(['name: x', 'tenants:', '  - { contractId: colo-1 }', '  - { contractId: colo-1 }', ''].join('\n'));
  assert.deepEqual(dup, ['bad.yaml:4: tenants[1].contractId: duplicate contractId "colo-1"']);
  const boot = problems(['name: x', 'btc:', '  model: bootstrap', ''].join('\n'));
  assert.deepEqual(boot, ['bad.yaml:3: btc.historyFiles: a bootstrap needs historyFiles (blockchain.com market-price exports)']);
  const syntax = problems('name: x\nbtc: [\n');
  assert.equal(syntax.length >= 1, true);
  assert.match(syntax[0]!, /^bad\.yaml:\d+: /);
});

test('the shipped scenarios load, with defaults filled', () => {
  for (const f of ['base', 'btc-crash', 'tenant-default', 'deterministic', 'bootstrap', 'uri']) loadScenarioFile(`simulations/finance/scenarios/${f}.yaml`);
  const s = parseScenario('name: d\n', 'd.yaml');
  assert.equal(s.btc.model, 'gbm');
  assert.equal(s.btc.volatilityPctPerYear, 0);
  assert.equal(s.power.shape, 'flat');
  assert.equal(s.discountRatePctPerYear, 10);
});
