import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import { asicCatalog } from '../../../services/domain/catalog.ts';
import type { MinerDevice } from '../../../services/domain/devices.ts';
import { errorMessage } from '../../../services/lib/errors.ts';
import type { DeviceDriver } from '../../device-driver.ts';
import { CgminerTransportError } from './client.ts';
import { minerFor } from './makes/index.ts';
import type { Miner } from './miner.ts';

/**
 * Miners as a poller DeviceDriver: telemetry through the dialect of the device's firmware.
 * Unreachable (refused, reset, timeout) is offline; a reply that cannot be used is error.
 * Miner objects are made once per device address and kept (they hold no connection).
 */
export function cgminerDriver(now: () => number = Date.now): DeviceDriver<MinerDevice> {
  const miners = new Map<string, { miner: Miner; device: MinerDevice }>();
  const catalog = asicCatalog();
  // Rebuilt when anything it is built from changes, so a device whose address changes is
  // not read at its old one.
  const minerOfDevice = (d: MinerDevice): Miner => {
    const kept = miners.get(d.id);
    if (kept !== undefined && kept.device.host === d.host && kept.device.port === d.port && kept.device.firmware === d.firmware && kept.device.model === d.model) return kept.miner;
    const model = catalog.get(d.model);
    const miner = minerFor(d.firmware, { host: d.host, port: d.port, ...(model === undefined ? {} : { model }) });
    miners.set(d.id, { miner, device: { ...d } });
    return miner;
  };
  return {
    kind: 'cgminer',
    deviceKind: 'miner',
    async read(device, { timeoutMs, signal }): Promise<Reading> {
      const base = { deviceId: device.id, kind: 'miner' as const, blockId: device.blockId };
      try {
        const { metrics, firmware } = await minerOfDevice(device).telemetry({ timeoutMs, signal });
        const labels: Record<string, string> = { model: device.model, firmware: device.firmware };
        if (firmware !== undefined) labels.firmware_version = firmware.slice(0, 256);
        // A miner that answers and hashes nothing is asleep (or still waking up): the control
        // plane counts it as sleeping, never as online, and does not plan to shed it again.
        if (metrics.hashrate_hs !== undefined) labels.mode = metrics.hashrate_hs === 0 ? 'sleeping' : 'mining';
        return { ...base, atMs: now(), status: 'online', metrics, labels };
      } catch (err) {
        const error = `polling miner ${device.id} at ${device.host}:${device.port}: ${errorMessage(err)}`.slice(0, 2000);
        return { ...base, atMs: now(), status: err instanceof CgminerTransportError ? 'offline' : 'error', error, metrics: {} };
      }
    },
  };
}
