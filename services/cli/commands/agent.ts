import { resolve } from 'node:path';
import type { Command } from 'commander';
import { startAgent } from '../../../agents/agent.ts';
import { loadAgentConfigFile } from '../../../agents/config-file.ts';
import { untilSignal } from '../until-signal.ts';
import { logger } from '../../lib/log.ts';

/** `switchyard agent --config FILE.yaml`: a site agent, until SIGINT/SIGTERM. */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("run a site agent: poll the site file's miners and meters, ship readings to the control plane")
    .requiredOption('--config <file>', 'agent config (YAML: agentId, controlPlaneUrl, siteFile, intervals; token, tokenFile or SWITCHYARD_AGENT_TOKEN; see agents/agent.sample.yaml)')
    .action(async (opts: { config: string }) => {
      const log = logger('agent');
      const config = loadAgentConfigFile(resolve(opts.config));
      const agent = await startAgent(config, log);
      await untilSignal(() => agent.stop(), log);
    });
}
