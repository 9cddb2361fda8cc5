import { aiRevenueUsd, blockMaxItMw, hours, marginalEnergyPriceUsdPerMwh, miningOptionMargins } from './economics.ts';
import type { Evaluation } from './evaluate.ts';
import type { AiBlock, DispatchInput, MiningBlock } from './input.ts';
import { fourCpCapMw } from './model.ts';
import { decisionAt, type BlockDecision, type BlockSchedule } from './schedule.ts';
import { isoMinute } from './words.ts';

/**
 * "Why is block B3 curtailed at 14:05?" For one block and interval: what each option would
 * have earned, what the plan chose, and the rule that decided it — economics when the
 * choice is simply the better margin, otherwise the constraint that overrode the margin.
 */

export type BindingRule =
  | 'economics'
  | 'restart-cost'
  | 'min-on-time'
  | 'min-off-time'
  | 'import-limit'
  | 'ramp-up-limit'
  | 'ramp-down-limit'
  | '4cp-window'
  | 'contract-floor'
  | 'sla';

export interface Explanation {
  blockId: string;
  interval: number;
  startMs: number;
  decision: BlockDecision;
  meterMw: number;
  priceUsdPerMwh: number;
  /** The energy price a MWh is really worth here (spot, or PPA resale value). */
  energyValueUsdPerMwh: number;
  options: { option: 'mine' | 'curtail' | 'ai' | 'ai-capped'; marginUsd: number }[];
  breakevenUsdPerMwh: number | null;
  binding: BindingRule;
  text: string;
}

const TOL = 1e-6;

export function explain(input: DispatchInput, schedules: readonly BlockSchedule[], ev: Evaluation, blockId: string, t: number): Explanation {
  const block = input.blocks.find((b) => b.id === blockId);
  if (!block) throw new RangeError(`no block "${blockId}" in the plan (blocks: ${input.blocks.slice(0, 10).map((b) => b.id).join(', ')}${input.blocks.length > 10 ? ', …' : ''})`);
  const iv = input.intervals[t];
  if (!iv) throw new RangeError(`interval ${t} is outside the plan (0–${input.intervals.length - 1})`);
  const s = schedules.find((x) => x.id === blockId)!;
  const load = ev.intervals[t]!.siteLoadMw;
  const energyValue = marginalEnergyPriceUsdPerMwh(iv, input, load);
  return block.kind === 'mining' ? explainMining(block, s, input, ev, t, energyValue) : explainAi(block, s, input, ev, t, energyValue);
}

function explainMining(b: MiningBlock, s: BlockSchedule, input: DispatchInput, ev: Evaluation, t: number, energyValue: number): Explanation {
  const iv = input.intervals[t]!;
  const m = miningOptionMargins(b, iv, input, energyValue);
  const decision = decisionAt(s, t, blockMaxItMw(b));
  const prefersMine = m.mineUsd > m.curtailUsd + TOL;
  const load = ev.intervals[t]!.siteLoadMw;
  const prevLoad = t > 0 ? ev.intervals[t - 1]!.siteLoadMw : input.site.initialLoadMw;
  const step = input.intervalMinutes;
  const atImport = load >= input.site.importLimitMw - TOL || (iv.fourCp === true && load >= fourCpCapMw(input) - TOL);
  const atRampUp = prevLoad !== undefined && input.site.rampUpMwPerMin !== undefined && load - prevLoad >= input.site.rampUpMwPerMin * step - TOL;
  const atRampDown = prevLoad !== undefined && input.site.rampDownMwPerMin !== undefined && prevLoad - load >= input.site.rampDownMwPerMin * step - TOL;
  const inState = t - stateStart(s, t, b);
  let binding: BindingRule = 'economics';
  if (decision === 'curtail') {
    if (iv.fourCp) binding = '4cp-window';
    else if (prefersMine) {
      if (inState < b.minOffIntervals) binding = 'min-off-time';
      else if (atImport) binding = 'import-limit';
      else if (atRampUp) binding = 'ramp-up-limit';
      else binding = 'restart-cost';
    }
  } else if (!prefersMine) {
    if (inState < b.minOnIntervals) binding = 'min-on-time';
    else if (atRampDown) binding = 'ramp-down-limit';
    else if (unprofitableStretch(b, input, ev, t) < b.minOffIntervals) binding = 'min-off-time';
    else binding = 'restart-cost';
  } else if (decision === 'mine-partial') {
    if (iv.fourCp && atImport) binding = '4cp-window';
    else if (atImport) binding = 'import-limit';
    else if (atRampUp) binding = 'ramp-up-limit';
  }
  const verb = { mine: 'mining at full power', 'mine-partial': `mining at ${round(s.itMw[t]!)} of ${round(blockMaxItMw(b))} IT MW`, curtail: 'curtailed' }[decision as 'mine' | 'mine-partial' | 'curtail'];
  const why = BECAUSE[binding];
  const text = `${b.id} at ${isoMinute(iv.startMs)} is ${verb}: mining would earn $${round(m.mineUsd)} and curtailing $${round(m.curtailUsd)} this interval at $${round(energyValue)}/MWh (breakeven $${round(m.breakevenUsdPerMwh)}/MWh); ${why}.`;
  return {
    blockId: b.id,
    interval: t,
    startMs: iv.startMs,
    decision,
    meterMw: (s.on[t] ? s.itMw[t]! : b.sleepItMw) * b.overheadFactor,
    priceUsdPerMwh: iv.priceUsdPerMwh,
    energyValueUsdPerMwh: energyValue,
    options: [{ option: 'mine', marginUsd: m.mineUsd }, { option: 'curtail', marginUsd: m.curtailUsd }],
    breakevenUsdPerMwh: m.breakevenUsdPerMwh,
    binding,
    text,
  };
}

function explainAi(b: AiBlock, s: BlockSchedule, input: DispatchInput, ev: Evaluation, t: number, energyValue: number): Explanation {
  const iv = input.intervals[t]!;
  const h = hours(input);
  const full = aiRevenueUsd(b, b.fullItMw, iv, input) - b.fullItMw * b.overheadFactor * energyValue * h;
  const capped = aiRevenueUsd(b, b.floorItMw, iv, input) - b.floorItMw * b.overheadFactor * energyValue * h;
  const decision = decisionAt(s, t, b.fullItMw);
  const load = ev.intervals[t]!.siteLoadMw;
  let binding: BindingRule = 'economics';
  if (decision === 'ai-capped') binding = capped > full + TOL ? 'contract-floor' : load >= input.site.importLimitMw - TOL ? 'import-limit' : 'contract-floor';
  else if (capped > full + TOL) binding = 'sla';
  const text = `${b.id} at ${isoMinute(iv.startMs)} serves contract ${b.contractId} at ${round(s.itMw[t]!)} of ${round(b.fullItMw)} IT MW: full load earns $${round(full)}, capped to the contract floor $${round(capped)} at $${round(energyValue)}/MWh; ${BECAUSE[binding]}.`;
  return {
    blockId: b.id,
    interval: t,
    startMs: iv.startMs,
    decision,
    meterMw: s.itMw[t]! * b.overheadFactor,
    priceUsdPerMwh: iv.priceUsdPerMwh,
    energyValueUsdPerMwh: energyValue,
    options: [{ option: 'ai', marginUsd: full }, { option: 'ai-capped', marginUsd: capped }],
    breakevenUsdPerMwh: null,
    binding,
    text,
  };
}

const BECAUSE: Record<BindingRule, string> = {
  economics: 'the plan takes the better margin',
  'restart-cost': 'switching for so short a window would not repay the restart cost',
  'min-on-time': 'the block started recently and must run its minimum on time',
  'min-off-time': 'stopping would hold the block off for its minimum off time, through hours that pay',
  'import-limit': 'the site is at its import limit',
  'ramp-up-limit': 'the site load is rising as fast as the ramp-up limit allows',
  'ramp-down-limit': 'the site load is falling as fast as the ramp-down limit allows',
  '4cp-window': 'this is a 4CP peak-risk interval and the site holds its load at the 4CP cap',
  'contract-floor': "the contract's flexibility allows no deeper cap",
  sla: "the contract (SLA) requires full service here: its allowance of capped intervals is spent on costlier ones, or it has none",
};

/** Length of the run of intervals around t in which curtailing beats mining at full power. */
function unprofitableStretch(b: MiningBlock, input: DispatchInput, ev: Evaluation, t: number): number {
  const worse = (k: number) => {
    const iv = input.intervals[k]!;
    const m = miningOptionMargins(b, iv, input, marginalEnergyPriceUsdPerMwh(iv, input, ev.intervals[k]!.siteLoadMw));
    return m.mineUsd <= m.curtailUsd + TOL;
  };
  let from = t;
  let to = t;
  while (from > 0 && worse(from - 1)) from--;
  while (to + 1 < input.intervals.length && worse(to + 1)) to++;
  return to - from + 1;
}

/** Interval at which the block's state at t began (negative: before the plan started). */
function stateStart(s: BlockSchedule, t: number, b: MiningBlock): number {
  for (let k = t; k > 0; k--) if (s.on[k] !== s.on[k - 1]) return k;
  if (s.on[0] !== b.initial.on) return 0;
  return -b.initial.intervalsInState;
}

function round(x: number): number {
  return Number(x.toFixed(2));
}
