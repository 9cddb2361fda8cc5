import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { SiteFileError } from '../../services/domain/load-site.ts';
import { loadCompanyFile, parseCompany } from '../../services/finance/load-company.ts';

/**
 * The company file (issue 11): validated like a site file, a malformed one names file, line and
 * key, exits non-zero and writes nothing; `finance debt --json` and `finance margins --json`
 * print pure JSON on stdout (logs on stderr), even on a fresh data dir.
 */

const DEMO = 'infra/sites/demo-company.yaml';
const BIN = resolve('services/cli/bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'finance-company-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd: tmp, env: { ...process.env, LOG_LEVEL: 'info', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the demo company file: one site, the debt book with its covenants', () => {
  const c = loadCompanyFile(DEMO);
  assert.equal(c.sites.length, 1);
  assert.equal(c.sites[0]!.site.site.id, 'demo-west-tx');
  assert.deepEqual(c.debt.map((d) => d.id), ['TL-1', 'CN-2031', 'BTC-LOAN-1']);
  assert.deepEqual(c.debt.find((d) => d.id === 'TL-1')!.covenants.map((k) => k.kind), ['min-dscr', 'max-net-leverage']);
  assert.equal(c.file.corporateCosts.gAndAUsdPerMonth, 1_500_000);
});

test('a malformed company file names the file, the line and the key', () => {
  const text = readFileSync(DEMO, 'utf8').replace('  cashUsd: 200000000', '  cashUsd: 200000000\n  colour: blue');
  const line = text.split('\n').findIndex((l) => l.includes('colour: blue')) + 1;
  assert.throws(
    () => parseCompany(text, 'bad-company.yaml'),
    (err: unknown) => err instanceof SiteFileError && new RegExp(`^company file bad-company.yaml has 1 problem:\\nbad-company.yaml:${line}:3: treasury.colour: unknown key "colour"$`).test(err.message),
  );
  // Cross-checks too: a duplicate instrument id, at its line.
  const dup = readFileSync(DEMO, 'utf8').replace('  - id: CN-2031', '  - id: TL-1');
  assert.throws(() => parseCompany(dup, 'dup.yaml'), /dup\.yaml:\d+:\d+: debt\[1\]\.id: duplicate debt id "TL-1"/);
});

test('a site file the company lists but that is not there is named at its line', () => {
  const text = readFileSync(DEMO, 'utf8').replace('  - demo.yaml', '  - nowhere.yaml');
  const line = text.split('\n').findIndex((l) => l.includes('nowhere.yaml')) + 1;
  assert.throws(() => parseCompany(text, 'c.yaml', 'infra/sites'), new RegExp(`c\\.yaml:${line}:5: sites\\[0\\]: no site file at .*nowhere\\.yaml`));
});

test('CLI: a malformed company file exits non-zero, prints the location and writes nothing', () => {
  const bad = join(tmp, 'bad-company.yaml');
  writeFileSync(bad, readFileSync(DEMO, 'utf8').replace('sites:\n  - demo.yaml', `sites:\n  - ${resolve('infra/sites/demo.yaml')}`).replace('    couponPct: 9.5', '    couponPct: lots'));
  const before = readdirSync(tmp).sort();
  const r = cli(['finance', 'debt', '--company', bad, '--json'], { SWITCHYARD_DATA_DIR: join(tmp, 'data') });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /bad-company\.yaml:\d+:\d+: debt\[0\]\.couponPct: must be number/);
  assert.deepEqual(readdirSync(tmp).sort(), before, 'nothing written');
  assert.equal(existsSync(join(tmp, 'data')), false);
});

test('CLI: finance debt --json is pure JSON with the break prices and the margin-call price', () => {
  const r = cli(['finance', 'debt', '--company', resolve(DEMO), '--json', '--as-of', '2026-12-05']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { covenants: Record<string, unknown>[]; btcLoans: Record<string, unknown>[]; ladder: unknown[] };
  assert.equal(j.covenants.length, 3);
  for (const c of j.covenants) {
    assert.ok('breaksAtBtcUsd' in c && 'breaksAtHashpriceUsdPerPhDay' in c, JSON.stringify(c));
  }
  // BTC-LOAN-1: $60M on 1,000 BTC; margin call at 75 % LTV = 60,000,000 / 750 = $80,000; the
  // 70 % LTV covenant breaks at 60,000,000 / 700 = $85,714.29 (hashprice 45 × 85,714.29 / 92,000 = 41.93).
  assert.equal(j.btcLoans[0]!.marginCallBtcUsd, 80_000);
  const ltv = j.covenants.find((c) => c.kind === 'max-ltv')!;
  assert.equal(ltv.breaksAtBtcUsd, 85_714.29);
  assert.equal(ltv.breaksAtHashpriceUsdPerPhDay, 41.93);
  // Ladder from 2026-12-01: TL-1 amortises 250M / 20 quarters = 12.5M a quarter (2026-12-31 is
  // Q4); the BTC loan's 60M bullet falls 2027-03-01 (Q1); CN-2031's 400M in 2031-Q2.
  const ladder = j.ladder as { quarter: string; totalUsd: number; byInstrument: Record<string, number> }[];
  assert.deepEqual(ladder[0], { quarter: '2026-Q4', totalUsd: 12_500_000, byInstrument: { 'TL-1': 12_500_000 } });
  assert.deepEqual(ladder[1], { quarter: '2027-Q1', totalUsd: 72_500_000, byInstrument: { 'TL-1': 12_500_000, 'BTC-LOAN-1': 60_000_000 } });
  assert.deepEqual(ladder.at(-1), { quarter: '2031-Q2', totalUsd: 400_000_000, byInstrument: { 'CN-2031': 400_000_000 } });
});

test('CLI: finance margins --json on a fresh data dir is pure JSON (the migration log goes to stderr)', () => {
  const dataDir = join(tmp, 'fresh');
  const r = cli(['finance', 'margins', '--from', '2026-12-01', '--to', '2026-12-05', '--json', '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { from: '2026-12-01', to: '2026-12-05', groupBy: 'block', groups: [], total: null });
  assert.match(r.stderr, /records store migrated/);
  const bad = cli(['finance', 'margins', '--from', '2026-12-05', '--to', '2026-12-01', '--json', '--data-dir', dataDir]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /to \(2026-12-01\) must be after from \(2026-12-05\)/);
});
