import type { Reading } from '../services/agent-contract/batch-schema.ts';
import type { MinerDevice } from '../services/domain/devices.ts';
import { cgminerDriver } from './drivers/cgminer/driver.ts';

/**
 * One miner → one Reading, in its firmware's dialect. A miner that cannot be reached is
 * offline with the reason and no metrics; one that answers with something unusable is in
 * error. Never zeros. (The poller uses cgminerDriver directly; this is for one-off reads.)
 */
export async function readMiner(device: MinerDevice, timeoutMs: number, now: () => number = Date.now): Promise<Reading> {
  return cgminerDriver(now).read(device, { timeoutMs, signal: AbortSignal.timeout(timeoutMs + 1_000) });
}
