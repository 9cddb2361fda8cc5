import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { parse, stringify } from 'yaml';
import { check } from '../../services/domain/schema.ts';
import { parseSite } from '../../services/domain/load-site.ts';
import { Strict } from '../../services/lib/strict.ts';
import { allocate } from '../../services/scheduler/strategic/allocate.ts';
import { checkOffers } from '../../services/scheduler/strategic/load-offers.ts';

/**
 * Hand-checked allocation cases: each test/support/strategic/<case>.yaml carries a site
 * (a shared site file plus the case's debt), the offers input, and the answer worked out on
 * paper in its comments. Every case file in the folder runs here.
 */

const DIR = new URL('../support/strategic/', import.meta.url);
const Decisions = Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]));
const Expected = Strict({
  decisions: Decisions,
  greedy: Type.Optional(Decisions),
  incrementalNpvUsd: Type.Optional(Type.Record(Type.String(), Type.Number())),
  paybackMonth: Type.Optional(Type.Record(Type.String(), Type.Integer())),
  siteNpvUsd: Type.Number(),
  allMiningNpvUsd: Type.Number(),
  /** Month → USD short for the chosen plan ({} = none). */
  shortfall: Type.Optional(Type.Record(Type.String(), Type.Number())),
  greedyShortfall: Type.Optional(Type.Record(Type.String(), Type.Number())),
  everyMonthShortUsd: Type.Optional(Type.Number()),
  minDscr: Type.Optional(Type.Number()),
  /** Block → text its explanation must contain. */
  why: Type.Optional(Type.Record(Type.String(), Type.String())),
});
const CaseFile = Strict({
  description: Type.String(),
  site: Type.String(),
  debt: Type.Optional(Type.Array(Type.Unknown())),
  allocation: Type.Unknown(),
  expected: Expected,
});
type CaseFile = Static<typeof CaseFile>;

function near(actual: number, expected: number, what: string, tol = 0.01): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected}, got ${actual}`);
}

const cases = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && !f.startsWith('site-'));

test('the case folder holds the hand-checked cases', () => {
  for (const name of ['convert-wins', 'mining-wins', 'coverage-binds', 'offer-max', 'offer-min', 'uncoverable']) {
    assert.ok(cases.includes(`${name}.yaml`), `${name}.yaml`);
  }
});

for (const file of cases) {
  test(`allocation case ${file}`, async () => {
    const c: CaseFile = check(CaseFile, parse(readFileSync(new URL(file, DIR), 'utf8')), file);
    const siteDoc = parse(readFileSync(new URL(c.site, DIR), 'utf8')) as Record<string, unknown>;
    if (c.debt) siteDoc.debt = c.debt;
    const site = parseSite(stringify(siteDoc), `${c.site} with ${file}'s debt`);
    const r = await allocate(site, checkOffers(c.allocation, `${file} allocation`));
    const e = c.expected;

    assert.equal(r.solver.status, 'optimal', `${file}: ${c.description}`);
    assert.deepEqual(Object.fromEntries(r.decisions.map((d) => [d.blockId, d.offerId])), e.decisions, `${file}: decisions`);
    if (e.greedy) assert.deepEqual(Object.fromEntries(r.greedy.decisions.map((d) => [d.blockId, d.offerId])), e.greedy, `${file}: greedy`);
    for (const [block, npv] of Object.entries(e.incrementalNpvUsd ?? {})) {
      const d = r.decisions.find((x) => x.blockId === block)!;
      near(d.options[0]!.incrementalNpvUsd, npv, `${file} ${block} ΔNPV`);
      if (d.offerId) near(d.incrementalNpvUsd, npv, `${file} ${block} decision ΔNPV`);
    }
    for (const [block, month] of Object.entries(e.paybackMonth ?? {})) {
      assert.equal(r.decisions.find((x) => x.blockId === block)!.options[0]!.paybackMonth, month, `${file} ${block} payback`);
    }
    near(r.plan.siteNpvUsd, e.siteNpvUsd, `${file} site NPV`);
    near(r.allMining.siteNpvUsd, e.allMiningNpvUsd, `${file} all-mining NPV`);
    // The solver's objective and the evaluator's agree: the LP encodes what the report shows.
    near(r.solver.objectiveUsd!, r.plan.objectiveUsd, `${file} solver objective vs evaluated`, 1 + 1e-9 * Math.abs(r.plan.objectiveUsd));
    if (e.shortfall) assert.deepEqual(shortMap(r.plan.shortfallMonths), e.shortfall, `${file}: plan shortfall`);
    if (e.greedyShortfall) assert.deepEqual(shortMap(r.greedy.shortfallMonths), e.greedyShortfall, `${file}: greedy shortfall`);
    if (e.everyMonthShortUsd !== undefined) {
      assert.equal(r.plan.shortfallMonths.length, r.horizonMonths, `${file}: every month short`);
      for (const s of r.plan.shortfallMonths) near(s.shortUsd, e.everyMonthShortUsd, `${file} short ${s.month}`);
    }
    if (e.minDscr !== undefined) near(r.plan.minDscr!, e.minDscr, `${file} min DSCR`, 1e-9);
    for (const [block, text] of Object.entries(e.why ?? {})) {
      const why = r.decisions.find((x) => x.blockId === block)!.why;
      assert.ok(why.includes(text), `${file} ${block}: "${why}" should say "${text}"`);
    }
  });
}

function shortMap(months: readonly { month: string; shortUsd: number }[]): Record<string, number> {
  return Object.fromEntries(months.map((m) => [m.month, Math.round(m.shortUsd * 100) / 100]));
}
