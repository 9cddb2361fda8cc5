import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { GpuHostDevice, gpuHostDevices } from '../../../services/domain/devices.ts';
import { GpuHostRef } from '../../../services/domain/site-schema.ts';
import { Strict } from '../../../services/lib/strict.ts';
import { driverEntry } from '../driver-entry.ts';
import { dcgmDriver, type DcgmHost } from './driver.ts';
import { registerProbeDcgm } from './probe.ts';

export const DCGM_TIER_DEFAULTS = { intervalMs: 5_000, timeoutMs: 4_000, concurrency: 32 } as const;

/**
 * The site file has one list of GPU hosts; a host with a dcgmUrl is read here, the others by
 * nvidia-smi (nvidia-smi/entry.ts). One split, used by both entries and the twin wiring.
 */
export function splitGpuHosts(hosts: readonly GpuHostDevice[]): { gpuHosts: GpuHostDevice[]; dcgmHosts: GpuHostDevice[] } {
  return { gpuHosts: hosts.filter((h) => h.dcgmUrl === undefined), dcgmHosts: hosts.filter((h) => h.dcgmUrl !== undefined) };
}

export const dcgm = driverEntry({
  protocol: 'dcgm',
  summary: "NVIDIA GPUs of a GPU host read through its dcgm-exporter page (DCGM_FI_DEV_* on :9400), normalised as nvidia-smi's",
  deviceKinds: ['gpu'],
  site: { key: 'gpuHosts', device: GpuHostRef },
  config: Strict({
    /** GPU hosts read through dcgm-exporter (each with its dcgmUrl; default none). */
    dcgmHosts: Type.Optional(Type.Array(GpuHostDevice)),
    /** dcgm tier interval (default 5000). */
    dcgmIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })),
    /** Deadline per GET of an exporter's page (default 4000); the tier's deadline adds a second. */
    dcgmTimeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
  }),
  fileDefaults: { dcgmIntervalMs: DCGM_TIER_DEFAULTS.intervalMs },
  fromSite: (site) => ({ dcgmHosts: splitGpuHosts(gpuHostDevices(site)).dcgmHosts }),
  readme: fileURLToPath(new URL('./README.md', import.meta.url)),
  sampleConfig: fileURLToPath(new URL('./sample.yaml', import.meta.url)),
  tier: (config, log) => {
    const targets: DcgmHost[] = (config.dcgmHosts ?? []).flatMap((h) => (h.dcgmUrl === undefined ? [] : [{ id: h.id, blockId: h.blockId, host: h.host, url: h.dcgmUrl }]));
    if (targets.length === 0) return null;
    return {
      name: 'dcgm polling',
      driver: dcgmDriver(log.child({ part: 'dcgm' })),
      targets,
      intervalMs: config.dcgmIntervalMs ?? DCGM_TIER_DEFAULTS.intervalMs,
      // The driver gives up a second before this, so a silent exporter's GPUs come back stale.
      timeoutMs: (config.dcgmTimeoutMs ?? DCGM_TIER_DEFAULTS.timeoutMs) + 1_000,
      concurrency: DCGM_TIER_DEFAULTS.concurrency,
    };
  },
  probe: { command: 'dcgm', register: registerProbeDcgm },
});
