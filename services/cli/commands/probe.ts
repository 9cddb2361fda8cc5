import type { Command } from 'commander';
import { registerProbeMiner } from './probe/miner.ts';
import { registerProbeModbus } from './probe/modbus.ts';
import { registerProbeNvidiaSmi } from './probe/nvidia-smi.ts';
import { registerProbeSnmp } from './probe/snmp.ts';

/**
 * `switchyard probe <protocol>`: talk to one device once and print what the agent would read.
 * Each protocol registers its subcommand from probe/<protocol>.ts and loads its driver inside
 * its action, so building the CLI stays cheap.
 */
export function registerProbe(program: Command): void {
  const probe = program.command('probe').description('read one device once over its protocol and print normalised readings');
  registerProbeModbus(probe);
  registerProbeSnmp(probe);
  registerProbeMiner(probe);
  registerProbeNvidiaSmi(probe);
}
