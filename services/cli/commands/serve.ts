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
 * `switchyard serve`: the control plane alone (API, queue, scheduler, curtailment engine), no
 * twin and no agent, until SIGINT/SIGTERM. Each agent id gets a token file; agents started
 * apart (`switchyard agent --config FILE`, `tokenFile:`) join it over HTTP.
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the control plane alone; agents started apart join it with their token files')
    .option('--site <file>', 'site file (env SWITCHYARD_SITE)', process.env.SWITCHYARD_SITE ?? 'infra/sites/demo.yaml')
    .option('--port <port>', 'API and dashboard port (env PORT)', parsePort, process.env.PORT ? parsePort(process.env.PORT) : 8080)
    .option('--host <address>', 'address to listen on (env HOST)', process.env.HOST ?? '127.0.0.1')
    .option('--agent <id...>', "agent ids to mint a token for (default: the site file's agents, else agent-<site id>)")
    .action(async (opts: { site: string; port: number; host: string; agent?: string[] }) => {
      const log = logger('serve');
      const dataDir = resolve(process.env.SWITCHYARD_DATA_DIR ?? 'data');
      // Loaded here, not at the top, as `start` does: other commands do not pay for it.
      const { startControlPlane } = await import('../../platform/control-plane.ts');
      const cp = await startControlPlane({
        sitePath: resolve(opts.site),
        port: opts.port,
        host: opts.host,
        dataDir,
        log,
        ...(opts.agent ? { agentIds: opts.agent } : {}),
      });
      const lines = cp.agents.map((a) => `    ${a.agentId}: tokenFile: ${a.tokenPath}`);
      process.stdout.write(
        `\nSwitchyard control plane is running: dashboard at ${cp.listening.url}/\n` +
          `Agent tokens (mode 0600; point an agent config's tokenFile at one, see agents/agent.sample.yaml):\n${lines.join('\n')}\n` +
          `Start an agent with: switchyard agent --config <file.yaml>\n\n`,
      );
      await untilSignal(() => cp.stop(), log);
    });
}
