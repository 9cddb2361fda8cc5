import { resolve } from 'node:path';
import type { Command } from 'commander';
import { startAgent } from '../../../agents/agent.ts';
import { loadAgentConfigFile } from '../../../agents/config-file.ts';
import { errorMessage } from '../../lib/errors.ts';
import { logger, type Logger } from '../../lib/log.ts';

/** `switchyard agent --config FILE.yaml`: a site agent, until SIGINT/SIGTERM. */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("run a site agent: poll the site file's miners and meters, ship readings to the control plane")
    .requiredOption('--config <file>', 'agent config (YAML: agentId, controlPlaneUrl, siteFile, intervals; token from SWITCHYARD_AGENT_TOKEN)')
    .action(async (opts: { config: string }) => {
      const log = logger('agent');
      const config = loadAgentConfigFile(resolve(opts.config));
      const agent = await startAgent(config, log);
      await untilSignal(() => agent.stop(), log);
    });
}

/** Runs `stop` on the first SIGINT/SIGTERM and resolves when it is done; a second signal exits at once. */
function untilSignal(stop: () => Promise<void>, log: Logger): Promise<void> {
  return new Promise<void>((done) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) process.exit(130);
      log.info({ signal }, 'shutting down');
      stop().then(done, (err: unknown) => {
        log.error({ err }, `shutdown failed: ${errorMessage(err)}`);
        process.exitCode = 1;
        done();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
