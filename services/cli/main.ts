import { Command, CommanderError } from 'commander';
import { isAddrInUse } from '../lib/addr-in-use.ts';

type Register = (program: Command) => void;

/**
 * Each command, loaded only when it runs: `switchyard agent` on a small box beside the miners
 * then never loads the control plane, the finance engine or the solver (measured: ~30 MB of
 * RSS, 1 KB per miner of a 30,500-miner agent). Help and unknown commands load them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  start: async () => (await import('./commands/start.ts')).registerStart,
  serve: async () => (await import('./commands/serve.ts')).registerServe,
  hashprice: async () => (await import('./commands/hashprice.ts')).registerHashprice,
  twin: async () => (await import('./commands/twin.ts')).registerTwin,
  agent: async () => (await import('./commands/agent.ts')).registerAgent,
  plan: async () => (await import('./commands/plan.ts')).registerPlan,
  backtest: async () => (await import('./commands/backtest.ts')).registerBacktest,
  allocate: async () => (await import('./commands/allocate.ts')).registerAllocate,
  finance: async () => (await import('./commands/finance.ts')).registerFinance,
  curtail: async () => (await import('./commands/curtail.ts')).registerCurtail,
  probe: async () => (await import('./commands/probe.ts')).registerProbe,
  profiles: async () => (await import('./commands/profiles.ts')).registerProfiles,
  tenants: async () => (await import('./commands/tenants.ts')).registerTenants,
  economics: async () => (await import('./commands/economics.ts')).registerEconomics,
  simulate: async () => (await import('./commands/simulate.ts')).registerSimulate,
  tokens: async () => (await import('./commands/tokens.ts')).registerTokens,
};

/** Builds the CLI (only `command` when it names one); each command lives in its own file under commands/. */
export async function buildCli(command?: string): Promise<Command> {
  const program = new Command('switchyard')
    .description('Switchyard: run mining sites turning megawatts into AI capacity')
    .showHelpAfterError()
    .exitOverride();
  const load = command !== undefined && Object.hasOwn(COMMANDS, command) ? [COMMANDS[command] as () => Promise<Register>] : Object.values(COMMANDS);
  for (const register of await Promise.all(load.map((l) => l()))) register(program);
  return program;
}

/** Exit status when a port the command must listen on is taken (1: any other failure). */
export const EXIT_ADDRESS_IN_USE = 3;

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildCli(argv[2])).parseAsync(argv);
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
