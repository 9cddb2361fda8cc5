import { InvalidArgumentError, Option, type Command } from 'commander';
import { numberOption } from '../../../services/lib/number-option.ts';
import { MINER_MAKES } from './miner.ts';

/**
 * `switchyard probe miner HOST:PORT [--make auto|antminer|…]`: one telemetry read over the
 * cgminer API in the make's dialect, printed as normalised JSON (base units, missing
 * metrics left out). The driver is loaded inside the action so building the CLI stays cheap.
 */
const MAKES = ['auto', ...MINER_MAKES] as const;

interface ProbeMinerOptions {
  make: (typeof MAKES)[number];
  timeout: number;
  model?: string;
}

export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[2] === undefined ? 4028 : Number(m[2]);
  if (m === null || port < 1 || port > 65535) throw new InvalidArgumentError(`expected HOST[:PORT] (port 1–65535, default 4028), got "${text}"`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

export function registerProbeMiner(probe: Command): void {
  probe
    .command('miner')
    .description('read one miner over the cgminer API (port 4028) and print normalised readings as JSON')
    .argument('<host:port>', 'miner address, e.g. 10.0.1.17:4028', parseHostPort)
    .addOption(new Option('--make <make>', 'firmware dialect').choices(MAKES).default('auto'))
    .option('--timeout <ms>', 'deadline for the whole read', numberOption('--timeout', { positive: true, integer: true }), 3000)
    .option('--model <id>', 'ASIC catalog model id (adds the allowed power range to the output)')
    .action(async (address: { host: string; port: number }, opts: ProbeMinerOptions) => {
      const { probeMiner } = await import('./probe-read.ts');
      const result = await probeMiner({ ...address, make: opts.make, timeoutMs: opts.timeout, ...(opts.model === undefined ? {} : { model: opts.model }) });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (result.status !== 'online') process.exitCode = 1;
    });
}
