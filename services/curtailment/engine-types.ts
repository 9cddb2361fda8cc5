import type { DeviceCommand } from '../agent-contract/device-command.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import { ContextError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { JobQueue } from '../queue/index.ts';
import type { LiveState } from '../telemetry/live-state.ts';
import type { CommandHub } from './command-hub.ts';
import type { EventRecord, EventStatus } from './event-record.ts';
import type { EventControl, EventRecords } from './event-store.ts';
import type { RestoreHoldSeconds } from './hysteresis.ts';
import type { InrushStep, ShedDevice } from './restore-plan.ts';
import type { ShedPlan } from './shed-plan.ts';
import type { TimeBounds } from './time-bounds.ts';
import type { SleepPlanOrder } from './shed-plan-fast.ts';

/** The curtailment engine's jobs, options and per-event working state (engine.ts). */

export type CurtailJob =
  | { kind: 'start'; eventId: string }
  | { kind: 'send'; eventId: string; batchId: string }
  | { kind: 'restore'; eventId: string }
  | { kind: 'restore-wave'; eventId: string; wave: number; round?: number };

export interface EngineOptions {
  site: SiteFile;
  /** Where events are kept (SQLite or PostgreSQL, event-store.ts); every change is written through. */
  events: EventRecords;
  /** This control plane's id on the leases of the events it drives (default random). */
  instanceId?: string;
  /** How long a lease holds without renewal, ms (default 15 s); renewed every third of it. */
  leaseMs?: number;
  /**
   * This engine is alone on its store (SQLite, one instance per file; default true): at start
   * it takes every open event whoever held it. Otherwise (several instances on PostgreSQL) it
   * takes an event only when its lease is free or expired.
   */
  exclusive?: boolean;
  live: LiveState;
  hub: CommandHub;
  queue: JobQueue<CurtailJob>;
  log: Logger;
  now?: () => number;
  /** Per-device deadline for one try, ms (default 5000: a web-API sleep takes two requests), and tries (default 2). */
  deviceTimeoutMs?: number;
  attempts?: number;
  /** The meter counts as on target within this much above it, W (default max(1% of baseline, 50 kW)). */
  toleranceW?: number;
  /** After the last ack, how long the meter may take to show the target before more is shed (default 15 s). */
  confirmWindowMs?: number;
  /** How long a batch waits for its agent to (re)connect before its devices count as failed (default 60 s). */
  agentWaitMs?: number;
  /** Rounds of extra shedding on a meter shortfall (default 3). */
  maxTopUps?: number;
  restore?: { rampMwPerMin: number; staggerMs: number; minOffMs: number };
  supervisorMs?: number;
  /** Revenue-meter samples kept for baselines, ms (default 15 min). */
  baselineWindowMs?: number;
  /** How long after another event's last command or ack the meter is left out of baselines, ms (default 120 s: miners boot and ramp). */
  baselineSettleMs?: number;
  /** Start horizon and longest event (default: SWITCHYARD_CURTAILMENT_HORIZON_HOURS / _MAX_HOURS, 7 days / 24 h). */
  bounds?: TimeBounds;
  /** How long an event that starts before the first revenue-meter reading waits for it, ms (default 60 s). */
  meterWaitMs?: number;
  /** Restore hold per program, s (default: the site file's curtailment.restoreHoldSeconds). */
  restoreHoldSeconds?: RestoreHoldSeconds;
  /** Restore rounds for devices whose restore failed or that were shed late, before the failure stands (default 3). */
  restoreRounds?: number;
  /** Pause before such a round, ms (default 5 s: an agent reconnecting, a miner rebooting). */
  restoreRetryMs?: number;
  /** Each actuator's inrush limit (services/platform/actuator-limits.ts); without one, its channels cannot be powered on by plan. */
  inrushLimits?: ReadonlyMap<string, InrushStep>;
  /** How long a power-on waits for the miners behind it to report again before the event notes who did not (default 3 min). */
  bootCheckMs?: number;
  /**
   * 'fast' (default): the cheapest commands per watt first, then a swap toward least efficient
   * once the meter confirms (shed-plan-fast.ts); 'efficient': least efficient first from the start.
   */
  sleepPlan?: SleepPlanOrder;
}

export interface Batch {
  batchId: string;
  agentId: string;
  phase: 'shed' | 'restore';
  commands: DeviceCommand[];
  queuedAtMs: number;
  /** Held because the agent was not connected (logged once). */
  waiting?: boolean;
  sentAtMs: number | null;
  /** When the last of its devices was acknowledged (acks come in chunks). */
  ackedAtMs: number | null;
  acks: number;
  /** The event's write (flush) that logged this batch's commands: sent only once it is stored. */
  needsWrite: number;
  /** Waiting for that write (logged once). */
  awaitingWrite?: boolean;
}

export interface Active {
  record: EventRecord;
  control: EventControl;
  plan: ShedPlan | null;
  batches: Map<string, Batch>;
  /** Devices this event shed and that acknowledged: what restore puts back. */
  shed: Map<string, ShedDevice>;
  failed: Set<string>;
  lastAckAtMs: number | null;
  topUps: number;
  over: number;
  waves: { atMs: number; commands: DeviceCommand[]; sent: boolean; deferred?: boolean }[] | null;
  /** When each actuator last had outlets or coils switched on (its inrush interval runs from there). */
  lastPowerOnMs?: Map<string, number>;
  /** Restore rounds planned so far (a round re-drives what the last one did not put back). */
  restoreRounds: number;
  /** Logged that the start waits for the first meter reading. */
  waitingForMeter: boolean;
  /** Since when a restore has waited for any agent to connect. */
  noAgentSinceMs?: number;
  /** Since when a finished power-on has waited for the miners behind it to report (hard cuts). */
  bootWaitSinceMs?: number | undefined;
  /** The swap toward least efficient after a fast plan is confirmed (engine-swap.ts). */
  swap?: SwapState;
  dirty: boolean;
  /** Write-through to the store: writes run in order on this chain; writeSeq counts them queued, savedSeq stored. */
  writes: Promise<void>;
  /** Writes queued or running on that chain. */
  inFlight: number;
  writeSeq: number;
  savedSeq: number;
}

/** The swap toward least efficient after a fast plan is confirmed (engine-swap.ts). */
export interface SwapState {
  /** The less efficient miners slept first. */
  sleepIds: string[];
  /** The efficient sleepers to wake once those sleeps cover them, in order. */
  wakes: DeviceCommand[];
  woken: boolean;
}

export const TERMINAL: readonly EventStatus[] = ['done', 'aborted', 'failed'];

export class EngineError extends ContextError {
  constructor(message: string) {
    super('E_CURTAILMENT', message);
    this.name = 'EngineError';
  }
}


export function freshActive(record: EventRecord, control: EventControl): Active {
  return { record, control, plan: null, batches: new Map(), shed: new Map(), failed: new Set(), lastAckAtMs: null, topUps: 0, over: 0, waves: null, restoreRounds: 0, waitingForMeter: false, dirty: false, writes: Promise.resolve(), inFlight: 0, writeSeq: 0, savedSeq: 0 };
}
