import type { EngineHost } from './engine-restore.ts';
import { freshActive, type Active } from './engine-types.ts';
import { addTimeline, type EventRecord } from './event-record.ts';
import type { EventControl } from './event-store.ts';
import { restoreSettled, shedRows, supersedePending } from './record-devices.ts';
import { commandFromRow, shedDeviceFromRow } from './shed-device.ts';

/**
 * Recovery: the record is the truth about devices (issue 10, finding 1). A control plane
 * killed during an event forgot which devices it had shed, shed more on restart, and at the end
 * woke only those. Here an open event is rebuilt from its device rows alone.
 */

/**
 * Takes an open event up again from its record after a restart: which devices it shed (and
 * has not put back) comes from its device rows, not from memory. Commands whose ack was lost
 * with the old process are marked failed and their devices driven again; the event then goes
 * on from its status (the supervisor restores a restoring or aborted one).
 */
export function resumeActive(h: EngineHost, stored: EventRecord, control: EventControl): Active {
  const now = h.now();
  const { record, superseded } = stored.status === 'planned' ? { record: stored, superseded: [] } : supersedePending(stored, now, 'no acknowledgement before the control plane restarted: state unknown, driven again');
  const a = freshActive(record, control);
  const held = [...shedRows(record).values()].filter((r) => !restoreSettled(r) || r.last.outcome === 'failed');
  for (const r of held) {
    a.shed.set(r.shed.deviceId, shedDeviceFromRow(r.shed, h.modelOf(r.shed.deviceId), r.shed.ackAtMs ?? r.shed.sentAtMs));
    if (r.shed.outcome === 'failed') a.failed.add(r.shed.deviceId);
  }
  h.arbiter.claim(record.id, control.priority, held.map((r) => r.shed.deviceId), { allowAi: record.allowAi });
  if (record.status === 'shedding' || record.status === 'meter-confirmed') {
    const commands = held.map((r) => commandFromRow(r.shed));
    const shedW = commands.reduce((sum, c) => sum - c.expectedDeltaW, 0);
    a.plan = { requiredShedW: shedW, allowAi: record.allowAi, commands, expectedShedW: shedW, shortfallW: 0, byBlock: {}, excludedDeviceIds: [...a.failed] };
    // Top-ups wait a confirm window from here: the meter needs time to show the state.
    a.lastAckAtMs = now;
  }
  if (record.status !== 'planned') {
    h.update(a, addTimeline(a.record, [{ kind: 'resumed', atMs: now, detail: `after a restart: ${held.length} devices shed per the record, ${superseded.length} commands without an ack driven again` }]));
    h.flush(a);
  }
  h.o.log.warn({ eventId: record.id, status: record.status, shed: held.length, unacked: superseded.length }, 'resuming a curtailment event after a restart');
  return a;
}
