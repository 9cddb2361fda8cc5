// The site twin in its own process (`switchyard start` forks it so it gets the second core).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSiteFile } from '../../domain/load-site.ts';
import type { GpuHostDevice, MeterDevice, MinerDevice } from '../../domain/devices.ts';
import { logger } from '../../lib/log.ts';
import { startTwinGpuHall } from '../../../simulations/site-twin/gpu-hall.ts';
import { startTwin } from '../../../simulations/site-twin/twin.ts';
import { serveChild } from './protocol.ts';
import type { Actuators } from '../../domain/actuator-schema.ts';

export interface TwinChildConfig {
  sitePath: string;
  /** Ports to bind (0: random). On a restart the parent passes the ports bound the first time. */
  minerPort?: number;
  meterPort?: number;
  /** Web UI port of stock-firmware Antminers (sleep/wake); pinned on a restart like the others. */
  antminerWebPort?: number;
  /** Port of the twin's GPU hosts (dcgm-exporter pages, nvidia-smi stand-in); pinned on a restart. */
  gpuPort?: number;
  /** Ports of the switched PDUs (by id) and of the relay gateway ("relays"); pinned on a restart. */
  actuatorPorts?: Record<string, number>;
}

export interface TwinChildReady {
  miners: MinerDevice[];
  meters: MeterDevice[];
  antminerWebPort?: number;
  /** The site's GPU hosts pointed at the twin (stand-in nvidia-smi paths, loopback dcgm URLs). */
  gpuHosts?: GpuHostDevice[];
  gpuPort?: number;
  /** The site's switched PDUs and relays as the twin serves them. */
  actuators?: Actuators;
}

serveChild<TwinChildConfig, { stop(): Promise<void> }>('site-twin', async (config) => {
  const site = loadSiteFile(config.sitePath);
  const twin = await startTwin(site, {
    ...(config.minerPort !== undefined ? { minerPort: config.minerPort } : {}),
    ...(config.meterPort !== undefined ? { meterPort: config.meterPort } : {}),
    ...(config.antminerWebPort !== undefined ? { antminerWebPort: config.antminerWebPort } : {}),
    ...(config.actuatorPorts !== undefined ? { actuatorPorts: config.actuatorPorts } : {}),
    log: logger('site-twin'),
  });
  const gpuDir = site.gpuHosts.length > 0 ? mkdtempSync(join(tmpdir(), 'switchyard-gpu-twin-')) : undefined;
  const hall = gpuDir === undefined ? undefined : await startTwinGpuHall(site, { dir: gpuDir, ...(config.gpuPort !== undefined ? { port: config.gpuPort } : {}) });
  const ready: TwinChildReady = {
    miners: twin.miners,
    meters: twin.meters,
    ...(twin.antminerWebPort !== undefined ? { antminerWebPort: twin.antminerWebPort } : {}),
    ...(twin.actuators !== undefined ? { actuators: twin.actuators.actuators } : {}),
    ...(hall !== undefined ? { gpuHosts: hall.gpuHosts, gpuPort: Number(new URL(hall.twin.url).port) } : {}),
  };
  const running = {
    stop: async () => {
      await hall?.stop();
      if (gpuDir !== undefined) rmSync(gpuDir, { recursive: true, force: true });
      await twin.stop();
    },
  };
  return { running, ready };
});
