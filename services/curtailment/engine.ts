import { randomUUID } from 'node:crypto';
import type { AckBatch, CommandBatch, DeviceAck as AgentAck, LocalShedReport } from '../agent-contract/protocol.ts';
import { asicCatalog, type AsicModel } from '../domain/catalog.ts';
import { minerDevices } from '../domain/devices.ts';
import { errorMessage } from '../lib/errors.ts';
import { Arbiter } from './arbitration.ts';
import type { DeviceCommand } from '../agent-contract/device-command.ts';
import {
  addMeterSamples,
  addTimeline,
  logCommands,
  newEventRecord,
  recordAcks,
  signalAtMs,
  transition,
  type EventRecord,
  type EventStatus,
  type MeterSample,
} from './event-record.ts';
import { LeaseLostError, type EventControl, type EventRecords, type EventSummary } from './event-store.ts';
import { LiveShedState } from './live-shed-state.ts';
import { DEFAULT_PRIORITY } from './programs.ts';
import { shedDeviceFromRow } from './shed-device.ts';
import { boundWindow, DEFAULT_TIME_BOUNDS, TimeBoundsError, timeBoundsFromEnv, type TimeBounds } from './time-bounds.ts';
import { replan, type ShedPlan } from './shed-plan.ts';
import { planFor, replanFor } from './engine-plan.ts';
import { HardCutSite } from './hard-cut-site.ts';
import type { CurtailmentPort, CurtailSignal } from './signal.ts';

import { completeRestore, sendWave, startRestore, type EngineHost } from './engine-restore.ts';
import { EngineError, freshActive, TERMINAL, type Active, type CurtailJob, type EngineOptions } from './engine-types.ts';
import { floorOf } from './floor.ts';
import { RestoreHold } from './hysteresis.ts';
import { resumeActive } from './engine-resume.ts';
import { adoptRows, restoreSettled, shedRows } from './record-devices.ts';
import { MeterBaseline } from './baseline.ts';
import { planSleeps } from './shed-plan-fast.ts';
import { advanceSwap, beginSwap } from './engine-swap.ts';

export { EngineError, type CurtailJob, type EngineOptions } from './engine-types.ts';
export { floorOf } from './floor.ts';

const PLAN_PUBLISH_MS = 250;

/**
 * The curtailment engine: turns signals into events and carries each one through its life —
 * plan, shed through the agents, confirm on the revenue meter (not on acknowledgements), shed
 * more while the meter falls short, restore on a ramp at the end — writing every step to the
 * event's settlement record in the store. Queue jobs move the steps along (BullMQ in
 * production); a supervisor tick re-drives any step whose job was lost (Redis restarted), so
 * the store, not the queue, is what an event is.
 */

export class CurtailmentEngine implements CurtailmentPort, EngineHost {
  private readonly store: EventRecords;
  /** This instance's id on the leases of the events it drives. */
  readonly instanceId: string;
  private readonly leaseMs: number;
  private lastLeaseMs = 0;
  private leasing: Promise<void> | null = null;
  private stopped = false;
  private readonly writing = new Set<Promise<void>>();
  /** Events this engine finished lately, for the sync reads (the store has them all). */
  private readonly recent = new Map<string, { record: EventRecord; createdAtMs: number; updatedAtMs: number }>();
  readonly arbiter = new Arbiter();
  private readonly active = new Map<string, Active>();
  private readonly meterIds: string[];
  private readonly meter: MeterBaseline;
  private lastMeterAtMs = 0;
  private supervisor: NodeJS.Timeout | null = null;
  private publishTimer: NodeJS.Timeout | null = null;
  private lastPublishMs = 0;
  readonly now: () => number;
  private readonly asics = asicCatalog();
  private readonly modelById: Map<string, string>;
  private readonly blockById: Map<string, string>;
  private readonly bounds: TimeBounds;
  private readonly shedState: LiveShedState;
  readonly hardCut: HardCutSite;
  /** Restore hysteresis per program (hysteresis.ts). */
  readonly hold: RestoreHold;
  private readonly onLive = () => this.onMeter();
  private readonly onAcks = (agentId: string, b: AckBatch) => this.handleAcks(agentId, b);
  private readonly onLocal = (agentId: string, r: LocalShedReport) => this.handleLocalShed(agentId, r);

  constructor(readonly o: EngineOptions) {
    this.store = o.events;
    this.instanceId = o.instanceId ?? `cp-${randomUUID().slice(0, 8)}`;
    this.leaseMs = o.leaseMs ?? 15_000;
    this.shedState = new LiveShedState(o.site, o.live, this.asics);
    this.hardCut = new HardCutSite(o.site, this.asics, o.inrushLimits ?? new Map());
    this.meterIds = o.site.meters.filter((m) => m.role === 'revenue').map((m) => m.id);
    this.now = o.now ?? Date.now;
    this.hold = new RestoreHold(o.restoreHoldSeconds ?? o.site.curtailment?.restoreHoldSeconds ?? {}, this.now);
    const miners = minerDevices(o.site);
    this.modelById = new Map(miners.map((d) => [d.id, d.model]));
    this.blockById = new Map(miners.map((d) => [d.id, d.blockId]));
    this.bounds = o.bounds ?? (o.now ? DEFAULT_TIME_BOUNDS : timeBoundsFromEnv(process.env));
    this.meter = new MeterBaseline(o.baselineWindowMs ?? 15 * 60_000, o.baselineSettleMs);
  }

  async start(): Promise<void> {
    this.o.live.on('change', this.onLive);
    this.o.hub.on('acks', this.onAcks);
    this.o.hub.on('local-shed', this.onLocal);
    this.o.queue.process((job) => this.runJob(job.data), { concurrency: 8 });
    if (this.o.exclusive ?? true) {
      // Alone on the store: every open event is this instance's, whoever held it before.
      const untilMs = this.now() + this.leaseMs;
      for (const e of await this.store.active()) {
        await this.store.claim(e.record.id, { owner: this.instanceId, untilMs }, this.now(), true);
        this.resume(e.record, e.control);
      }
      this.lastLeaseMs = this.now();
    } else {
      await this.leaseTick();
    }
    this.supervisor = setInterval(() => this.supervise(), this.o.supervisorMs ?? 1000);
    this.supervisor.unref();
    this.publishPlanInForce();
  }

  async stop(): Promise<void> {
    if (this.supervisor) clearInterval(this.supervisor);
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.o.live.off('change', this.onLive);
    this.o.hub.off('acks', this.onAcks);
    this.o.hub.off('local-shed', this.onLocal);
    this.stopped = true;
    await this.leasing;
    for (const a of this.active.values()) this.flush(a);
    await this.settled();
    // Given back, so another instance takes the events up at once instead of at expiry.
    for (const a of this.active.values()) {
      await this.store.release(a.record.id, this.instanceId).catch((err: unknown) => this.o.log.warn({ eventId: a.record.id, err: errorMessage(err) }, 'giving back the event lease failed; it expires by itself'));
    }
  }

  // ---- CurtailmentPort ----

  async request(signal: CurtailSignal): Promise<{ eventId: string }> {
    if (signal.externalId) {
      const known = (await this.store.byExternalId(signal.externalId)) ?? this.hold.aliasOf(signal.externalId);
      if (known) return { eventId: known };
    }
    const held = this.hold.rejoin(signal.program, (id) => this.active.has(id), signal.externalId);
    if (held) {
      this.o.log.info({ eventId: held.eventId, program: signal.program, by: signal.requestedBy, heldSinceMs: held.askedAtMs }, 'new request inside the restore hold: the held event goes on instead of a new one');
      const a = this.active.get(held.eventId) as Active;
      a.control.endMs = Math.max(a.control.endMs, Math.min(Math.round(signal.endMs), a.control.startMs + this.bounds.maxDurationMs));
      return { eventId: held.eventId };
    }
    const now = this.now();
    let window;
    try {
      window = boundWindow(signal.startMs, signal.endMs, now, this.bounds);
    } catch (err) {
      if (err instanceof TimeBoundsError) throw new EngineError(err.message);
      throw err;
    }
    const id = `ev-${new Date(now).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${randomUUID().slice(0, 8)}`;
    let record = newEventRecord({
      id,
      program: signal.program,
      target: signal.target,
      allowAi: signal.allowAi ?? false,
      ...(signal.allowHardCut ? { allowHardCut: true } : {}),
      signalAtMs: now,
      requestedStartMs: window.startMs,
      requestedEndMs: window.cutFromMs ?? window.endMs,
      ...(signal.programName ? { programName: signal.programName } : {}),
      ...(signal.reason ? { reason: signal.reason } : {}),
      ...(this.o.baselineWindowMs ? { baselineWindowMs: this.o.baselineWindowMs } : {}),
    });
    record = addMeterSamples(record, this.meter.since(now - record.baselineWindowMs));
    const baseline = this.baselineW(id, record.baselineWindowMs);
    if (baseline !== null) record = { ...record, baselineW: baseline };
    if (window.cutFromMs !== undefined) {
      record = addTimeline(record, [{ kind: 'plan-made', atMs: now, detail: `end cut from ${new Date(window.cutFromMs).toISOString()} to ${new Date(window.endMs).toISOString()}: events last at most ${this.bounds.maxDurationMs / 3_600_000} h (SWITCHYARD_CURTAILMENT_MAX_HOURS)` }]);
    }
    const control: EventControl = { priority: signal.priority ?? DEFAULT_PRIORITY[signal.program], startMs: window.startMs, endMs: window.endMs, requestedBy: signal.requestedBy, ...(signal.externalId ? { externalId: signal.externalId } : {}) };
    // Received by two instances at once, one stores it; the other gets its id back.
    const stored = await this.store.insert({ record, control }, now, { owner: this.instanceId, untilMs: now + this.leaseMs });
    if (!stored.created) return { eventId: stored.id };
    const a = freshActive(record, control);
    this.active.set(id, a);
    this.o.log.info({ eventId: id, program: signal.program, target: signal.target, by: signal.requestedBy }, 'curtailment event received');
    if (window.cutFromMs !== undefined) this.o.log.warn({ eventId: id, askedEndMs: window.cutFromMs, endMs: window.endMs }, 'event end cut to the maximum duration');
    if (window.startMs > now + 1000) this.preArm(a);
    // Not awaited: with Redis away an add may wait for it; the supervisor starts the event anyway.
    void this.o.queue.add('start', { kind: 'start', eventId: id }, { jobId: `start-${id}`, delayMs: Math.max(0, window.startMs - now) }).catch((err: unknown) => this.o.log.warn({ eventId: id, err: errorMessage(err) }, 'queueing the start failed; the supervisor will start the event'));
    return { eventId: id };
  }

  async end(eventId: string, why: string): Promise<void> {
    const a = this.active.get(eventId);
    if (!a || (a.record.status !== 'shedding' && a.record.status !== 'meter-confirmed' && a.record.status !== 'planned')) return;
    if (a.record.status === 'planned') {
      this.update(a, transition(a.record, 'aborted', this.now(), `ended before it started: ${why}`));
      this.finish(a);
      return;
    }
    if (this.hold.defer(eventId, a.record.program, why)) {
      this.o.log.info({ eventId, why, releaseAtMs: this.hold.get(eventId)?.releaseAtMs }, 'curtailment event end held (restore hysteresis)');
      return;
    }
    this.endNow(a, why);
  }

  private endNow(a: Active, why: string): void {
    const eventId = a.record.id;
    if (a.record.status !== 'shedding' && a.record.status !== 'meter-confirmed') return;
    a.control.endMs = Math.min(a.control.endMs, this.now());
    this.o.log.info({ eventId, why }, 'curtailment event ended early');
    void this.o.queue.add('restore', { kind: 'restore', eventId }, { jobId: `restore-${eventId}` }).catch((err: unknown) => this.o.log.warn({ eventId, err: errorMessage(err) }, 'queueing the restore failed; the supervisor will restore'));
  }

  /** The status of an event this engine drives or finished lately (load() asks the store). */
  status(eventId: string): EventStatus | undefined {
    return this.get(eventId)?.status;
  }

  // ---- reads ----

  /** An event this engine drives or finished lately; load() for any event in the store. */
  get(eventId: string): EventRecord | undefined {
    return this.active.get(eventId)?.record ?? this.recent.get(eventId)?.record;
  }

  /** Events this engine drives or finished lately, newest first; listStored() for the store's. */
  list(limit = 100): EventSummary[] {
    const now = this.now();
    const rows: EventSummary[] = [...this.active.values()].map((a) => ({ id: a.record.id, status: a.record.status, createdAtMs: signalAtMs(a.record), updatedAtMs: now }));
    for (const [id, r] of this.recent) if (!this.active.has(id)) rows.push({ id, status: r.record.status, createdAtMs: r.createdAtMs, updatedAtMs: r.updatedAtMs });
    return rows.sort((x, y) => y.createdAtMs - x.createdAtMs).slice(0, limit);
  }

  /** Any event in the store (driven here, by another instance, or before a restart). */
  async load(eventId: string): Promise<EventRecord | undefined> {
    return this.get(eventId) ?? (await this.store.get(eventId))?.record;
  }

  /** The store's events, newest first, with what this engine has in hand written first. */
  async listStored(limit = 100): Promise<EventSummary[]> {
    for (const a of this.active.values()) this.flush(a);
    await Promise.all([...this.active.values()].map((a) => a.writes));
    return this.store.list(limit);
  }

  /** The shed plan a signal would get now; nothing is sent (dry run). */
  preview(target: CurtailSignal['target'], allowAi: boolean): ShedPlan & { floorMw?: number; unreachable?: string } {
    const load = this.siteLoadW();
    if (load === null) throw new EngineError('no revenue-meter reading yet: cannot plan a shed');
    const plan = this.plan({ ...target, allowAi }, this.shedState.at(load, this.owned()));
    const floor = floorOf(target, plan, load, allowAi);
    return floor ? { ...plan, floorMw: floor.floorW / 1e6, unreachable: floor.reason } : plan;
  }

  /** An admin's abort: stop shedding now and put back what this event shed. */
  async abort(eventId: string, by: string): Promise<EventRecord> {
    const a = this.active.get(eventId);
    if (!a) throw new EngineError(`event ${eventId} is not active (${this.status(eventId) ?? 'unknown'})`);
    if (a.record.status === 'restoring' || a.record.status === 'aborted') throw new EngineError(`event ${eventId} is already ${a.record.status === 'aborted' ? 'aborted: what it shed is being put back' : 'restoring'}; it cannot be aborted`);
    this.update(a, transition(a.record, 'aborted', this.now(), `aborted by ${by}`));
    this.o.log.warn({ eventId, by }, 'curtailment event aborted');
    startRestore(this, a, true);
    return a.record;
  }

  // ---- the steps ----

  private async runJob(job: CurtailJob): Promise<void> {
    const a = this.active.get(job.eventId);
    if (!a) return; // finished meanwhile: jobs are idempotent
    if (job.kind === 'start') this.startShed(a);
    else if (job.kind === 'send') this.send(a, job.batchId);
    else if (job.kind === 'restore') startRestore(this, a, false);
    else sendWave(this, a, job.wave, job.round ?? a.restoreRounds);
  }

  private startShed(a: Active): void {
    if (a.record.status !== 'planned') return;
    const load = this.siteLoadW();
    if (load === null) {
      // Right after a start the meter may not have been read yet: wait for it, bounded.
      const waitMs = this.o.meterWaitMs ?? 60_000;
      if (this.now() < a.control.startMs + waitMs) {
        if (!a.waitingForMeter) this.o.log.warn({ eventId: a.record.id, waitMs }, 'no revenue-meter reading yet: the event waits for it');
        a.waitingForMeter = true;
        return;
      }
      this.update(a, transition(a.record, 'failed', this.now(), `no revenue-meter reading within ${Math.round(waitMs / 1000)} s of the start: the shed cannot be planned or proven`));
      this.finish(a);
      return;
    }
    // An event announced ahead is measured against the load just before it starts.
    const before = this.baselineW(a.record.id, a.record.baselineWindowMs);
    if (a.control.startMs - signalAtMs(a.record) > 60_000 && before !== null) this.update(a, { ...a.record, baselineW: before });
    if (a.record.baselineW === null) this.update(a, { ...a.record, baselineW: load });
    // A pre-armed plan is what the agents hold: it is re-made now from live telemetry.
    if (a.plan) this.arbiter.release(a.record.id);
    this.adoptLowerPriority(a);
    // Devices owned by any event (this one's adopted ones included) are already off.
    const owned = this.owned();
    const state = this.shedState.at(load, owned);
    const plan = planFor(this.hardCut, a.record, { ...a.record.target, allowAi: a.record.allowAi }, state, owned, (r, s) => this.plan(r, s));
    a.plan = plan;
    this.update(a, addTimeline(a.record, [{ kind: 'plan-made', atMs: this.now(), detail: `${plan.commands.length} commands, expected ${(plan.expectedShedW / 1e6).toFixed(3)} MW of ${(plan.requiredShedW / 1e6).toFixed(3)} MW needed${plan.shortfallW > 0 ? `, short ${(plan.shortfallW / 1e6).toFixed(3)} MW` : ''}` }]));
    const floor = floorOf(a.record.target, plan, load, a.record.allowAi);
    if (floor) {
      this.update(a, addTimeline({ ...a.record, floorW: floor.floorW }, [{ kind: 'floor', atMs: this.now(), detail: floor.reason }]));
      this.o.log.warn({ eventId: a.record.id, floorMw: floor.floorW / 1e6 }, floor.reason);
    }
    this.arbiter.claim(a.record.id, a.control.priority, plan.commands.map((c) => c.deviceId), { allowAi: a.record.allowAi });
    this.publishPlanInForce();
    if (plan.commands.length === 0) {
      this.update(a, transition(a.record, 'shedding', this.now(), 'nothing to shed: the meter is already at or below the target'));
      this.flush(a);
      return;
    }
    this.dispatch(a, 'shed', plan.commands);
  }

  /** Splits commands by agent, logs them, and queues one send per agent. */
  /** `via: 'now'` sends at once (a restore wave runs inside its own job already). */
  dispatch(a: Active, phase: 'shed' | 'restore', commands: readonly DeviceCommand[], via: 'queue' | 'now' = 'queue'): void {
    const now = this.now();
    const byAgent = new Map<string, DeviceCommand[]>();
    const unroutable: DeviceCommand[] = [];
    const agents = this.o.hub.connectedAgents();
    for (const c of commands) {
      // An outlet or coil goes to the agent of the miners behind it.
      const agent = this.o.live.agentOf(c.deviceId) ?? this.agentBehind(c.deviceId) ?? (agents.length === 1 ? agents[0] : undefined);
      if (agent === undefined) {
        unroutable.push(c);
        continue;
      }
      let list = byAgent.get(agent);
      if (!list) byAgent.set(agent, (list = []));
      list.push(c);
    }
    this.meter.noteCommands(now);
    let record = logCommands(a.record, phase, commands, now);
    if (phase === 'shed' && record.status === 'planned') record = transition(record, 'shedding', now);
    this.update(a, record);
    // The commands are in the record before any goes out: a batch is sent once this write is stored.
    this.flush(a);
    const needsWrite = a.writeSeq;
    for (const [agentId, list] of byAgent) {
      const batchId = `${a.record.id}.${phase}.${a.batches.size + 1}`;
      a.batches.set(batchId, { batchId, agentId, phase, commands: list, queuedAtMs: now, sentAtMs: null, ackedAtMs: null, acks: 0, needsWrite });
      if (via === 'now') {
        this.send(a, batchId);
        continue;
      }
      void this.o.queue.add('send', { kind: 'send', eventId: a.record.id, batchId }, { jobId: batchId.replace(/[:]/g, '_') }).catch((err: unknown) => {
        // The supervisor sends batches whose job never ran; log once here.
        this.o.log.warn({ eventId: a.record.id, batchId, err: errorMessage(err) }, 'queueing a command batch failed; sending directly');
        this.send(a, batchId);
      });
    }
    if (unroutable.length) this.settle(a, unroutable.map((c) => ({ deviceId: c.deviceId, ok: false, atMs: now, tries: 0, error: 'no agent reads this device' })), phase);
    this.flush(a);
  }

  private send(a: Active, batchId: string): void {
    const b = a.batches.get(batchId);
    if (!b || b.sentAtMs !== null) return;
    if (a.savedSeq < b.needsWrite) {
      // Not stored yet: sent when it is (a failed write leaves it to the supervisor's retry).
      if (!b.awaitingWrite) {
        b.awaitingWrite = true;
        void a.writes.then(() => {
          b.awaitingWrite = false;
          if (a.savedSeq >= b.needsWrite && this.active.get(a.record.id) === a) this.send(a, batchId);
        });
      }
      return;
    }
    const batch: CommandBatch = { type: 'commands', batchId, eventId: a.record.id, phase: b.phase, deviceTimeoutMs: this.o.deviceTimeoutMs ?? 5000, attempts: this.o.attempts ?? 2, commands: b.commands };
    const now = this.now();
    if (!this.o.hub.sendBatch(b.agentId, batch)) {
      // The agent holds the plan in force and sheds on its own when cut off; keep the batch
      // and send it when the agent is back, unless it stays away past agentWaitMs.
      if (now - b.queuedAtMs < (this.o.agentWaitMs ?? 60_000)) {
        if (!b.waiting) this.o.log.warn({ eventId: a.record.id, batchId, agentId: b.agentId }, 'agent not connected; holding the batch until it is back');
        b.waiting = true;
        return;
      }
      b.sentAtMs = b.ackedAtMs = now;
      this.settle(a, b.commands.map((c) => ({ deviceId: c.deviceId, ok: false, atMs: now, tries: 0, error: `agent ${b.agentId} not connected for ${this.o.agentWaitMs ?? 60_000} ms` })), b.phase);
      return;
    }
    b.sentAtMs = now;
    if ([...a.batches.values()].filter((x) => x.phase === b.phase).every((x) => x.sentAtMs !== null)) {
      this.update(a, addTimeline(a.record, [{ kind: 'last-command', atMs: b.sentAtMs, detail: `${b.phase}: ${[...a.batches.values()].filter((x) => x.phase === b.phase).reduce((s, x) => s + x.commands.length, 0)} commands` }]));
    }
  }

  private handleAcks(agentId: string, msg: AckBatch): void {
    const a = this.active.get(msg.eventId);
    const b = a?.batches.get(msg.batchId);
    if (!a || !b) {
      this.o.log.warn({ agentId, eventId: msg.eventId, batchId: msg.batchId }, 'acks for an unknown batch');
      return;
    }
    b.acks += msg.acks.length;
    this.meter.noteCommands(this.now());
    if (b.acks >= b.commands.length) b.ackedAtMs = this.now();
    this.settle(a, msg.acks, b.phase);
  }

  /** Records acks; re-plans the share of failed shed devices onto others. */
  private settle(a: Active, acks: readonly AgentAck[], phase: 'shed' | 'restore'): void {
    const pending = new Set(a.record.devices.filter((d) => d.outcome === 'pending').map((d) => d.deviceId));
    const known = acks.filter((x) => pending.has(x.deviceId));
    if (known.length === 0) return;
    this.update(a, recordAcks(a.record, known.map((x) => ({ deviceId: x.deviceId, atMs: x.atMs, ok: x.ok, ...(x.error ? { error: x.error } : {}) }))));
    a.lastAckAtMs = Math.max(a.lastAckAtMs ?? 0, ...known.map((x) => x.atMs));
    if (phase === 'shed') {
      const byId = new Map((a.plan?.commands ?? []).map((c) => [c.deviceId, c]));
      for (const x of known) {
        const c = byId.get(x.deviceId);
        if (x.ok && c) a.shed.set(x.deviceId, shedDeviceFromRow({ ...c, sentAtMs: x.atMs }, this.modelOf(x.deviceId)));
        if (!x.ok) a.failed.add(x.deviceId);
      }
      const failed = known.filter((x) => !x.ok).map((x) => x.deviceId);
      if (failed.length && a.plan && (a.record.status === 'shedding' || a.record.status === 'meter-confirmed')) {
        // Claims only add: adopted devices and the failed ones stay this event's.
        const state = this.shedState.at(this.siteLoadW() ?? 0, this.owned(a.record.id));
        const re = replanFor(this.hardCut, a.record, a.plan, failed, state);
        a.plan = re;
        this.arbiter.claim(a.record.id, a.control.priority, re.commands.map((c) => c.deviceId), { allowAi: a.record.allowAi });
        this.o.log.warn({ eventId: a.record.id, failed: failed.length, added: re.added.length }, 'devices failed; their share is re-planned onto others');
        this.publishPlanInForce();
        if (re.added.length) this.dispatch(a, 'shed', re.added);
      }
    } else if (a.waves && a.waves.every((w) => w.sent) && a.record.devices.every((d) => d.outcome !== 'pending')) {
      completeRestore(this, a);
    }
    a.dirty = true;
  }

  private handleLocalShed(agentId: string, r: LocalShedReport): void {
    const a = r.eventId ? this.active.get(r.eventId) : undefined;
    this.o.log.warn({ agentId, reason: r.reason, eventId: r.eventId, devices: r.acks.length }, 'an agent shed on its own; recording its report');
    this.meter.noteCommands(this.now());
    if (a) {
      this.update(a, addTimeline(a.record, [{ kind: 'ack', atMs: r.atMs, detail: `agent ${agentId} shed locally (${r.reason}: ${r.detail}): ${r.acks.filter((x) => x.ok).length} ok, ${r.acks.filter((x) => !x.ok).length} failed` }]));
      // A device the agent shed from the plan it held may have no command logged here yet
      // (its batch was never sent): log one, so the record — what restores it — knows.
      const pending = new Set(a.record.devices.filter((d) => d.outcome === 'pending').map((d) => d.deviceId));
      const planned = new Map((a.plan?.commands ?? []).map((c) => [c.deviceId, c]));
      const unlogged = r.acks.filter((x) => x.ok && !pending.has(x.deviceId));
      if (unlogged.length) {
        const commands = unlogged.map((x): DeviceCommand => planned.get(x.deviceId) ?? { deviceId: x.deviceId, blockId: this.blockById.get(x.deviceId) ?? 'unknown', action: 'sleep', expectedDeltaW: 0 });
        this.update(a, logCommands(a.record, 'shed', commands, Math.min(r.atMs, this.now())));
      }
      this.settle(a, r.acks, 'shed');
      // What the agent already did is not sent again.
      const done = new Set(r.acks.filter((x) => x.ok).map((x) => x.deviceId));
      for (const b of a.batches.values()) {
        if (b.sentAtMs !== null || b.phase !== 'shed') continue;
        b.commands = b.commands.filter((c) => !done.has(c.deviceId));
        if (b.commands.length === 0) b.sentAtMs = b.ackedAtMs = this.now();
      }
    }
  }

  // ---- the meter ----

  private onMeter(): void {
    const load = this.revenueReading();
    if (!load || load.atMs <= this.lastMeterAtMs) return;
    this.lastMeterAtMs = load.atMs;
    this.meter.add(load);
    for (const a of this.active.values()) {
      if (TERMINAL.includes(a.record.status) && !a.waves) continue;
      a.record = addMeterSamples(a.record, [load]);
      a.dirty = true;
      this.checkMeter(a, load);
    }
  }

  private checkMeter(a: Active, s: MeterSample): void {
    const target = this.targetW(a);
    if (target === null) return;
    const tol = this.o.toleranceW ?? Math.max(0.01 * (a.record.baselineW ?? 0), 50_000);
    const onTarget = s.loadW <= target + tol;
    const firstCommand = a.record.timeline.find((e) => e.kind === 'first-command');
    if (a.record.status === 'shedding' && firstCommand && s.atMs > firstCommand.atMs && onTarget) {
      const floor = a.record.floorW !== undefined ? ` (the site's floor: the target is below what it can reach; holding there)` : '';
      this.update(a, transition(a.record, 'meter-confirmed', s.atMs, `revenue meter ${(s.loadW / 1e6).toFixed(3)} MW ≤ ${floor ? 'floor' : 'target'} ${(target / 1e6).toFixed(3)} MW + ${(tol / 1e6).toFixed(3)} MW${floor}`));
      this.o.log.info({ eventId: a.record.id, loadMw: s.loadW / 1e6, targetMw: target / 1e6 }, 'curtailment confirmed on the revenue meter');
      a.over = 0;
      this.flush(a);
      // A hard cut has no sleeps to swap: its outlets and coils stay open.
      if ((this.o.sleepPlan ?? 'fast') === 'fast' && this.hardCut.modeOf(a.record.program, a.record.allowHardCut) === 'sleep') beginSwap(this, a, this.shedState.at(s.loadW, this.owned()));
      return;
    }
    if (a.record.status === 'meter-confirmed') {
      advanceSwap(this, a);
      a.over = onTarget ? 0 : a.over + 1;
      if (a.over >= 2) {
        this.update(a, transition(a.record, 'shedding', s.atMs, `meter ${(s.loadW / 1e6).toFixed(3)} MW above target again`));
        this.topUp(a, s.loadW - target);
      }
      return;
    }
    const sinceAck = a.lastAckAtMs === null ? 0 : s.atMs - a.lastAckAtMs;
    const allAcked = [...a.batches.values()].every((b) => b.ackedAtMs !== null);
    if (a.record.status === 'shedding' && allAcked && !onTarget && sinceAck > (this.o.confirmWindowMs ?? 15_000)) this.topUp(a, s.loadW - target);
  }

  /** The meter shows less shed than planned: shed more, up to maxTopUps rounds. */
  private topUp(a: Active, shortW: number): void {
    if (a.topUps >= (this.o.maxTopUps ?? 3)) {
      if (a.topUps === (this.o.maxTopUps ?? 3)) this.o.log.error({ eventId: a.record.id, shortMw: shortW / 1e6 }, 'meter still short of the target after the last top-up');
      a.topUps++;
      return;
    }
    a.topUps++;
    a.lastAckAtMs = this.now();
    const load = this.siteLoadW() ?? 0;
    const owned = this.owned();
    const state = this.shedState.at(load, owned);
    const more = planFor(this.hardCut, a.record, { shedMw: Math.max(shortW, 1) / 1e6 * 1.05, allowAi: a.record.allowAi }, state, owned, (r, s) => this.plan(r, s));
    this.o.log.warn({ eventId: a.record.id, shortMw: shortW / 1e6, commands: more.commands.length }, 'revenue meter short of the target: shedding more');
    this.update(a, addTimeline(a.record, [{ kind: 'plan-made', atMs: this.now(), detail: `top-up ${a.topUps}: meter short ${(shortW / 1e6).toFixed(3)} MW, ${more.commands.length} more commands` }]));
    if (!more.commands.length) return;
    a.plan = a.plan ? { ...a.plan, commands: [...a.plan.commands, ...more.commands], expectedShedW: a.plan.expectedShedW + more.expectedShedW } : more;
    this.arbiter.claim(a.record.id, a.control.priority, more.commands.map((c) => c.deviceId), { allowAi: a.record.allowAi });
    this.publishPlanInForce();
    this.dispatch(a, 'shed', more.commands);
  }

  // ---- the supervisor: re-drives steps whose job was lost ----

  private supervise(): void {
    const now = this.now();
    for (const h of this.hold.due(now)) {
      const a = this.active.get(h.eventId);
      if (a) this.endNow(a, `${h.why} (after the ${Math.round((h.releaseAtMs - h.askedAtMs) / 1000)} s restore hold)`);
    }
    for (const a of [...this.active.values()]) {
      try {
        if (a.record.status === 'planned' && now >= a.control.startMs + 2000) this.startShed(a);
        for (const b of a.batches.values()) {
          if (b.sentAtMs === null && now - b.queuedAtMs > 2000) {
            if (!b.waiting) this.o.log.warn({ eventId: a.record.id, batchId: b.batchId }, 'a command batch was not sent by its job; sending directly');
            this.send(a, b.batchId);
          }
          const deadline = (this.o.deviceTimeoutMs ?? 5000) * (this.o.attempts ?? 2) + 10_000;
          if (b.sentAtMs !== null && b.ackedAtMs === null && now - b.sentAtMs > deadline + Math.ceil(b.commands.length / 1000) * 1000) {
            b.ackedAtMs = now;
            this.settle(a, b.commands.map((c) => ({ deviceId: c.deviceId, ok: false, atMs: now, tries: 0, error: `no acknowledgement from agent ${b.agentId}` })), b.phase);
          }
        }
        if ((a.record.status === 'shedding' || a.record.status === 'meter-confirmed') && now >= a.control.endMs) startRestore(this, a, false);
        if ((a.record.status === 'aborted' || a.record.status === 'restoring') && !a.waves) startRestore(this, a, a.record.status === 'aborted');
        // A hard cut's restore waits for the miners behind the outlets to report again.
        if (a.bootWaitSinceMs !== undefined) completeRestore(this, a);
        a.waves?.forEach((w, i) => {
          if (!w.sent && now >= w.atMs + 2000) sendWave(this, a, i);
        });
        if (a.dirty) this.flush(a);
      } catch (err) {
        this.o.log.error({ eventId: a.record.id, err: errorMessage(err) }, 'supervising a curtailment event failed');
      }
    }
    if (now - this.lastLeaseMs >= this.leaseMs / 3 && !this.leasing) {
      this.leasing = this.leaseTick().finally(() => (this.leasing = null));
    }
  }

  // ---- leases: one instance drives each event ----

  /**
   * Renews the leases of the events this engine drives (an event whose lease another instance
   * took is dropped here), and, sharing the store with others, takes up open events whose
   * lease is free or expired (their instance stopped or died).
   */
  private async leaseTick(): Promise<void> {
    const now = this.now();
    this.lastLeaseMs = now;
    const lease = { owner: this.instanceId, untilMs: now + this.leaseMs };
    try {
      for (const a of [...this.active.values()]) {
        if (!(await this.store.claim(a.record.id, lease, now))) this.drop(a, 'its lease is held by another instance');
      }
      if (this.o.exclusive ?? true) return;
      for (const id of await this.store.claimable(this.instanceId, now)) {
        if (this.stopped) return;
        if (this.active.has(id) || !(await this.store.claim(id, lease, now))) continue;
        const e = await this.store.resume(id);
        if (!e) continue;
        this.o.log.warn({ eventId: id, instance: this.instanceId }, 'taking up a curtailment event whose lease was free or expired');
        this.resume(e.record, e.control);
      }
    } catch (err) {
      this.o.log.error({ err: errorMessage(err), instance: this.instanceId }, `curtailment leases: ${errorMessage(err)}`);
    }
  }

  private resume(record: EventRecord, control: EventControl): void {
    const a = resumeActive(this, record, control);
    this.active.set(a.record.id, a);
    this.publishPlanInForce();
  }

  /** Stops driving an event another instance now holds; its record is that instance's to write. */
  private drop(a: Active, why: string): void {
    if (this.active.get(a.record.id) !== a) return;
    this.active.delete(a.record.id);
    this.arbiter.release(a.record.id);
    this.publishPlanInForce();
    this.o.log.warn({ eventId: a.record.id, instance: this.instanceId }, `no longer driving the curtailment event: ${why}`);
  }

  // ---- helpers ----


  update(a: Active, record: EventRecord): void {
    const statusChanged = record.status !== a.record.status;
    a.record = record;
    a.dirty = true;
    if (statusChanged) this.flush(a);
  }

  /**
   * Writes the record through to the store, in order with the event's earlier writes. A write
   * that fails leaves the event dirty (the supervisor writes again; batches logged in it wait);
   * a lease another instance took drops the event here.
   */
  flush(a: Active): void {
    if (!a.dirty) return;
    a.dirty = false;
    const record = a.record;
    const seq = ++a.writeSeq;
    this.write(a, async () => {
      await this.store.save(record, this.now(), this.instanceId);
      a.savedSeq = seq;
    }, (err) => {
      if (err instanceof LeaseLostError) return this.drop(a, err.message);
      a.dirty = true;
      this.o.log.error({ eventId: record.id, err: errorMessage(err), store: this.store.kind }, `writing the curtailment event record failed (written again by the supervisor): ${errorMessage(err)}`);
    });
  }

  /**
   * Runs a store write after the event's earlier ones. With none in flight it starts at once,
   * so a store that writes synchronously (SQLite) has it written before this returns.
   */
  private write(a: Active, run: () => Promise<void>, failed: (err: unknown) => void): void {
    const go = async () => {
      try {
        await run();
      } catch (err) {
        failed(err);
      } finally {
        a.inFlight--;
      }
    };
    a.writes = a.inFlight++ === 0 ? go() : a.writes.then(go);
    const chain = a.writes;
    this.writing.add(chain);
    void chain.then(() => this.writing.delete(chain));
  }

  /** Resolves when every store write queued so far has finished (stop, tests). */
  async settled(): Promise<void> {
    while (this.writing.size) await Promise.all([...this.writing]);
  }

  finish(a: Active): void {
    this.hold.forget(a.record.id);
    this.flush(a);
    const id = a.record.id;
    this.write(a, () => this.store.close(id), (err) => this.o.log.error({ eventId: id, err: errorMessage(err) }, `closing the curtailment event in the store failed: ${errorMessage(err)}`));
    this.arbiter.release(id);
    this.active.delete(id);
    this.recent.set(id, { record: a.record, createdAtMs: signalAtMs(a.record), updatedAtMs: this.now() });
    if (this.recent.size > 200) this.recent.delete(this.recent.keys().next().value!);
    this.publishPlanInForce();
  }

  private owned(except?: string): Set<string> {
    const out = new Set<string>();
    for (const id of this.active.keys()) if (id !== except) for (const d of this.arbiter.owned(id)) out.add(d);
    return out;
  }

  /** The plan agents keep for the fail-safe: every shed command of the events shedding now. */
  /**
   * At most every PLAN_PUBLISH_MS: a re-plan after each chunk of failed acks would otherwise
   * send the whole plan (megabytes at 50k miners) to every agent several times a second. The
   * first change goes at once; later ones within the window go together at its end.
   */
  publishPlanInForce(): void {
    const wait = this.lastPublishMs + PLAN_PUBLISH_MS - this.now();
    if (wait <= 0) {
      this.publishNow();
      return;
    }
    this.publishTimer ??= setTimeout(() => {
      this.publishTimer = null;
      this.publishNow();
    }, wait);
  }

  private publishNow(): void {
    this.lastPublishMs = this.now();
    const inForce = [...this.active.values()].filter((a) => a.plan && (a.record.status === 'planned' || a.record.status === 'shedding' || a.record.status === 'meter-confirmed'));
    const lead = inForce.sort((x, y) => y.control.priority - x.control.priority)[0];
    const commands = inForce.flatMap((a) => (a.plan?.commands ?? []).filter((c) => !a.failed.has(c.deviceId)));
    const startMs = inForce.length ? Math.min(...inForce.map((a) => a.control.startMs)) : 0;
    this.o.hub.broadcastSticky('plan-in-force', { type: 'plan-in-force', eventId: lead ? lead.record.id : null, startMs, commands });
  }

  /**
   * A higher-priority event adopts what lower-priority events have shed: the site's load (its
   * baseline) already excludes those devices, so they must stay off for as long as this event
   * runs, even if their own event ends first. When this event ends they go back to the event
   * that shed them if it is still running (the arbiter's transfer), else they are restored.
   */
  private adoptLowerPriority(a: Active): void {
    let adopted = 0;
    for (const other of this.active.values()) {
      if (other === a || other.control.priority >= a.control.priority) continue;
      // From the other's record: what it shed and has not put back, acked or still pending (a
      // slow ack must not leave a device to the other event's restore while this one counts it off).
      const theirs = [...shedRows(other.record).values()].filter((r) => !restoreSettled(r) && this.arbiter.ownerOf(r.shed.deviceId) === other.record.id);
      if (!theirs.length) continue;
      const { taken } = this.arbiter.claim(a.record.id, a.control.priority, theirs.map((r) => r.shed.deviceId), { allowAi: a.record.allowAi });
      const byId = new Map(theirs.map((r) => [r.shed.deviceId, r.shed]));
      const rows = [];
      for (const t of taken) {
        const row = byId.get(t.deviceId);
        if (!row) continue;
        rows.push(row);
        a.shed.set(t.deviceId, other.shed.get(t.deviceId) ?? shedDeviceFromRow(row, this.modelOf(t.deviceId), row.ackAtMs ?? row.sentAtMs));
      }
      if (rows.length) this.update(a, adoptRows(a.record, rows, this.now()));
      adopted += taken.length;
    }
    if (adopted) this.update(a, addTimeline(a.record, [{ kind: 'plan-made', atMs: this.now(), detail: `adopted ${adopted} devices shed by lower-priority events (logged as acked shed rows: this event puts them back)` }]));
  }

  /** An event announced ahead gets its plan now, so agents hold it if the link goes before the start. */
  private preArm(a: Active): void {
    const load = this.siteLoadW();
    if (load === null) return;
    const owned = this.owned();
    a.plan = planFor(this.hardCut, a.record, { ...a.record.target, allowAi: a.record.allowAi }, this.shedState.at(load, owned), owned, (r, s) => this.plan(r, s));
    this.arbiter.claim(a.record.id, a.control.priority, a.plan.commands.map((c) => c.deviceId), { allowAi: a.record.allowAi });
    this.publishPlanInForce();
  }

  backSince(deviceId: string, sinceMs: number): boolean {
    const r = this.o.live.reading(deviceId);
    return r !== undefined && r.status === 'online' && r.atMs >= sinceMs;
  }

  private agentBehind(deviceId: string): string | undefined {
    for (const m of this.hardCut.minersOf(deviceId)) {
      const agent = this.o.live.agentOf(m);
      if (agent !== undefined) return agent;
    }
    return undefined;
  }

  /** The shed plan in the engine's order (sleepPlan). */
  private plan(request: Parameters<typeof planSleeps>[1], state: Parameters<typeof planSleeps>[2]): ShedPlan {
    return planSleeps(this.o.sleepPlan ?? 'fast', request, state);
  }

  modelOf(deviceId: string): AsicModel | undefined {
    const id = this.modelById.get(deviceId) ?? this.o.live.reading(deviceId)?.labels?.model;
    return id === undefined ? undefined : this.asics.get(id);
  }

  /** What the meter must show, W: the target, or the site's floor when the target is below it. */
  private targetW(a: Active): number | null {
    const t = a.record.target;
    const want = 'targetMw' in t ? t.targetMw * 1e6 : a.record.baselineW === null ? null : a.record.baselineW - t.shedMw * 1e6;
    return want === null ? null : Math.max(want, a.record.floorW ?? 0);
  }

  private revenueReading(): MeterSample | null {
    for (const id of this.meterIds) {
      const r = this.o.live.reading(id);
      const w = r?.status === 'online' ? r.metrics.power_w : undefined;
      if (r && typeof w === 'number' && Number.isFinite(w) && w >= 0) return { atMs: r.atMs, loadW: w };
    }
    return null;
  }

  /**
   * An event's baseline now: an event that starts while another is moving load shares that
   * one's (the meter before this one shows the other's shed, not the site at rest); else the
   * meter's settled mean over the window (baseline.ts). Null when neither exists.
   */
  private baselineW(eventId: string, windowMs: number): number | null {
    const moving = [...this.active.values()].filter((o) => o.record.id !== eventId && o.record.baselineW !== null && ['shedding', 'meter-confirmed', 'restoring', 'aborted'].includes(o.record.status));
    const first = moving.sort((x, y) => signalAtMs(x.record) - signalAtMs(y.record))[0];
    return first ? first.record.baselineW : this.meter.meanW(this.now(), windowMs);
  }

  private siteLoadW(): number | null {
    return this.revenueReading()?.loadW ?? null;
  }
}
