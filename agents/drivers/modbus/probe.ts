import { InvalidArgumentError, type Command } from 'commander';

/**
 * `switchyard probe modbus HOST:PORT --unit N --profile NAME [--timeout-ms N]`: one read of a
 * meter through a profile from agents/profiles/modbus (SunSpec profiles find their model
 * first), printed as normalised JSON. The driver is loaded inside the action.
 */
interface ProbeModbusOptions {
  unit: number;
  profile: string;
  timeoutMs: number;
}

export function parseModbusAddress(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[2] === undefined ? 502 : Number(m[2]);
  if (m === null || port < 1 || port > 65535) throw new InvalidArgumentError(`expected HOST[:PORT] (port 1–65535, default 502), got "${text}"`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

function intIn(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer ${min}–${max}, got "${text}"`);
    return n;
  };
}

export function registerProbeModbus(probe: Command): void {
  probe
    .command('modbus')
    .description('read one Modbus TCP device through a register profile and print normalised readings as JSON')
    .argument('<host:port>', 'device or gateway address, e.g. 10.0.2.5:502', parseModbusAddress)
    .requiredOption('--unit <n>', 'Modbus unit id (0–255)', intIn(0, 255))
    .requiredOption('--profile <name>', 'profile in agents/profiles/modbus, e.g. schneider-pm5xxx, sunspec-203')
    .option('--timeout-ms <ms>', 'deadline per request (connect and each read)', intIn(1, 600_000), 3000)
    .action(async (address: { host: string; port: number }, opts: ProbeModbusOptions) => {
      const { probeModbus } = await import('./probe-read.ts');
      const result = await probeModbus({ ...address, unitId: opts.unit, profile: opts.profile, timeoutMs: opts.timeoutMs });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (result.status !== 'online') process.exitCode = 1;
    });
}
