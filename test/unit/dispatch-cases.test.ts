import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { check } from '../../services/domain/schema.ts';
import { explain } from '../../services/scheduler/dispatch/explain.ts';
import { greedyDispatch } from '../../services/scheduler/dispatch/greedy.ts';
import { DispatchInput } from '../../services/scheduler/dispatch/input.ts';
import { solveDispatch } from '../../services/scheduler/dispatch/plan.ts';

/** The hand-checked cases in test/support/dispatch-cases: the optimiser must find what was worked out on paper. */

const dir = new URL('../support/dispatch-cases/', import.meta.url).pathname;

interface Case {
  why: string;
  input: unknown;
  expect: {
    marginUsd?: number;
    on?: Record<string, string>;
    itMw?: Record<string, number[]>;
    explain?: { block: string; interval: number; decision: string; binding: string };
    error?: string[];
  };
}

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);

describe('dispatch: hand-checked cases', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    it(file, async () => {
      const c = parse(readFileSync(join(dir, file), 'utf8')) as Case;
      const input = check(DispatchInput, c.input, file);
      if (c.expect.error) {
        await assert.rejects(solveDispatch(input, { timeLimitS: 10 }), (err: Error) => {
          for (const words of c.expect.error!) assert.ok(err.message.includes(words), `error "${err.message}" lacks "${words}"`);
          return true;
        });
        return;
      }
      const plan = await solveDispatch(input, { timeLimitS: 10 });
      assert.equal(plan.status, 'optimal');
      assert.deepEqual(plan.evaluation.violations, []);
      close(plan.evaluation.totals.marginUsd, c.expect.marginUsd!, 'margin');
      close(plan.solverObjectiveUsd!, plan.evaluation.totals.marginUsd, 'solver objective vs evaluation');
      for (const [id, pattern] of Object.entries(c.expect.on ?? {})) {
        const s = plan.schedules.find((x) => x.id === id)!;
        assert.equal(s.on.map((on) => (on ? '1' : '0')).join(''), pattern, `block ${id} on/off`);
      }
      for (const [id, mw] of Object.entries(c.expect.itMw ?? {})) {
        const s = plan.schedules.find((x) => x.id === id)!;
        mw.forEach((x, t) => close(s.itMw[t]!, x, `block ${id} IT MW at ${t}`));
      }
      if (c.expect.explain) {
        const e = explain(input, plan.schedules, plan.evaluation, c.expect.explain.block, c.expect.explain.interval);
        assert.equal(e.decision, c.expect.explain.decision, e.text);
        assert.equal(e.binding, c.expect.explain.binding, e.text);
      }
      // The greedy baseline is feasible and never beats the optimum.
      const greedy = greedyDispatch(input);
      assert.deepEqual(greedy.evaluation.violations, []);
      assert.ok(greedy.evaluation.totals.marginUsd <= plan.evaluation.totals.marginUsd + 1e-6, `greedy ${greedy.evaluation.totals.marginUsd} beats optimum ${plan.evaluation.totals.marginUsd}`);
    });
  }
});
