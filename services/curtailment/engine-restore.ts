import type { DeviceCommand } from '../agent-contract/device-command.ts';
import type { AsicModel } from '../domain/catalog.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Arbiter } from './arbitration.ts';
import type { Active, EngineOptions } from './engine-types.ts';
import { addTimeline, logCommands, recordAcks, transition, type EventRecord } from './event-record.ts';
import { NOT_RESTORABLE, shedRows, toPutBack, unrestored, type ShedRow } from './record-devices.ts';
import { mergeRestorePlans, planPowerOn, planRestore } from './restore-plan.ts';
import type { HardCutSite } from './hard-cut-site.ts';
import { commandFromRow, shedDeviceFromRow } from './shed-device.ts';

/**
 * Restore driving: an event's end (or abort) puts back every device its record shows shed, in
 * ramp-limited waves, round after round until each has an acked restore or a failure with a
 * reason. Only then may the event close. The engine is the host: these functions use its
 * store, arbiter and queue through EngineHost.
 */

export interface EngineHost {
  readonly o: EngineOptions;
  readonly arbiter: Arbiter;
  now(): number;
  modelOf(deviceId: string): AsicModel | undefined;
  update(a: Active, record: EventRecord): void;
  flush(a: Active): void;
  finish(a: Active): void;
  dispatch(a: Active, phase: 'shed' | 'restore', commands: readonly DeviceCommand[], via?: 'queue' | 'now'): void;
  publishPlanInForce(): void;
  /** The site's PDUs and relays (hard cuts). */
  readonly hardCut: HardCutSite;
  /** Whether the device has reported online at or after `sinceMs` (a miner back after a power-on). */
  backSince(deviceId: string, sinceMs: number): boolean;
}


export function startRestore(h: EngineHost, a: Active, aborted: boolean): void {
  if (a.waves) return;
  // Not while shed commands are still out: their devices may be asleep and must be put back
  // (the supervisor calls again; a batch without acks counts as failed at its deadline).
  if ([...a.batches.values()].some((b) => b.phase === 'shed' && b.ackedAtMs === null)) return;
  // Right after a restart no agent may be connected yet: wait for one (up to agentWaitMs)
  // rather than count every device as unroutable.
  if (h.o.hub.connectedAgents().length === 0) {
    a.noAgentSinceMs ??= h.now();
    if (h.now() - a.noAgentSinceMs < (h.o.agentWaitMs ?? 60_000)) return;
  }
  if (!aborted) {
    if (a.record.status === 'shedding' || a.record.status === 'meter-confirmed') h.update(a, transition(a.record, 'restoring', h.now()));
    else if (a.record.status !== 'restoring') return;
  }
  restoreRound(h, a, aborted);
}

/**
 * Plans and queues one restore round: every device the record shows shed and not put back
 * (acked, pending or failed — a timed-out sleep may have landed), and devices adopted from
 * lower-priority events. The plan is made before any device is released and never throws; a
 * device it cannot plan gets a failed restore row with the reason.
 */
function restoreRound(h: EngineHost, a: Active, aborted: boolean): void {
  const now = h.now();
  // Failed restores are retried too (a restart marks its pending commands failed).
  const fromRecord = toPutBack(a.record, true).map((r) => shedDeviceFromRow(r.shed, h.modelOf(r.shed.deviceId), r.shed.ackAtMs ?? r.shed.sentAtMs));
  const inRecord = new Set(fromRecord.map((d) => d.deviceId));
  const adopted = [...a.shed.values()].filter((d) => !inRecord.has(d.deviceId));
  const r = h.o.restore ?? { rampMwPerMin: 20, staggerMs: 2000, minOffMs: 60_000 };
  const startMs = now + (a.restoreRounds > 0 ? (h.o.restoreRetryMs ?? 5000) : 0);
  const all = [...fromRecord, ...adopted];
  const minOffMs = aborted || a.restoreRounds > 0 ? 0 : r.minOffMs;
  // Outlets and coils a hard cut opened close within their breakers' inrush limits; slept and
  // trimmed miners wake on the ramp. (Each plan pays the ramp on its own; an event holds both
  // only when a hard cut fell back to sleeps.)
  const cuts = all.filter((d) => d.shedAction === 'power-off').map((d) => h.hardCut.poweredOff(d));
  const rest = all.filter((d) => d.shedAction !== 'power-off');
  const plan = mergeRestorePlans(
    planRestore(rest, { nowMs: startMs, rampMwPerMin: r.rampMwPerMin, staggerMs: r.staggerMs, minOffMs }),
    planPowerOn(cuts, { nowMs: startMs, limits: h.hardCut.limits, minOffMs, rampMwPerMin: r.rampMwPerMin }),
  );
  a.restoreRounds++;
  h.arbiter.release(a.record.id);
  // A device another event owns now (it adopted it) stays off: that event restores it.
  const mine = (id: string) => {
    const owner = h.arbiter.ownerOf(id);
    return owner === undefined || owner === a.record.id;
  };
  a.waves = plan.waves
    .map((w) => ({ atMs: w.atMs, commands: w.commands.filter((c) => mine(c.deviceId)), sent: false }))
    .filter((w) => w.commands.length > 0);
  if (plan.fallbacks.length) {
    h.update(a, addTimeline(a.record, [{ kind: 'restore-start', atMs: now, detail: `restore fallbacks: ${plan.fallbacks.slice(0, 20).map((f) => `${f.deviceId}: ${f.reason}`).join('; ')}${plan.fallbacks.length > 20 ? ` (+${plan.fallbacks.length - 20} more)` : ''}` }]));
    h.o.log.warn({ eventId: a.record.id, devices: plan.fallbacks.length, first: plan.fallbacks[0] }, 'restoring some devices on a fallback');
  }
  const cannot = plan.unplanned.filter((u) => mine(u.deviceId));
  if (cannot.length) {
    const ids = new Set(cannot.map((u) => u.deviceId));
    const rows = [...shedRows(a.record).values()].filter((x) => ids.has(x.shed.deviceId));
    let record = logCommands(a.record, 'restore', rows.map((x) => ({ ...commandFromRow(x.shed), expectedDeltaW: 0 })), now);
    record = recordAcks(record, cannot.map((u) => ({ deviceId: u.deviceId, atMs: now, ok: false, error: `${NOT_RESTORABLE}${u.reason}` })));
    h.update(a, record);
    h.o.log.error({ eventId: a.record.id, devices: cannot.length, first: cannot[0] }, 'some shed devices cannot be restored automatically; recorded as failed');
  }
  h.publishPlanInForce();
  h.o.log.info({ eventId: a.record.id, round: a.restoreRounds, devices: a.waves.reduce((n, w) => n + w.commands.length, 0), waves: a.waves.length, finishMs: plan.finishMs }, aborted ? 'putting back what the aborted event shed' : 'restoring');
  if (a.waves.length === 0) {
    completeRestore(h, a);
    return;
  }
  const round = a.restoreRounds;
  a.waves.forEach((w, i) => {
    void h.o.queue.add('restore-wave', { kind: 'restore-wave', eventId: a.record.id, wave: i, round }, { jobId: `${a.record.id}.r${round}.wave.${i}`, delayMs: Math.max(0, w.atMs - now) }).catch((err: unknown) => h.o.log.warn({ err: errorMessage(err), eventId: a.record.id }, 'queueing a restore wave failed; the supervisor will send it'));
  });
  h.flush(a);
}

export function sendWave(h: EngineHost, a: Active, i: number, round = a.restoreRounds): void {
  const w = a.waves?.[i];
  // A wave job of an earlier round must not send this round's wave before its time.
  if (!w || w.sent || w.deferred || round !== a.restoreRounds) return;
  // A wave sent late (a busy queue) must not bring an actuator's next step in sooner than its
  // inrush interval after the last one really sent: it waits for the rest.
  const now = h.now();
  let waitMs = 0;
  const actuators = new Set<string>();
  for (const c of w.commands) {
    if (c.action !== 'power-on') continue;
    const act = h.hardCut.actuatorOf(c.deviceId);
    if (act === undefined) continue;
    actuators.add(act);
    const last = a.lastPowerOnMs?.get(act);
    const limit = h.hardCut.limits.get(act);
    if (last !== undefined && limit !== undefined) waitMs = Math.max(waitMs, last + limit.stepIntervalMs - now);
  }
  if (waitMs > 0) {
    w.deferred = true;
    setTimeout(() => {
      w.deferred = false;
      sendWave(h, a, i, round);
    }, waitMs).unref();
    return;
  }
  a.lastPowerOnMs ??= new Map();
  for (const act of actuators) a.lastPowerOnMs.set(act, now);
  w.sent = true;
  h.dispatch(a, 'restore', w.commands, 'now');
}

export function completeRestore(h: EngineHost, a: Active): void {
  // The event may not close while a device it shed is not back (or failed with a reason):
  // a failed restore, or a shed ack that came late, gets another round.
  const free = (r: ShedRow) => h.arbiter.ownerOf(r.shed.deviceId) === undefined;
  const left = toPutBack(a.record, true).filter(free);
  if (left.length && a.restoreRounds < (h.o.restoreRounds ?? 3)) {
    h.o.log.warn({ eventId: a.record.id, devices: left.length, round: a.restoreRounds + 1 }, 'shed devices not back yet: another restore round');
    a.waves = null;
    a.bootWaitSinceMs = undefined;
    restoreRound(h, a, true);
    return;
  }
  if (!minersBackAfterPowerOn(h, a)) return;
  const stuck = unrestored(a.record).filter(free);
  if (stuck.length) {
    // Past the last round nothing is pending (every command has an ack or a deadline), so
    // these were shed after the last round was planned: say so in the record, not silently.
    const now = h.now();
    let record = logCommands(a.record, 'restore', stuck.map((x) => ({ ...commandFromRow(x.shed), expectedDeltaW: 0 })), now);
    record = recordAcks(record, stuck.map((x) => ({ deviceId: x.shed.deviceId, atMs: now, ok: false, error: `${NOT_RESTORABLE}still shed after ${a.restoreRounds} restore rounds` })));
    h.update(a, record);
    h.o.log.error({ eventId: a.record.id, devices: stuck.length }, 'shed devices still not back after the last restore round');
  }
  if (a.record.status === 'restoring') h.update(a, transition(a.record, 'done', h.now()));
  else h.update(a, addTimeline(a.record, [{ kind: 'restore-end', atMs: h.now() }]));
  h.o.log.info({ eventId: a.record.id, status: a.record.status }, 'curtailment event closed');
  h.finish(a);
}

/**
 * After a power-on the outlet's ack says only that it switched: the miners behind it must
 * boot and report again. Waits (the supervisor calls again) until every miner behind an
 * acked power-on has reported online since, or `bootCheckMs` (default 3 min) has passed; then
 * notes in the record which ones did not come back. True when the event may close.
 */
function minersBackAfterPowerOn(h: EngineHost, a: Active): boolean {
  const poweredOn = a.record.devices.filter((d) => d.phase === 'restore' && d.action === 'power-on' && d.outcome === 'acked');
  if (poweredOn.length === 0) return true;
  const missing: string[] = [];
  for (const row of poweredOn) for (const m of h.hardCut.minersOf(row.deviceId)) if (!h.backSince(m, row.ackAtMs ?? row.sentAtMs)) missing.push(m);
  const now = h.now();
  if (missing.length === 0) {
    if (a.bootWaitSinceMs !== undefined) h.update(a, addTimeline(a.record, [{ kind: 'ack', atMs: now, detail: `every miner behind the ${poweredOn.length} outlets and coils powered on reports again` }]));
    a.bootWaitSinceMs = undefined;
    return true;
  }
  a.bootWaitSinceMs ??= now;
  if (now - a.bootWaitSinceMs < (h.o.bootCheckMs ?? 180_000)) return false;
  h.update(a, addTimeline(a.record, [{ kind: 'failed', atMs: now, detail: `${missing.length} miners behind powered-on outlets or coils did not report within ${Math.round((h.o.bootCheckMs ?? 180_000) / 1000)} s: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ` (+${missing.length - 20} more)` : ''}` }]));
  h.o.log.error({ eventId: a.record.id, miners: missing.length, first: missing[0] }, 'miners behind powered-on outlets or coils did not come back');
  a.bootWaitSinceMs = undefined;
  return true;
}
