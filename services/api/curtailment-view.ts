import type { EventRecord, EventStatus } from '../curtailment/event-record.ts';

/**
 * Curtailment in force, for the pages (GET /api/site, /api/live, GET /api/plan): which events
 * hold devices off now and, per block, how many devices each holds. Read from the engine's
 * event records, so the page says what the record says: a device is held off from its shed
 * command until a restore of it is acknowledged (a failed restore keeps it held: it is still
 * off). Computed at most once a second, since /api/site may be asked hundreds of times a second.
 */

/** The engine's reads this needs (CurtailmentEngine has them). */
export interface CurtailmentReads {
  list(limit?: number): ReadonlyArray<{ id: string; status: EventStatus }>;
  get(eventId: string): EventRecord | undefined;
}

export interface EventInForce {
  eventId: string;
  status: EventStatus;
  program: string;
  programName: string | null;
  /** What was asked: a site load to reach or a shed amount, MW. */
  targetMw: number | null;
  shedMw: number | null;
  /** Devices this event holds off now (commanded off, not yet restored). */
  devicesHeld: number;
  /** Where the event says the site stands (latest plan or hold note), null when none. */
  note: string | null;
  /**
   * The target is below what the site can reach: the lowest load it can reach, MW, where the
   * event holds, and why (the engine's `floor` entry); null when the target is reachable.
   */
  floorMw: number | null;
  floorReason: string | null;
}

export interface BlockCurtailment {
  eventId: string;
  status: EventStatus;
  devicesHeld: number;
}

export interface CurtailmentInForce {
  events: EventInForce[];
  byBlock: Map<string, BlockCurtailment[]>;
  /** Every device held off now → its block (to split block power into the curtailed band). */
  heldDevices: Map<string, string>;
}

const FINAL_CLEAN: ReadonlySet<EventStatus> = new Set(['done', 'failed']);
/** How many recent events are looked at: a site has a handful at once, never dozens. */
const RECENT_EVENTS = 20;

/** Devices an event holds off now, with their blocks: the last entry per device decides. */
export function heldDevices(record: EventRecord): Map<string, string> {
  const held = new Map<string, string>();
  for (const d of record.devices) {
    if (d.phase === 'shed') {
      if (d.outcome === 'failed') held.delete(d.deviceId);
      else held.set(d.deviceId, d.blockId);
    } else if (d.outcome === 'acked') held.delete(d.deviceId);
  }
  return held;
}

/** The engine's floor: EventRecord.floorW and the latest `floor` timeline entry (why). */
function floorOf(record: EventRecord): { floorMw: number | null; floorReason: string | null } {
  let reason: string | null = null;
  for (let i = record.timeline.length - 1; i >= 0 && reason === null; i--) {
    const e = record.timeline[i]!;
    if (e.kind === 'floor') reason = e.detail ?? null;
  }
  return { floorMw: record.floorW === undefined ? null : record.floorW / 1e6, floorReason: reason };
}

function noteOf(record: EventRecord): string | null {
  for (let i = record.timeline.length - 1; i >= 0; i--) {
    const e = record.timeline[i]!;
    if (e.kind === 'ack') continue;
    if (e.detail) return e.detail;
  }
  return null;
}

export function curtailmentInForce(reads: CurtailmentReads): CurtailmentInForce {
  const events: EventInForce[] = [];
  const byBlock = new Map<string, BlockCurtailment[]>();
  const held = new Map<string, string>();
  for (const summary of reads.list(RECENT_EVENTS)) {
    // A done event has put everything back; a failed one is reported on its own. An aborted
    // event may still be restoring, so what it holds decides.
    if (FINAL_CLEAN.has(summary.status) || summary.status === 'planned') continue;
    const record = reads.get(summary.id);
    if (!record) continue;
    const devices = heldDevices(record);
    if (devices.size === 0 && (summary.status === 'aborted' || summary.status === 'restoring')) continue;
    const perBlock = new Map<string, number>();
    for (const [deviceId, blockId] of devices) {
      perBlock.set(blockId, (perBlock.get(blockId) ?? 0) + 1);
      if (!held.has(deviceId)) held.set(deviceId, blockId);
    }
    for (const [blockId, n] of perBlock) {
      let list = byBlock.get(blockId);
      if (!list) byBlock.set(blockId, (list = []));
      list.push({ eventId: record.id, status: record.status, devicesHeld: n });
    }
    events.push({
      eventId: record.id,
      status: record.status,
      program: record.program,
      programName: record.programName ?? null,
      targetMw: 'targetMw' in record.target ? record.target.targetMw : null,
      shedMw: 'shedMw' in record.target ? record.target.shedMw : null,
      devicesHeld: devices.size,
      note: noteOf(record),
      ...floorOf(record),
    });
  }
  return { events, byBlock, heldDevices: held };
}

export const NONE_IN_FORCE: CurtailmentInForce = { events: [], byBlock: new Map(), heldDevices: new Map() };
