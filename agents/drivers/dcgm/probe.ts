import { hostname } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';

interface ProbeDcgmOptions {
  url: string;
  timeoutMs: number;
  host: string;
}

/**
 * `switchyard probe dcgm --url http://host:9400/metrics`: reads one dcgm-exporter page once
 * and prints the normalised readings as JSON (as the agent would ship them) and any lines
 * left out. Exit 1 with the reason when the exporter does not answer.
 */
export function registerProbeDcgm(probe: Command): void {
  probe
    .command('dcgm')
    .description("read a host's GPUs once through dcgm-exporter and print normalised readings (JSON)")
    .requiredOption('--url <URL>', "the exporter's metrics URL, e.g. http://10.0.0.5:9400/metrics", (v: string) => {
      if (!/^https?:\/\//.test(v)) throw new InvalidArgumentError('--url must be an http(s) URL');
      return v;
    })
    .option('--timeout-ms <N>', 'deadline for the GET, ms', (v: string) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('--timeout-ms must be a whole number of ms > 0');
      return n;
    }, 5_000)
    .option('--host <name>', 'host name for GPUs without a UUID', hostname())
    .action(async (opts: ProbeDcgmOptions) => {
      // Loaded here so commands that do not probe never pay for the parser.
      const { fetchDcgmPage } = await import('./driver.ts');
      const { parseDcgmPage } = await import('./parse.ts');
      const { normaliseGpus } = await import('../nvidia-smi/normalise.ts');
      const page = await fetchDcgmPage(opts.url, { timeoutMs: opts.timeoutMs, signal: new AbortController().signal });
      const { gpus, errors } = parseDcgmPage(page);
      const readings = normaliseGpus(gpus, { host: opts.host, atMs: Date.now() });
      process.stdout.write(`${JSON.stringify({ host: opts.host, gpus: readings.length, linesLeftOut: errors, readings }, null, 2)}\n`);
    });
}
