import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadSiteFile } from '../../domain/load-site.ts';
import type { SiteFile } from '../../domain/site-schema.ts';
import { untilSignal } from '../until-signal.ts';
import { logger } from '../../lib/log.ts';
import { startTwin, type Twin } from '../../../simulations/site-twin/twin.ts';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a TCP port (0: any free port)`);
  return n;
}

/** What `switchyard twin` prints once it listens: one line of JSON. */
export interface TwinEndpoints {
  site: string;
  miners: {
    count: number;
    groups: Array<{ blockId: string; model: string; firmware: string; count: number; firstHost: string; lastHost: string; port: number }>;
  };
  meters: Twin['meters'];
  siteLoadW: number;
}

export function twinEndpoints(site: SiteFile, twin: Twin): TwinEndpoints {
  const groups: TwinEndpoints['miners']['groups'] = [];
  let i = 0;
  // twin.miners lists each block's groups in file order, as minerDevices expands them.
  for (const block of site.blocks) {
    for (const g of block.miners) {
      const first = twin.miners[i];
      const last = twin.miners[i + g.count - 1];
      if (first !== undefined && last !== undefined) {
        groups.push({ blockId: block.id, model: g.model, firmware: g.firmware, count: g.count, firstHost: first.host, lastHost: last.host, port: first.port });
      }
      i += g.count;
    }
  }
  return { site: site.site.id, miners: { count: twin.miners.length, groups }, meters: twin.meters, siteLoadW: Math.round(twin.siteLoadW()) };
}

/** `switchyard twin --site FILE`: the site twin alone, until SIGINT/SIGTERM. */
export function registerTwin(program: Command): void {
  program
    .command('twin')
    .description('run the site twin: virtual miners (cgminer API, one loopback address each) and meters (Modbus TCP gateway)')
    .requiredOption('--site <file>', 'site file')
    .option('--miner-port <port>', "one port for every miner (0: any free port; default: the site file's)", parsePort)
    .option('--meter-port <port>', "meter gateway port (0: any free port; default: the site file's)", parsePort)
    .action(async (opts: { site: string; minerPort?: number; meterPort?: number }) => {
      const log = logger('site-twin');
      const site = loadSiteFile(resolve(opts.site));
      const started = performance.now();
      const twin = await startTwin(site, {
        ...(opts.minerPort !== undefined ? { minerPort: opts.minerPort } : {}),
        ...(opts.meterPort !== undefined ? { meterPort: opts.meterPort } : {}),
        log,
      });
      const startMs = Math.round(performance.now() - started);
      process.stdout.write(`${JSON.stringify({ ...twinEndpoints(site, twin), startMs })}\n`);
      await untilSignal(() => twin.stop(), log);
    });
}
