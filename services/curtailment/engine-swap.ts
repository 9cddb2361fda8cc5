import type { Active } from './engine-types.ts';
import type { EngineHost } from './engine-restore.ts';
import { addTimeline } from './event-record.ts';
import { coveredWakes, planSwap, type SwapSleeper } from './shed-plan-fast.ts';
import type { ShedState } from './shed-state.ts';

/**
 * After a fast sleep plan is confirmed on the meter, the swap toward least-efficient-first
 * (shed-plan-fast.ts): the less efficient miners are slept first, and only once their acks
 * are in are the efficient sleepers they cover woken, so the shed never drops below what the
 * meter confirmed. One swap per event. The woken miners' wakes are restore rows in the
 * record: the event's restore does not wake them again. They stay the event's (the arbiter
 * releases per event), so no other event plans them until this one ends.
 */
export function beginSwap(h: EngineHost, a: Active, state: ShedState): void {
  if (a.swap !== undefined || a.plan === null) return;
  const sleepers: SwapSleeper[] = [];
  for (const d of a.shed.values()) {
    if (d.shedAction !== 'sleep' || d.efficiencyJPerTh === undefined || h.arbiter.ownerOf(d.deviceId) !== a.record.id) continue;
    const dropW = d.preEventW - d.currentW;
    if (Number.isFinite(dropW) && dropW > 0) sleepers.push({ deviceId: d.deviceId, blockId: d.blockId, dropW, efficiencyJPerTh: d.efficiencyJPerTh });
  }
  const swap = planSwap(sleepers, state);
  a.swap = { sleepIds: swap.sleeps.map((c) => c.deviceId), wakes: swap.wakes, woken: swap.sleeps.length === 0 };
  if (swap.sleeps.length === 0) return;
  const sleepW = -swap.sleeps.reduce((s, c) => s + c.expectedDeltaW, 0);
  const wakeW = swap.wakes.reduce((s, c) => s + c.expectedDeltaW, 0);
  a.plan = { ...a.plan, commands: [...a.plan.commands, ...swap.sleeps], expectedShedW: a.plan.expectedShedW + sleepW };
  h.arbiter.claim(a.record.id, a.control.priority, a.swap.sleepIds, { allowAi: a.record.allowAi });
  h.update(a, addTimeline(a.record, [{ kind: 'plan-made', atMs: h.now(), detail: `swap toward least efficient first: ${swap.sleeps.length} less efficient miners sleep (${(sleepW / 1e6).toFixed(3)} MW), then up to ${swap.wakes.length} efficient ones wake (${(wakeW / 1e6).toFixed(3)} MW) once those sleeps are acked` }]));
  h.o.log.info({ eventId: a.record.id, sleeps: swap.sleeps.length, wakes: swap.wakes.length }, 'meter confirmed: swapping the shed toward least efficient first');
  h.publishPlanInForce();
  h.dispatch(a, 'shed', swap.sleeps);
}

/** Called on each meter sample: once every swap sleep has its ack, wakes what they cover. */
export function advanceSwap(h: EngineHost, a: Active): void {
  const swap = a.swap;
  if (swap === undefined || swap.woken) return;
  const ids = new Set(swap.sleepIds);
  const latest = new Map<string, { outcome: string; expectedDeltaW: number }>();
  for (const d of a.record.devices) if (d.phase === 'shed' && ids.has(d.deviceId)) latest.set(d.deviceId, d);
  if ([...latest.values()].some((d) => d.outcome === 'pending')) return;
  swap.woken = true;
  const ackedW = [...latest.values()].filter((d) => d.outcome === 'acked').reduce((s, d) => s - d.expectedDeltaW, 0);
  const wakes = coveredWakes(swap.wakes, ackedW);
  if (wakes.length === 0 || a.plan === null) return;
  const woken = new Set(wakes.map((c) => c.deviceId));
  // Out of the plan in force, so an agent cut off later does not sleep them again on its own.
  a.plan = { ...a.plan, commands: a.plan.commands.filter((c) => !woken.has(c.deviceId)) };
  for (const id of woken) a.shed.delete(id);
  h.update(a, addTimeline(a.record, [{ kind: 'plan-made', atMs: h.now(), detail: `swap: ${(ackedW / 1e6).toFixed(3)} MW of less efficient miners asleep; waking ${wakes.length} efficient ones (${(wakes.reduce((s, c) => s + c.expectedDeltaW, 0) / 1e6).toFixed(3)} MW)` }]));
  h.publishPlanInForce();
  h.dispatch(a, 'restore', wakes);
}
