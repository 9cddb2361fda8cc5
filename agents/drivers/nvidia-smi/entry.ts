import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { GpuHostDevice, gpuHostDevices } from '../../../services/domain/devices.ts';
import { GpuHostRef } from '../../../services/domain/site-schema.ts';
import { Strict } from '../../../services/lib/strict.ts';
import { driverEntry } from '../driver-entry.ts';
import { gpuTierTimeoutMs, nvidiaSmiDriver } from './driver.ts';
import { registerProbeNvidiaSmi } from './probe.ts';

export const NVIDIA_SMI_TIER_DEFAULTS = { intervalMs: 5_000, smiTimeoutMs: 5_000, concurrency: 16 } as const;

export const nvidiaSmi = driverEntry({
  protocol: 'nvidia-smi',
  summary: "NVIDIA GPUs (and MIG instances) of a GPU host, read by running nvidia-smi there; keeps each host's power limit",
  deviceKinds: ['gpu'],
  site: { key: 'gpuHosts', device: GpuHostRef },
  config: Strict({
    /** GPU servers read with nvidia-smi (default none). */
    gpuHosts: Type.Optional(Type.Array(GpuHostDevice)),
    /** GPU tier interval (default 5000). */
    gpuIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })),
    /** Deadline per nvidia-smi call (default 5000); the tier's deadline adds the kill grace and a second. */
    gpuTimeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
  }),
  fileDefaults: { gpuIntervalMs: NVIDIA_SMI_TIER_DEFAULTS.intervalMs },
  // A host with a dcgmUrl is read by the dcgm driver instead (dcgm/entry.ts).
  fromSite: (site) => ({ gpuHosts: gpuHostDevices(site).filter((h) => h.dcgmUrl === undefined) }),
  readme: fileURLToPath(new URL('./README.md', import.meta.url)),
  sampleConfig: fileURLToPath(new URL('./sample.yaml', import.meta.url)),
  tier: (config, log) => {
    const hosts = config.gpuHosts ?? [];
    if (hosts.length === 0) return null;
    const smi = { smiTimeoutMs: config.gpuTimeoutMs ?? NVIDIA_SMI_TIER_DEFAULTS.smiTimeoutMs };
    const driver = nvidiaSmiDriver(hosts, log.child({ part: 'nvidia-smi' }), smi);
    return {
      name: 'gpu polling',
      driver,
      targets: hosts,
      intervalMs: config.gpuIntervalMs ?? NVIDIA_SMI_TIER_DEFAULTS.intervalMs,
      timeoutMs: gpuTierTimeoutMs(smi),
      concurrency: NVIDIA_SMI_TIER_DEFAULTS.concurrency,
      close: () => driver.close(),
    };
  },
  probe: { command: 'nvidia-smi', register: registerProbeNvidiaSmi },
});
