import type { Command } from 'commander';
import { DRIVERS } from '../../../agents/drivers/registry.ts';

/**
 * `switchyard probe <protocol>`: talk to one device once and print what the agent would read.
 * Each driver in agents/drivers/registry.ts registers its subcommand (agents/drivers/<protocol>/
 * probe.ts), which loads the driver inside its action.
 */
export function registerProbe(program: Command): void {
  const probe = program.command('probe').description('read one device once over its protocol and print normalised readings');
  for (const driver of DRIVERS) driver.probe.register(probe);
}
