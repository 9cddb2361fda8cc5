// The site twin in its own process (`switchyard start` forks it so it gets the second core).
import { loadSiteFile } from '../../domain/load-site.ts';
import type { MeterDevice, MinerDevice } from '../../domain/devices.ts';
import { logger } from '../../lib/log.ts';
import { startTwin } from '../../../simulations/site-twin/twin.ts';
import { serveChild } from './protocol.ts';

export interface TwinChildConfig {
  sitePath: string;
  /** Ports to bind (0: random). On a restart the parent passes the ports bound the first time. */
  minerPort?: number;
  meterPort?: number;
  /** Web UI port of stock-firmware Antminers (sleep/wake); pinned on a restart like the others. */
  antminerWebPort?: number;
}

export interface TwinChildReady {
  miners: MinerDevice[];
  meters: MeterDevice[];
  antminerWebPort?: number;
}

serveChild<TwinChildConfig, { stop(): Promise<void> }>('site-twin', async (config) => {
  const site = loadSiteFile(config.sitePath);
  const twin = await startTwin(site, {
    ...(config.minerPort !== undefined ? { minerPort: config.minerPort } : {}),
    ...(config.meterPort !== undefined ? { meterPort: config.meterPort } : {}),
    ...(config.antminerWebPort !== undefined ? { antminerWebPort: config.antminerWebPort } : {}),
    log: logger('site-twin'),
  });
  const ready: TwinChildReady = { miners: twin.miners, meters: twin.meters, ...(twin.antminerWebPort !== undefined ? { antminerWebPort: twin.antminerWebPort } : {}) };
  return { running: twin, ready };
});
