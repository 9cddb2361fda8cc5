import { InvalidArgumentError, type Command } from 'commander';

interface ProbeSnmpOptions {
  community: string;
  profile: string;
  deviceId?: string;
  v3User?: string;
  authProtocol: 'sha' | 'sha256';
  authKey?: string;
  privProtocol: 'aes' | 'aes256';
  privKey?: string;
  timeoutMs: number;
  retries: number;
}

/**
 * `switchyard probe snmp HOST:PORT --profile NAME`: reads one device once through its SNMP
 * profile (agents/profiles/snmp/NAME.yaml), v2c by community or v3 authPriv, and prints the
 * normalised Reading as JSON, with the metrics the device reported as unsupported. A device
 * that does not answer prints an offline Reading with the reason and exits 1.
 */
export function registerProbeSnmp(probe: Command): void {
  probe
    .command('snmp')
    .description('read one SNMP device once through a profile and print normalised readings (JSON)')
    .argument('<host:port>', 'agent address, e.g. 10.0.4.21:161')
    .requiredOption('--profile <name>', 'profile in agents/profiles/snmp, e.g. apc-rpdu2')
    .option('--community <c>', 'SNMPv2c community', 'public')
    .option('--device-id <id>', 'device id in the reading (default: the address)')
    .option('--v3-user <name>', 'SNMPv3 user (authPriv); needs --auth-key and --priv-key')
    .option('--auth-protocol <sha|sha256>', 'SNMPv3 authentication protocol', choice('--auth-protocol', ['sha', 'sha256']), 'sha')
    .option('--auth-key <key>', 'SNMPv3 authentication pass phrase')
    .option('--priv-protocol <aes|aes256>', 'SNMPv3 privacy protocol', choice('--priv-protocol', ['aes', 'aes256']), 'aes')
    .option('--priv-key <key>', 'SNMPv3 privacy pass phrase')
    .option('--timeout-ms <N>', 'per-request timeout, ms', wholeNumber('--timeout-ms', 1), 2_000)
    .option('--retries <N>', 'retries per request', wholeNumber('--retries', 0), 1)
    .action(async (address: string, opts: ProbeSnmpOptions) => {
      // Loaded here so commands that do not probe never pay for net-snmp.
      const { loadProfile } = await import('./profile.ts');
      const { readProfile, toReading } = await import('./read.ts');
      const { parseHostPort, SnmpClient } = await import('./session.ts');
      let hostPort: { host: string; port: number };
      try {
        hostPort = parseHostPort(address);
      } catch (err) {
        throw new Error(`probe snmp: ${(err as Error).message}`, { cause: err });
      }
      if (opts.v3User !== undefined && (opts.authKey === undefined || opts.privKey === undefined)) {
        throw new Error('probe snmp: --v3-user needs --auth-key and --priv-key (authPriv)');
      }
      const profile = loadProfile(opts.profile);
      const client = new SnmpClient({
        ...hostPort,
        community: opts.community,
        timeoutMs: opts.timeoutMs,
        retries: opts.retries,
        ...(opts.v3User !== undefined
          ? { v3: { user: opts.v3User, authProtocol: opts.authProtocol, authKey: opts.authKey as string, privProtocol: opts.privProtocol, privKey: opts.privKey as string } }
          : {}),
      });
      const deviceId = opts.deviceId ?? address;
      try {
        const result = await readProfile(client, profile, opts.profile);
        const reading = toReading(deviceId, profile, Date.now(), result);
        process.stdout.write(`${JSON.stringify({ profile: opts.profile, reading, unsupported: result.missing }, null, 2)}\n`);
      } catch (err) {
        const reading = toReading(deviceId, profile, Date.now(), err as Error);
        process.stdout.write(`${JSON.stringify({ profile: opts.profile, reading }, null, 2)}\n`);
        process.stderr.write(`${reading.error}\n`);
        process.exitCode = 1;
      } finally {
        client.close();
      }
    });
}

function wholeNumber(flag: string, min: number): (raw: string) => number {
  return (raw) => {
    const v = Number(raw);
    if (!Number.isSafeInteger(v) || v < min) throw new InvalidArgumentError(`${flag} must be a whole number ≥ ${min}`);
    return v;
  };
}

function choice<T extends string>(flag: string, allowed: readonly T[]): (raw: string) => T {
  return (raw) => {
    if (!(allowed as readonly string[]).includes(raw)) throw new InvalidArgumentError(`${flag} must be one of ${allowed.join(', ')}`);
    return raw as T;
  };
}
