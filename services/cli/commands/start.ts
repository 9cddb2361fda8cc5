import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { logger } from '../../lib/log.ts';
import { untilSignal } from '../until-signal.ts';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a TCP port`);
  return n;
}

/**
 * `switchyard start` (= `npm start`): validates the site file, then runs the control plane
 * with the site twin and an agent in child processes until SIGINT/SIGTERM.
 */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the control plane, the site twin and a site agent (dashboard on --port)')
    .option('--site <file>', 'site file (env SWITCHYARD_SITE)', process.env.SWITCHYARD_SITE ?? 'infra/sites/demo.yaml')
    .option('--port <port>', 'API and dashboard port (env PORT)', parsePort, process.env.PORT ? parsePort(process.env.PORT) : 8080)
    .option('--host <address>', 'address to listen on (env HOST)', process.env.HOST ?? '127.0.0.1')
    .action(async (opts: { site: string; port: number; host: string }) => {
      const log = logger('start');
      const dataDir = resolve(process.env.SWITCHYARD_DATA_DIR ?? 'data');
      const twinPort = (name: string) => (process.env[name] ? parsePort(process.env[name]) : undefined);
      const minerPort = twinPort('SWITCHYARD_TWIN_MINER_PORT');
      const meterPort = twinPort('SWITCHYARD_TWIN_METER_PORT');
      // Loaded here, not at the top: other commands (hashprice, twin) must not pay for the
      // whole platform's imports, nor fail when one of its parts is broken.
      const { startPlatform } = await import('../../platform/platform.ts');
      const platform = await startPlatform({
        sitePath: resolve(opts.site),
        port: opts.port,
        host: opts.host,
        dataDir,
        log,
        // The twin binds the site file's ports unless told otherwise (0: random), e.g. to run
        // a second platform next to one already using :4028 and :5020.
        ...(minerPort !== undefined ? { minerPort } : {}),
        ...(meterPort !== undefined ? { meterPort } : {}),
      });
      process.stdout.write(`\nSwitchyard is running: dashboard at ${platform.listening.url}/\n\n`);

      await untilSignal(() => platform.stop(), log);
    });
}
