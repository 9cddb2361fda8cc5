import type { ShedPlan } from './shed-plan.ts';
import type { CurtailSignal } from './signal.ts';

/**
 * An unreachable target (issue 10, item 8): the AI halls alone drew ~47 MW and an operator
 * asked for 20; every miner slept and the event stayed `shedding` for ever. When a plan
 * cannot cover the need, the site's floor (its load less everything the plan sheds) is said
 * up front — in the preview and in the event — and the event holds there. Pure.
 */

/** Below a kilowatt a shortfall is rounding, not an unreachable target. */
const FLOOR_EPSILON_W = 1_000;

/**
 * The load the site can get down to when the plan cannot cover the target (every sheddable
 * device in it), with the reason in words; undefined when the target is reachable.
 */
export function floorOf(target: CurtailSignal['target'], plan: ShedPlan, loadW: number, allowAi: boolean): { floorW: number; reason: string } | undefined {
  if (!(plan.shortfallW > FLOOR_EPSILON_W)) return undefined;
  const floorW = Math.max(0, loadW - plan.expectedShedW);
  const asked = 'targetMw' in target ? `target ${target.targetMw.toFixed(3)} MW` : `shed of ${target.shedMw.toFixed(3)} MW`;
  const ai = allowAi ? 'AI load capped only as far as its contracts allow' : 'AI load is not curtailed by this event';
  return {
    floorW,
    reason: `the ${asked} is beyond what the site can reach: with every sheddable device in the plan (${ai}; offline devices and those other events hold are not counted) the site's floor is about ${(floorW / 1e6).toFixed(3)} MW, ${(plan.shortfallW / 1e6).toFixed(3)} MW short; the event holds at the floor`,
  };
}
