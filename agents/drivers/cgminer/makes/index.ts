import { cgminerCommand } from '../client.ts';
import { detectMake } from '../detect.ts';
import { minerOf, MinerCommandError, type Dialect, type IoOptions, type Miner, type MinerAddress, type MinerMake } from '../miner.ts';
import { antminer } from './antminer.ts';
import { avalon } from './avalon.ts';
import { braiins } from './braiins.ts';
import { luxos } from './luxos.ts';
import { whatsminer } from './whatsminer.ts';

export const DIALECTS: Readonly<Record<MinerMake, Dialect>> = { antminer, whatsminer, braiins, luxos, avalon };

export function minerFor(make: MinerMake, address: MinerAddress): Miner {
  return minerOf(DIALECTS[make], address);
}

/** `--make auto`: asks `version`, then `devdetails` if that did not tell. */
export async function detectMiner(address: MinerAddress, io: IoOptions): Promise<Miner> {
  const opts = { timeoutMs: io.timeoutMs, ...(io.signal === undefined ? {} : { signal: io.signal }) };
  const version = await cgminerCommand(address.host, address.port, { command: 'version' }, opts);
  let make = detectMake(version);
  if (make === undefined) make = detectMake(version, await cgminerCommand(address.host, address.port, { command: 'devdetails' }, opts));
  if (make === undefined) throw new MinerCommandError(`cannot tell the make of ${address.host}:${address.port} from its version/devdetails replies`);
  return minerFor(make, address);
}
