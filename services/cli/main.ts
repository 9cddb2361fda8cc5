import { Command, CommanderError } from 'commander';
import { isAddrInUse } from '../lib/addr-in-use.ts';
import { registerAgent } from './commands/agent.ts';
import { registerAllocate } from './commands/allocate.ts';
import { registerBacktest } from './commands/backtest.ts';
import { registerCurtail } from './commands/curtail.ts';
import { registerEconomics } from './commands/economics.ts';
import { registerFinance } from './commands/finance.ts';
import { registerHashprice } from './commands/hashprice.ts';
import { registerPlan } from './commands/plan.ts';
import { registerProbe } from './commands/probe.ts';
import { registerProfiles } from './commands/profiles.ts';
import { registerServe } from './commands/serve.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerStart } from './commands/start.ts';
import { registerTenants } from './commands/tenants.ts';
import { registerTwin } from './commands/twin.ts';
import { registerTokens } from './commands/tokens.ts';

/** Builds the CLI; each command lives in its own file under commands/. */
export function buildCli(): Command {
  const program = new Command('switchyard')
    .description('Switchyard: run mining sites turning megawatts into AI capacity')
    .showHelpAfterError()
    .exitOverride();
  registerStart(program);
  registerServe(program);
  registerHashprice(program);
  registerTwin(program);
  registerAgent(program);
  registerPlan(program);
  registerBacktest(program);
  registerAllocate(program);
  registerFinance(program);
  registerCurtail(program);
  registerProbe(program);
  registerProfiles(program);
  registerTenants(program);
  registerEconomics(program);
  registerSimulate(program);
  registerTokens(program);
  return program;
}

/** Exit status when a port the command must listen on is taken (1: any other failure). */
export const EXIT_ADDRESS_IN_USE = 3;

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isAddrInUse(err)) {
      process.stderr.write(`switchyard: ${err instanceof Error ? err.message : String(err)} (another Switchyard on this machine? choose free ports: --port/PORT, SWITCHYARD_TWIN_MINER_PORT, SWITCHYARD_TWIN_METER_PORT; see infra/ENVIRONMENT.md)\n`);
      return EXIT_ADDRESS_IN_USE;
    }
    process.stderr.write(`switchyard: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
