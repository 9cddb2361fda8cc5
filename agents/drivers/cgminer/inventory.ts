import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import type { MinerDevice } from '../../../services/domain/devices.ts';
import { errorMessage } from '../../../services/lib/errors.ts';
import type { DeviceDriver } from '../../device-driver.ts';
import { cgminerCommand, CgminerTransportError } from './client.ts';
import { detectMake } from './detect.ts';
import { entries, requireSuccess } from './reply.ts';

/**
 * The slow tier for miners: `version` → labels (detected make, hardware type, firmware
 * version). Changes rarely, so it runs every few minutes and its labels ride along on the
 * telemetry readings.
 */
export function cgminerInventoryDriver(now: () => number = Date.now): DeviceDriver<MinerDevice> {
  return {
    kind: 'cgminer-inventory',
    deviceKind: 'miner',
    async read(device, { timeoutMs, signal }): Promise<Reading> {
      const base = { deviceId: device.id, kind: 'miner' as const, blockId: device.blockId };
      try {
        const reply = await cgminerCommand(device.host, device.port, { command: 'version' }, { timeoutMs, signal });
        const status = requireSuccess(reply);
        const v = entries(reply, 'VERSION')[0] ?? {};
        const labels: Record<string, string> = {};
        const make = detectMake(reply);
        if (make !== undefined) labels.detected_make = make;
        if (typeof v.Type === 'string') labels.hardware = v.Type.slice(0, 256);
        if (status.description !== undefined) labels.firmware_version = status.description.slice(0, 256);
        return { ...base, atMs: now(), status: 'online', metrics: {}, labels };
      } catch (err) {
        const error = `reading inventory of miner ${device.id} at ${device.host}:${device.port}: ${errorMessage(err)}`.slice(0, 2000);
        return { ...base, atMs: now(), status: err instanceof CgminerTransportError ? 'offline' : 'error', error, metrics: {} };
      }
    },
  };
}
