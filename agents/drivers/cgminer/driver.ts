import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import type { MinerDevice } from '../../../services/domain/devices.ts';
import { errorMessage } from '../../../services/lib/errors.ts';
import type { DeviceDriver } from '../../device-driver.ts';
import { Interned } from '../../interned.ts';
import { CgminerTransportError } from './client.ts';
import { minerFor } from './makes/index.ts';

/**
 * Miners as a poller DeviceDriver: telemetry through the dialect of the device's firmware.
 * Unreachable (refused, reset, timeout) is offline; a reply that cannot be used is error.
 * Nothing is kept per device between reads (a read makes its Miner and drops it), and the
 * texts a reading keeps are shared (Interned), so the driver's memory does not grow with the
 * fleet beyond the readings themselves.
 */
export function cgminerDriver(now: () => number = Date.now): DeviceDriver<MinerDevice> {
  const texts = new Interned();
  return {
    kind: 'cgminer',
    deviceKind: 'miner',
    async read(device, { timeoutMs, signal }): Promise<Reading> {
      try {
        const { metrics, firmware } = await minerFor(device.firmware, { host: device.host, port: device.port }).telemetry({ timeoutMs, signal });
        const labels: Record<string, string> = { model: device.model, firmware: device.firmware };
        if (firmware !== undefined) labels.firmware_version = texts.of(firmware.slice(0, 256));
        // A miner that answers and hashes nothing is asleep (or still waking up): the control
        // plane counts it as sleeping, never as online, and does not plan to shed it again.
        if (metrics.hashrate_hs !== undefined) labels.mode = metrics.hashrate_hs === 0 ? 'sleeping' : 'mining';
        return { deviceId: device.id, kind: 'miner', blockId: device.blockId, atMs: now(), status: 'online', metrics, labels };
      } catch (err) {
        const error = `polling miner ${device.id} at ${device.host}:${device.port}: ${errorMessage(err)}`.slice(0, 2000);
        return { deviceId: device.id, kind: 'miner', blockId: device.blockId, atMs: now(), status: err instanceof CgminerTransportError ? 'offline' : 'error', error, metrics: {} };
      }
    },
  };
}
