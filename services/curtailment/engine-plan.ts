import type { EventRecord } from './event-record.ts';
import type { HardCutSite } from './hard-cut-site.ts';
import { planHardCut, replanHardCut } from './shed-plan-hard.ts';
import { planShed, replan, type Replan, type ShedPlan, type ShedRequest } from './shed-plan.ts';
import type { ShedState } from './shed-state.ts';

/**
 * The engine's choice of shed plan for an event: its program decides (programs.ts) — a hard
 * cut through PDUs and relays (shed-plan-hard.ts) or sleeps (shed-plan.ts). Either way the
 * miners behind an outlet or coil that an event holds (`owned`) are not planned again.
 */
export function planFor(
  site: HardCutSite,
  record: Pick<EventRecord, 'program' | 'allowHardCut'>,
  request: ShedRequest,
  state: ShedState,
  owned: ReadonlySet<string>,
  /** The engine's sleep planner (its sleepPlan order). */
  sleeps: (request: ShedRequest, state: ShedState) => ShedPlan = planShed,
): ShedPlan {
  const free = withoutCut(site, state, owned);
  if (site.modeOf(record.program, record.allowHardCut) === 'sleep') return sleeps(request, free);
  return planHardCut(request, free, site.channels, owned);
}

export function replanFor(site: HardCutSite, record: Pick<EventRecord, 'program' | 'allowHardCut'>, plan: ShedPlan, failed: readonly string[], state: ShedState): Replan {
  if (site.modeOf(record.program, record.allowHardCut) === 'sleep' && !plan.commands.some((c) => c.action === 'power-off')) return replan(plan, failed, state);
  const commanded = new Set(plan.commands.filter((c) => c.action === 'power-off' && !failed.includes(c.deviceId)).map((c) => c.deviceId));
  return replanHardCut(plan, failed, withoutCut(site, state, commanded), site.channels);
}

function withoutCut(site: HardCutSite, state: ShedState, owned: ReadonlySet<string>): ShedState {
  if (!site.any) return state;
  const behind = site.minersBehind([...owned].filter((id) => site.isChannel(id)));
  return behind.size === 0 ? state : { ...state, miners: state.miners.filter((m) => !behind.has(m.id)) };
}
