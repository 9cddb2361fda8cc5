import { CgminerTransportError } from './client.ts';
import { detectMiner, minerFor } from './makes/index.ts';
import type { MinerAddress, MinerMake } from './miner.ts';
import { asicCatalog } from '../../../services/domain/catalog.ts';
import { errorMessage } from '../../../services/lib/errors.ts';

/** What `switchyard probe miner` prints. Offline is a status with the reason, never zeros. */
export interface MinerProbeResult {
  address: string;
  make: MinerMake | undefined;
  status: 'online' | 'offline' | 'error';
  metrics: Record<string, number>;
  firmware?: string;
  powerRangeW?: { min: number; max: number };
  error?: string;
}

export async function probeMiner(o: { host: string; port: number; make: MinerMake | 'auto'; timeoutMs: number; model?: string }): Promise<MinerProbeResult> {
  const addressText = `${o.host}:${o.port}`;
  const model = o.model === undefined ? undefined : asicCatalog().get(o.model);
  if (o.model !== undefined && model === undefined) throw new Error(`ASIC model "${o.model}" is not in the catalog`);
  const address: MinerAddress = { host: o.host, port: o.port, ...(model === undefined ? {} : { model }) };
  let make: MinerMake | undefined = o.make === 'auto' ? undefined : o.make;
  try {
    const miner = make === undefined ? await detectMiner(address, { timeoutMs: o.timeoutMs }) : minerFor(make, address);
    make = miner.make;
    const { metrics, firmware } = await miner.telemetry({ timeoutMs: o.timeoutMs });
    return {
      address: addressText,
      make,
      status: 'online',
      metrics,
      ...(firmware === undefined ? {} : { firmware }),
      ...(model === undefined ? {} : { powerRangeW: { min: model.minPowerW, max: model.maxPowerW } }),
    };
  } catch (err) {
    return { address: addressText, make, status: err instanceof CgminerTransportError ? 'offline' : 'error', metrics: {}, error: errorMessage(err) };
  }
}
