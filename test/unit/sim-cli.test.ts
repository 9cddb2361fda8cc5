// `switchyard simulate` end to end through bin.js: pure JSON on stdout, reproducible by seed, bad files rejected.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { SimulationResult } from '../../simulations/finance/summarise.ts';
import { requireFixtures } from '../support/fixtures.ts';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['services/cli/bin.js', 'simulate', ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'simulate-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const COMPANY = ['--company', 'infra/sites/demo-company.yaml'];

test('--json: paths, seed, months with percentiles, covenants by quarter, margin calls with SE, decisions; same seed, same bytes', () => {
  const args = [...COMPANY, '--scenario', 'simulations/finance/scenarios/base.yaml', '--paths', '300', '--seed', '5', '--workers', '1', '--json'];
  const a = cli(...args);
  assert.equal(a.code, 0, a.stderr);
  const r = JSON.parse(a.stdout) as SimulationResult;
  assert.equal(r.paths, 300);
  assert.equal(r.seed, 5);
  assert.equal(r.months.length, 60);
  for (const key of ['p5', 'p25', 'p50', 'p75', 'p95'] as const) assert.equal(typeof r.months[0]!.marginUsd[key], 'number');
  assert.ok(r.months[0]!.freeCashUsd.p5 <= r.months[0]!.freeCashUsd.p95);
  assert.ok(r.covenants.length >= 3);
  for (const c of r.covenants) for (const q of c.breachProbabilityByQuarter) assert.ok(q.probability >= 0 && q.probability <= 1 && q.se >= 0);
  assert.equal(r.btcLoans[0]!.instrumentId, 'BTC-LOAN-1');
  assert.equal(typeof r.btcLoans[0]!.marginCallProbability, 'number');
  assert.equal(typeof r.btcLoans[0]!.marginCallProbabilitySe, 'number');
  assert.equal(r.decisions[0]!.blockId, 'B1');
  assert.ok(r.decisions[0]!.keepNpvUsd.p5 <= r.decisions[0]!.keepNpvUsd.p95);
  assert.match(r.dispatch, /fast rule, not the MILP/);
  const b = cli(...args.map((x) => (x === '1' ? '2' : x)));
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.stdout, a.stdout, 'same seed with 2 workers: the same JSON');
});

test('a bad scenario file: exit 1, file, line and key on stderr, nothing on stdout', () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'name: bad\nbtc:\n  volatility: 50\n');
  const r = cli(...COMPANY, '--scenario', bad, '--paths', '100', '--json');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.ok(r.stderr.includes(`${bad}:3:3: btc.volatility: unknown key "volatility"`), r.stderr);
});

test('a scenario naming a contract the company does not have names the key', () => {
  const bad = join(dir, 'tenant.yaml');
  writeFileSync(bad, 'name: t\ntenants:\n  - { contractId: nobody, defaultPctPerYear: 5 }\n');
  const r = cli(...COMPANY, '--scenario', bad, '--paths', '100', '--json');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /scenario tenants\[0\]\.contractId: no contract "nobody"/);
});

const CHARTS = '../shared/fixtures/market/blockchain_com_charts_alltime/bitcoin-all-time-market-price.csv';
test('bootstrap from the recorded BTC history, starting at its last price', { skip: requireFixtures(CHARTS) }, () => {
  const r = cli(...COMPANY, '--scenario', 'simulations/finance/scenarios/bootstrap.yaml', '--paths', '200', '--seed', '3', '--workers', '1', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as SimulationResult;
  assert.equal(out.months.length, 36);
  // The last recorded price (the file's last row) is the start; month 1's spread is the bootstrap's, not zero.
  assert.ok(out.months[0]!.btcPriceUsd.p95 > out.months[0]!.btcPriceUsd.p5);
});

const URI = '../shared/fixtures/market/ercot/ercot_dam_hub_lz_spp_2021-02-10_to_2021-02-21_extract.csv';
test('power shape from the recorded Uri posting (LZ_WEST): the run completes with finite margins', { skip: requireFixtures(URI) }, () => {
  const r = cli(...COMPANY, '--scenario', 'simulations/finance/scenarios/uri.yaml', '--paths', '200', '--seed', '3', '--workers', '1', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as SimulationResult;
  assert.equal(out.months.length, 24);
  assert.ok(out.months.every((m) => Number.isFinite(m.marginUsd.p50)));
});
