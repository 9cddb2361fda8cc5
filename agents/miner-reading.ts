import type { Reading } from '../services/domain/batch-schema.ts';
import type { MinerDevice } from '../services/domain/devices.ts';
import { errorMessage } from '../services/lib/errors.ts';
import { CgminerTransportError, cgminerCommand } from './drivers/cgminer/client.ts';
import { minerTelemetry } from './drivers/cgminer/normalise.ts';

/**
 * One miner → one Reading. A miner that cannot be reached is offline with the reason and
 * no metrics; one that answers with something unusable is in error. Never zeros.
 */
export async function readMiner(device: MinerDevice, timeoutMs: number, now: () => number = Date.now): Promise<Reading> {
  const base = { deviceId: device.id, kind: 'miner' as const, blockId: device.blockId };
  try {
    const reply = await cgminerCommand(device.host, device.port, { command: 'summary' }, { timeoutMs });
    const { metrics, firmware } = minerTelemetry(reply);
    const labels: Record<string, string> = { model: device.model, firmware: device.firmware };
    if (firmware !== undefined) labels.firmware_version = firmware.slice(0, 256);
    return { ...base, atMs: now(), status: 'online', metrics, labels };
  } catch (err) {
    const error = `polling miner ${device.id} at ${device.host}:${device.port}: ${errorMessage(err)}`.slice(0, 2000);
    return { ...base, atMs: now(), status: err instanceof CgminerTransportError ? 'offline' : 'error', error, metrics: {} };
  }
}
