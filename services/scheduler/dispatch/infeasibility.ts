import { ContextError } from '../../lib/errors.ts';
import type { MiningClass } from './classes.ts';
import type { DispatchInput } from './input.ts';
import { isoMinute, mw3 } from './words.ts';

/**
 * Why a plan cannot exist, in an operator's words. Cheap checks run before the solver so the
 * common mistakes are named directly; anything subtler is traced from HiGHS's irreducible
 * infeasible subset, whose row names (model.ts) map back to rules and times.
 */

export class InfeasiblePlanError extends ContextError {
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super('E_PLAN_INFEASIBLE', `no plan can meet every constraint: ${reasons.join('; ')}`);
    this.name = 'InfeasiblePlanError';
    this.reasons = reasons;
  }
}

/** Rules a plan must meet whatever it does: AI contracts at their floor plus sleeping miners. */
export function precheck(input: DispatchInput): string[] {
  const reasons: string[] = [];
  let committed = 0;
  const parts: string[] = [];
  for (const b of input.blocks) {
    // An AI block sits at its floor only while its capped-interval allowance lasts.
    const aiIt = b.kind === 'ai' ? (b.maxCappedIntervals >= input.intervals.length ? b.floorItMw : b.fullItMw) : 0;
    const mw = b.kind === 'ai' ? aiIt * b.overheadFactor : b.sleepItMw * b.overheadFactor;
    if (b.kind === 'ai') parts.push(`${b.id} ${mw3(mw)} MW (contract ${b.contractId})`);
    if (b.kind === 'ai' && b.floorItMw > b.fullItMw) reasons.push(`block ${b.id}: contract floor ${b.floorItMw} IT MW above its full load ${b.fullItMw}`);
    committed += mw;
  }
  if (committed > input.site.importLimitMw + 1e-9) {
    reasons.push(`site import limit ${input.site.importLimitMw} MW is below the load the AI contracts' SLAs require with every miner asleep (${mw3(committed)} MW: ${parts.join(', ') || 'sleep load only'})`);
  }
  if (input.site.fourCpCapMw !== undefined && input.intervals.some((iv) => iv.fourCp) && committed > input.site.fourCpCapMw + 1e-9) {
    reasons.push(`4CP cap ${input.site.fourCpCapMw} MW is below the SLA-committed load of ${mw3(committed)} MW`);
  }
  const starts = input.intervals.map((iv) => iv.startMs);
  for (let i = 1; i < starts.length; i++) {
    if (starts[i]! - starts[i - 1]! !== input.intervalMinutes * 60_000) {
      reasons.push(`intervals must be contiguous ${input.intervalMinutes}-minute steps: interval ${i} starts at ${new Date(starts[i]!).toISOString()}, ${new Date(starts[i - 1]!).toISOString()} + ${input.intervalMinutes} min expected`);
      break;
    }
  }
  return reasons;
}

const RULES: Record<string, string> = {
  imp: 'site import limit',
  fcp: '4CP cap',
  rup: 'ramp-up limit',
  rdn: 'ramp-down limit',
  mup: 'minimum on time',
  mupi: 'minimum on time carried over from before the plan',
  mdn: 'minimum off time',
  mdni: 'minimum off time carried over from before the plan',
  rng: "miners' allowed power range",
  bal: 'block state continuity',
  load: 'site load balance',
  ppa: 'PPA volume balance',
};

/** Describes IIS rows, e.g. "ramp-down limit at 2021-02-15T06:00Z" (first few of each rule). */
export function describeIis(rows: readonly string[], input: DispatchInput, classes: readonly MiningClass[]): string[] {
  const byRule = new Map<string, string[]>();
  for (const row of rows) {
    const parts = row.split('_');
    const rule = parts[0]!;
    const t = Number(parts[parts.length - 1]);
    const when = Number.isInteger(t) && input.intervals[t] ? isoMinute(input.intervals[t]!.startMs) : '?';
    const cls = ['mup', 'mupi', 'mdn', 'mdni', 'rng', 'bal'].includes(rule) ? classes[Number(parts[1])] : undefined;
    const who = cls ? ` for blocks ${cls.blockIds.slice(0, 3).join(', ')}${cls.blockIds.length > 3 ? '…' : ''}` : '';
    const list = byRule.get(rule) ?? [];
    list.push(`${when}${who}`);
    byRule.set(rule, list);
  }
  const out: string[] = [];
  for (const [rule, whens] of byRule) {
    if (rule === 'load' || rule === 'bal' || rule === 'ppa') continue; // identities, not choices
    out.push(`${RULES[rule] ?? rule} at ${whens.slice(0, 3).join(', ')}${whens.length > 3 ? ` and ${whens.length - 3} more` : ''}`);
  }
  return out.length ? out : ['the solver proved the model infeasible but named no rule (report this with the input)'];
}
