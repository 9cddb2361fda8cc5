import type { DeviceLogEntry, EventRecord } from './event-record.ts';

/**
 * What an event's record says about its devices. Pure. The record, not the engine's memory,
 * is the truth after a restart: a device the event sent a shed command to is shed until a
 * restore command for it is acknowledged or reported failed with a reason.
 *
 * A shed command still pending (no ack before a crash) or failed (a timeout may come after the
 * miner obeyed) counts as shed too: waking a miner that is awake is harmless, leaving one
 * asleep is not.
 */

export interface ShedRow {
  /** The device's latest shed command. */
  shed: DeviceLogEntry;
  /** Its latest command of either phase. */
  last: DeviceLogEntry;
}

/** Per device the event commanded to shed: its latest shed row and latest row. */
export function shedRows(record: EventRecord): Map<string, ShedRow> {
  const out = new Map<string, ShedRow>();
  for (const d of record.devices) {
    const seen = out.get(d.deviceId);
    if (d.phase === 'shed') out.set(d.deviceId, { shed: d, last: d });
    else if (seen) seen.last = d;
  }
  return out;
}

/** Whether this device's restore is settled: acked, or failed with a reason. */
export function restoreSettled(row: ShedRow): boolean {
  return row.last.phase === 'restore' && row.last.outcome !== 'pending';
}

/** Devices the event shed whose restore is not settled: what must be put back before it may close. */
export function unrestored(record: EventRecord): ShedRow[] {
  return [...shedRows(record).values()].filter((r) => !restoreSettled(r));
}

/** A restore row's error when no command could be made: retrying cannot help. */
export const NOT_RESTORABLE = 'not restored: ';

/**
 * What a restore round puts back: the unrestored devices and, on a retry, those whose restore
 * failed for a reason a retry may cure (a timeout, an agent away).
 */
export function toPutBack(record: EventRecord, retryFailed: boolean): ShedRow[] {
  return [...shedRows(record).values()].filter(
    (r) => !restoreSettled(r) || (retryFailed && r.last.phase === 'restore' && r.last.outcome === 'failed' && !(r.last.error ?? '').startsWith(NOT_RESTORABLE)),
  );
}

/**
 * Marks every pending command failed with `reason` (a restart lost their acks): the device's
 * state is unknown, so the engine re-drives it. A later ack for such a row finds nothing
 * pending and is ignored.
 */
export function supersedePending(record: EventRecord, atMs: number, reason: string): { record: EventRecord; superseded: DeviceLogEntry[] } {
  const superseded: DeviceLogEntry[] = [];
  const devices = record.devices.map((d) => {
    if (d.outcome !== 'pending') return d;
    superseded.push(d);
    return { ...d, outcome: 'failed' as const, ackAtMs: Math.max(atMs, d.sentAtMs), error: reason };
  });
  return superseded.length ? { record: { ...record, devices }, superseded } : { record, superseded };
}

/**
 * Devices another event shed that this one takes over (a higher-priority event adopts them):
 * written as already-acked shed rows, so after a restart this event's record, not only the
 * memory of the adoption, says it holds them and must put them back.
 */
export function adoptRows(record: EventRecord, rows: readonly DeviceLogEntry[], atMs: number): EventRecord {
  if (!rows.length) return record;
  const adopted = rows.map((r): DeviceLogEntry => {
    const row: DeviceLogEntry = { deviceId: r.deviceId, blockId: r.blockId, phase: 'shed', action: r.action, expectedDeltaW: r.expectedDeltaW, sentAtMs: atMs, ackAtMs: atMs, outcome: 'acked' };
    if (r.targetW !== undefined) row.targetW = r.targetW;
    return row;
  });
  return { ...record, devices: [...record.devices, ...adopted] };
}
