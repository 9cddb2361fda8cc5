import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** Runs the real CLI entry point, as a user would. */
function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['services/cli/bin.js', 'hashprice', ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CHECK = ['--difficulty', '156e12', '--price', '104000', '--fees-per-block', '0.02', '--height', '920000'];
// 104,000 × 86,400e15 / (156e12 × 2^32) × (3.125 + 0.02), worked out by hand:
// 86,400e15 / 6.70014898176e23 = 1.28952356e-4 blocks/day per PH/s.
const EXPECTED_USD = 104_000 * 1.28952356e-4 * 3.145; // ≈ 42.178

function within(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * expected, `${what}: expected ${expected} ± ${rel * 100}%, got ${actual}`);
}

test('--json prints one object with units in the key names', () => {
  const r = cli(...CHECK, '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, number>;
  within(out.hashpriceUsdPerPhDay!, EXPECTED_USD, 0.005, 'hashpriceUsdPerPhDay');
  within(out.hashpriceUsdPerPhDay!, 42.2, 0.005, 'DESIGN.md check');
  within(out.hashpriceBtcPerPhDay!, 1.28952356e-4 * 3.145, 0.005, 'hashpriceBtcPerPhDay');
  assert.equal(out.subsidyBtc, 3.125);
  assert.equal(out.feesPerBlockBtc, 0.02);
  assert.equal(out.height, 920000);
  within(out.blocksPerDayPerPh!, 1.28952356e-4, 0.005, 'blocksPerDayPerPh');
  within(out.networkHashrateEhs!, 1116.69, 0.005, 'networkHashrateEhs');
});

test('the subsidy follows the height across a halving', () => {
  const before = JSON.parse(cli('--difficulty', '156e12', '--price', '100000', '--fees-per-block', '0', '--height', '1049999', '--json').stdout);
  const after = JSON.parse(cli('--difficulty', '156e12', '--price', '100000', '--fees-per-block', '0', '--height', '1050000', '--json').stdout);
  assert.equal(before.subsidyBtc, 3.125);
  assert.equal(after.subsidyBtc, 1.5625);
  within(after.hashpriceUsdPerPhDay, before.hashpriceUsdPerPhDay / 2, 1e-9, 'halved hashprice');
});

test('text output shows USD and BTC hashprice, subsidy, blocks/day and network hashrate', () => {
  const r = cli(...CHECK);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /42\.18 USD per PH\/s per day/);
  assert.match(r.stdout, /0\.00040556 BTC per PH\/s per day/);
  assert.match(r.stdout, /3\.125 BTC/);
  assert.match(r.stdout, /0\.000128952 per PH\/s/);
  assert.match(r.stdout, /1116\.7 EH\/s/);
});

test('bad numbers exit non-zero with a clear message', () => {
  const cases: [string[], RegExp][] = [
    [['--difficulty', 'lots', '--price', '1', '--fees-per-block', '0', '--height', '1'], /--difficulty must be a number/],
    [['--difficulty', '0', '--price', '1', '--fees-per-block', '0', '--height', '1'], /--difficulty must be > 0/],
    [['--difficulty', '1e12', '--price', '-5', '--fees-per-block', '0', '--height', '1'], /--price must be ≥ 0/],
    [['--difficulty', '1e12', '--price', '1', '--fees-per-block', 'NaN', '--height', '1'], /--fees-per-block must be a number/],
    [['--difficulty', '1e12', '--price', '1', '--fees-per-block', '0', '--height', '12.5'], /--height must be a whole number/],
    [['--difficulty', '1e12', '--price', '1', '--fees-per-block', '0'], /required option '--height <H>' not specified/],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.notEqual(r.code, 0, `exit code for ${args.join(' ')}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});
