import type { DeviceCommand } from '../agent-contract/device-command.ts';
import type { AsicModel } from '../domain/catalog.ts';
import type { DeviceLogEntry } from './event-record.ts';
import type { ShedDevice } from './restore-plan.ts';

/**
 * A shed device as the restore planner needs it, from the event record's row (or the command
 * it logged): the same facts live or after a restart. Pure. Draws come from the command (the
 * expected drop, the target), not from a reading, which a slept miner no longer gives; what is
 * missing (a model the catalog lacks) is left for the restore plan's stated fallbacks.
 */
export function shedDeviceFromRow(row: Pick<DeviceLogEntry, 'deviceId' | 'blockId' | 'action' | 'targetW' | 'expectedDeltaW' | 'sentAtMs'>, model: AsicModel | undefined, atMs = row.sentAtMs): ShedDevice {
  const dropW = Math.abs(row.expectedDeltaW);
  if (row.action === 'gpu-power-cap') {
    // A host's draw before was the cap plus the cut; its own limit is put back (the planner's default).
    const pre = row.targetW === undefined ? Number.NaN : row.targetW + dropW;
    return { deviceId: row.deviceId, blockId: row.blockId, shedAction: 'gpu-power-cap', preEventW: pre, currentW: row.targetW ?? Number.NaN, shedAtMs: atMs };
  }
  if (row.action === 'power-off') {
    // An outlet or coil: everything behind it drew the expected drop, and nothing now.
    return { deviceId: row.deviceId, blockId: row.blockId, shedAction: 'power-off', preEventW: dropW, currentW: 0, shedAtMs: atMs };
  }
  const base = { deviceId: row.deviceId, blockId: row.blockId, shedAtMs: atMs, ...(model ? { efficiencyJPerTh: model.efficiencyJPerTh } : {}) };
  if (row.action === 'set-power-target') {
    const current = row.targetW ?? Number.NaN;
    // Back to the model's nominal target; without a model, to the draw before the trim.
    return { ...base, shedAction: 'set-power-target', preEventW: current + dropW, currentW: current, restoreTargetW: model?.powerW ?? current + dropW };
  }
  const asleep = model?.sleepPowerW ?? 0;
  return { ...base, shedAction: 'sleep', preEventW: asleep + dropW, currentW: asleep };
}

/** The shed command a row logged (to rebuild the plan in force after a restart). */
export function commandFromRow(row: DeviceLogEntry): DeviceCommand {
  return { deviceId: row.deviceId, blockId: row.blockId, action: row.action, expectedDeltaW: row.expectedDeltaW, ...(row.targetW !== undefined ? { targetW: row.targetW } : {}) };
}
