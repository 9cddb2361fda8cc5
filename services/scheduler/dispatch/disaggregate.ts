import type { MiningClass } from './classes.ts';
import { blockBaseItMw } from './economics.ts';
import type { BlockSchedule } from './schedule.ts';

/**
 * Turns a class's running count per interval into per-block schedules. Starts go to the
 * blocks that have been off longest, stops to those on longest — first in, first out, which
 * keeps every block within its own minimum on/off times whenever the aggregated rows hold.
 * Running blocks share the class's extra power equally (each stays within its own range).
 */
export function disaggregateClass(c: MiningClass, onCount: readonly number[], extraItMw: readonly number[]): BlockSchedule[] {
  const T = onCount.length;
  const b = c.template;
  const base = blockBaseItMw(b);
  const states = c.blockIds.map((id) => ({ id, on: b.initial.on, changedAt: -b.initial.intervalsInState, sched: { id, kind: 'mining' as const, on: new Array<boolean>(T), itMw: new Array<number>(T) } }));
  for (let t = 0; t < T; t++) {
    const want = onCount[t]!;
    const running = states.filter((s) => s.on);
    if (want > running.length) {
      const idle = states.filter((s) => !s.on).sort((x, y) => x.changedAt - y.changedAt);
      for (const s of idle.slice(0, want - running.length)) {
        s.on = true;
        s.changedAt = t;
      }
    } else if (want < running.length) {
      running.sort((x, y) => x.changedAt - y.changedAt);
      for (const s of running.slice(0, running.length - want)) {
        s.on = false;
        s.changedAt = t;
      }
    }
    const share = want > 0 ? extraItMw[t]! / want : 0;
    for (const s of states) {
      s.sched.on[t] = s.on;
      s.sched.itMw[t] = s.on ? base + share : 0;
    }
  }
  return states.map((s) => s.sched);
}
