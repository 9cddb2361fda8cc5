import { hostname } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { numberOption } from '../../../services/lib/number-option.ts';

interface ProbeNvidiaOptions {
  nvidiaSmi: string;
  timeoutMs: number;
  format: 'csv' | 'xml';
  host: string;
}

/**
 * `switchyard probe nvidia-smi`: runs nvidia-smi once under its deadline and prints the
 * normalised readings as JSON, as the agent would ship them. Exit 1 with the reason when
 * nvidia-smi fails or its output cannot be parsed.
 */
export function registerProbeNvidiaSmi(probe: Command): void {
  probe
    .command('nvidia-smi')
    .description("read this host's NVIDIA GPUs once and print normalised readings (JSON)")
    .option('--nvidia-smi <path>', 'nvidia-smi executable', 'nvidia-smi')
    .option('--timeout-ms <N>', 'deadline for the call, ms', numberOption('--timeout-ms', { positive: true, integer: true }), 5_000)
    .option('--format <csv|xml>', 'query with --query-gpu (csv) or -q -x (xml)', format, 'csv')
    .option('--host <name>', 'host name for GPUs without a UUID', hostname())
    .action(async (opts: ProbeNvidiaOptions) => {
      // Loaded here so commands that do not probe never pay for execa and the parsers.
      const { gatherGpus } = await import('./gather.ts');
      const readings = await gatherGpus({ path: opts.nvidiaSmi, timeoutMs: opts.timeoutMs, format: opts.format, host: opts.host });
      process.stdout.write(`${JSON.stringify({ host: opts.host, gpus: readings.length, readings }, null, 2)}\n`);
    });
}

function format(raw: string): 'csv' | 'xml' {
  if (raw !== 'csv' && raw !== 'xml') throw new InvalidArgumentError('--format must be csv or xml');
  return raw;
}
