import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSiteFile, parseSite, parseSiteWithWarnings, SiteFileError } from '../../services/domain/load-site.ts';
import { summarizeBlock, summarizeSite } from '../../services/domain/site.ts';
import { ContextError } from '../../services/lib/errors.ts';
import { MINIMAL_SITE_YAML } from '../support/sites/minimal-site.ts';

const SITES = 'test/support/sites';
const DEMO = 'infra/sites/demo.yaml';
const SMALL = `${SITES}/small.yaml`;

/** The problems a site file produces, one "file:line:col: key: message" per line. */
function problems(path: string): string[] {
  try {
    loadSiteFile(path);
  } catch (err) {
    assert.ok(err instanceof SiteFileError, `expected SiteFileError, got ${String(err)}`);
    assert.ok(err instanceof ContextError);
    assert.equal(err.code, 'E_SITE_FILE');
    const lines = err.message.split('\n');
    assert.equal(lines[0], `site file ${path} has ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}:`);
    return lines.slice(1);
  }
  assert.fail(`${path} loaded without errors`);
}

function problemsOf(text: string): string[] {
  try {
    parseSite(text, 'inline.yaml');
  } catch (err) {
    assert.ok(err instanceof SiteFileError);
    return err.message.split('\n').slice(1);
  }
  assert.fail('loaded without errors');
}

test('the demo site loads and has the shape the demo needs', () => {
  const { site, warnings } = parseSiteWithWarnings(readFileSync(DEMO, 'utf8'), DEMO);
  assert.deepEqual(warnings, []);
  assert.equal(site.site.market.iso, 'ERCOT');
  assert.equal(site.site.market.settlementPoint, 'LZ_WEST');
  const s = summarizeSite(site);
  assert.ok(s.minerCount >= 30_000 && s.minerCount <= 40_000, `miners ${s.minerCount}`);
  assert.equal(s.capacityW, 200e6);
  assert.ok(s.capacityW <= s.importLimitW);
  const firmware = new Set(site.blocks.flatMap((b) => b.miners.map((g) => g.firmware)));
  assert.deepEqual([...firmware].sort(), ['antminer', 'avalon', 'braiins', 'luxos', 'whatsminer']);
  assert.ok(site.blocks.some((b) => b.cooling === 'hydro' && b.miners.length > 0));
  const converting = site.blocks.filter((b) => b.state === 'converting');
  assert.equal(converting.length, 1);
  assert.equal(converting[0]!.conversion!.to, 'ai');

  const lease = site.contracts.find((c) => c.kind === 'colocation');
  assert.ok(lease && lease.kind === 'colocation');
  assert.deepEqual([lease.rateUsdPerKwMonth, lease.termMonths, lease.escalatorPctPerYear, lease.takeOrPayPct, lease.slaUptimePct], [140, 180, 3, 100, 99.9]);
  const hall = site.blocks.find((b) => b.contractId === lease.id)!;
  assert.equal(hall.capacityMw, 50);
  assert.deepEqual(hall.gpus.map((g) => g.model).sort(), ['GB200-NVL72', 'H100-SXM', 'H200']);
  const hallView = s.blocks.find((b) => b.id === hall.id)!;
  assert.ok(Math.abs(hallView.criticalItW / hallView.capacityW - 0.75) < 0.01);

  // The debt book is the company's (infra/sites/demo-company.yaml, test/unit/finance-company.test.ts).
  assert.deepEqual(site.debt, []);
  assert.equal(site.meters.filter((m) => m.role === 'revenue').length, 1);
  assert.equal(site.meters.filter((m) => m.role === 'block').length, site.blocks.length);
  for (const m of site.meters) assert.deepEqual([m.host, m.port, m.profile], ['127.0.0.1', 5020, 'twin-pm5340']);
});

test('the small site loads, and its nominal figures are right', () => {
  const site = loadSiteFile(SMALL);
  const s = summarizeSite(site);
  assert.equal(site.blocks.length, 3);
  assert.equal(s.minerCount, 20);
  assert.equal(s.gpuCount, 16);
  assert.equal(site.blocks.filter((b) => b.state === 'ai').length, 1);
  // B1: 8 × 3500 + 4 × 3441 + 2 × 3230 + 2 × 3010 W; 8 × 200 + 4 × 186 + 2 × 150 + 2 × 140 TH/s
  const b1 = summarizeBlock(site.blocks[0]!);
  assert.equal(b1.itPowerW, 54_244);
  assert.equal(b1.hashrateHs, 2924e12);
  assert.ok(Math.abs(b1.efficiencyJPerTh! - 18.551299589603282) < 1e-9);
  assert.equal(b1.minerSleepPowerW, 16 * 25);
  // B3: 16 H100 = 2 DGX H100 × 10.2 kW; no miners → no efficiency
  const b3 = summarizeBlock(site.blocks[2]!);
  assert.equal(b3.gpuPowerW, 20_400);
  assert.equal(b3.efficiencyJPerTh, null);
  assert.ok(Math.abs(b3.criticalItW - 50_000 / 1.33) < 1e-6);
  assert.ok(Math.abs(b3.grossPowerW - 20_400 * 1.33) < 1e-6);
  // Contract defaults inside the kind union are filled like any other default.
  const lease = site.contracts[0]!;
  assert.ok(lease.kind === 'colocation');
  assert.equal(lease.slaCreditPctPerPoint, 5);
});

test('schema errors: all reported, each with file:line:col and key path', () => {
  const f = `${SITES}/bad-schema.yaml`;
  assert.deepEqual(problems(f), [
    `${f}:17:5: blocks[0].colour: unknown key "colour"`,
    `${f}:21:19: blocks[0].miners[0].firmware: must be one of "antminer", "whatsminer", "braiins", "luxos", "avalon"`,
    `${f}:26:17: blocks[1].capacityMw: must be > 0`,
    `${f}:32:11: contracts[0].kind: must be one of "colocation", "gpu-cloud"`,
    `${f}:39:24: contracts[1].rateUsdPerGpuHour: must be > 0`,
    `${f}:41:16: contracts[1].startDate: must match format "date"`,
  ]);
});

test('YAML syntax errors and duplicate keys name the line and the key', () => {
  const s = `${SITES}/bad-syntax.yaml`;
  const [syntax, ...rest] = problems(s);
  assert.equal(rest.length, 0);
  assert.match(syntax!, new RegExp(`^${s.replace(/\./g, '\\.')}:20:\\d+: blocks\\[0\\]\\.miners\\[0\\]\\.network\\.cidr: Flow map .*\\[BAD_INDENT\\]$`));
  const d = `${SITES}/bad-dupkey.yaml`;
  assert.deepEqual(problems(d), [`${d}:14:5: blocks[0].capacityMw: Map keys must be unique [DUPLICATE_KEY]`]);
});

test('references that do not resolve', () => {
  const f = `${SITES}/bad-refs.yaml`;
  const got = problems(f);
  assert.match(got[0]!, /bad-refs\.yaml:17:16: blocks\[0\]\.miners\[0\]\.model: unknown ASIC model "S99-Imaginary" \(catalog has S19j-Pro, /);
  assert.deepEqual(got.slice(1), [
    `${f}:21:9: blocks[1].id: duplicate block id "B1" (also blocks[0])`,
    `${f}:26:12: blocks[1].state: a block in state ai needs a contractId`,
    `${f}:27:17: blocks[1].capability: a block in state ai needs capability ai`,
    `${f}:35:17: blocks[2].contractId: no contract with id "no-such-contract"`,
    `${f}:37:3: warning: meters: no revenue meter: curtailment proof and settlement need one`,
    `${f}:37:37: meters[0].blockId: no block with id "B9"`,
    `${f}:38:21: meters[1].role: a block meter needs a blockId`,
    `${f}:43:15: contracts[0].gpuModel: unknown GPU model "Z100" (catalog has H100-SXM, H200, B200, GB200-NVL72)`,
  ]);
});

test('address plan: room in the CIDR, overlaps, host bits', () => {
  const f = `${SITES}/bad-network.yaml`;
  assert.deepEqual(problems(f), [
    `${f}:21:26: blocks[0].miners[0].network.cidr: 127.41.1.0/28 has room for 14 miners but the group has 20`,
    `${f}:37:26: blocks[1].miners[0].network.cidr: addresses 127.41.2.1–127.41.2.5 overlap blocks[0].miners[1] (127.41.2.1–127.41.2.10)`,
    `${f}:41:26: blocks[1].miners[1].network.cidr: 127.41.3.7/24 has host bits set (network is 127.41.3.0/24)`,
  ]);
});

test('power, firmware, cooling, import limit and debt dates', () => {
  const f = `${SITES}/bad-power.yaml`;
  assert.deepEqual(problems(f), [
    `${f}:8:18: site.importLimitMw: blocks in state ai total 3 MW, above importLimitMw 2`,
    // 30 × 3500 + 2 × 3441 + 5676 = 117,558 W; × 1.05 = 123,436 W
    `${f}:13:17: blocks[0].capacityMw: devices need 0.118 MW IT × overhead 1.05 = 0.123 MW, exceeding capacityMw 0.1 by 0.023 MW`,
    `${f}:25:19: blocks[0].miners[1].firmware: firmware luxos does not run on MicroBT WhatsMiner M60S (use whatsminer)`,
    `${f}:27:16: blocks[0].miners[2].model: Antminer S21 XP Hydro needs hydro cooling but the block is air`,
    `${f}:34:17: blocks[1].capacityMw: capacityMw 3 exceeds the site importLimitMw 2`,
    `${f}:56:19: debt[0].maturityDate: maturityDate 2025-01-01 is not after issueDate 2026-01-01`,
  ]);
});

const MINIMAL = MINIMAL_SITE_YAML;

test('unknown keys are rejected at every level, pointing at the key', () => {
  assert.deepEqual(problemsOf(`${MINIMAL}extras: { a: 1 }\n`), ['inline.yaml:15:1: extras: unknown key "extras"']);
  assert.deepEqual(problemsOf(MINIMAL.replace('  importLimitMw: 1', '  importLimitMw: 1\n  importLimitKw: 1000')), [
    'inline.yaml:7:3: site.importLimitKw: unknown key "importLimitKw"',
  ]);
});

test('a missing key is reported where its parent starts; an empty file is one error', () => {
  assert.deepEqual(problemsOf(MINIMAL.replace('    feed: T1\n', '')), ['inline.yaml:8:5: blocks[0].feed: missing required key "feed"']);
  assert.deepEqual(problemsOf(MINIMAL.replace('    capacityMw: 0.5', '    capacityMw:')), ['inline.yaml:11:5: blocks[0].capacityMw: must be number']);
  assert.deepEqual(problemsOf(''), ['inline.yaml:1:1: (root): must be object']);
});

test('oversubscribing the import with mining is a warning, not an error', () => {
  const text = MINIMAL.replace('capacityMw: 0.5', 'capacityMw: 0.8') + MINIMAL.slice(MINIMAL.indexOf('  - id: B1')).replace('B1', 'B2');
  const { site, warnings } = parseSiteWithWarnings(text, 'inline.yaml');
  assert.equal(site.blocks.length, 2);
  assert.deepEqual(warnings.map((w) => `${w.line}:${w.keyPath}: ${w.message}`), [
    '6:site.importLimitMw: block capacities total 1.3 MW, 1.3× importLimitMw 1: the scheduler must curtail to fit',
  ]);
});

test('a missing file is a SiteFileError naming the path', () => {
  assert.throws(() => loadSiteFile(`${SITES}/does-not-exist.yaml`), (e: unknown) => {
    assert.ok(e instanceof SiteFileError);
    assert.match(e.message, /does-not-exist\.yaml.*cannot read: ENOENT/);
    return true;
  });
});

test('validating writes nothing', () => {
  const dirs = [SITES, 'infra/sites', '.'];
  const snapshot = () => dirs.map((d) => readdirSync(d).map((n) => `${n}@${statSync(join(d, n)).mtimeMs}`).sort().join('|'));
  const before = snapshot();
  loadSiteFile(DEMO);
  loadSiteFile(SMALL);
  for (const n of readdirSync(SITES).filter((x) => x.startsWith('bad-'))) {
    assert.throws(() => loadSiteFile(join(SITES, n)), SiteFileError);
  }
  assert.deepEqual(snapshot(), before);
});
