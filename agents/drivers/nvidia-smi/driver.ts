import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import type { GpuHostDevice } from '../../../services/domain/devices.ts';
import { errorMessage } from '../../../services/lib/errors.ts';
import type { Logger } from '../../../services/lib/log.ts';
import type { DeviceDriver } from '../../device-driver.ts';
import { GpuHostPoller, NVIDIA_SMI_DEFAULTS } from './gather.ts';
import { PowerLimitKeeper } from './power-limit.ts';

/**
 * GPU hosts: one nvidia-smi run per host per poll gives one reading per GPU (and per MIG
 * instance). nvidia-smi runs under its own deadline (`smiTimeoutMs`), which the tier's deadline
 * must exceed (see gpuTierTimeoutMs): when nvidia-smi hangs or fails, the host's last GPU
 * readings come back labelled stale (GpuHostPoller), never zeros and never a lone timeout about
 * the host. A host that has never answered gives one offline reading under the host's id.
 *
 * A host with powerLimitW gets a PowerLimitKeeper over the GPUs it reported; its check runs
 * after a successful poll, in the background, so a slow `-pl` never delays the readings.
 */
export interface NvidiaDriverOptions {
  /** Deadline for one nvidia-smi call (default 5000). */
  smiTimeoutMs?: number;
  killGraceMs?: number;
}

export interface NvidiaDriver extends DeviceDriver<GpuHostDevice, Reading[]> {
  /** Waits for power-limit checks in flight. */
  close(): Promise<void>;
}

/** The tier deadline that lets nvidia-smi's own deadline and kill grace fire first. */
export function gpuTierTimeoutMs(opts: NvidiaDriverOptions = {}): number {
  return (opts.smiTimeoutMs ?? NVIDIA_SMI_DEFAULTS.timeoutMs) + (opts.killGraceMs ?? NVIDIA_SMI_DEFAULTS.killGraceMs) + 1_000;
}

export function nvidiaSmiDriver(hosts: readonly GpuHostDevice[], log: Logger, opts: NvidiaDriverOptions = {}): NvidiaDriver {
  const smi = {
    timeoutMs: opts.smiTimeoutMs ?? NVIDIA_SMI_DEFAULTS.timeoutMs,
    killGraceMs: opts.killGraceMs ?? NVIDIA_SMI_DEFAULTS.killGraceMs,
  };
  const pollers = new Map<string, GpuHostPoller>();
  for (const h of hosts) {
    pollers.set(h.id, new GpuHostPoller({ host: h.host, path: h.nvidiaSmiPath, blockId: h.blockId, ...smi }, log.child({ gpuHost: h.id })));
  }
  const keepers = new Map<string, PowerLimitKeeper>();
  const checking = new Map<string, Promise<void>>();

  const keepLimit = (host: GpuHostDevice, readings: Reading[]) => {
    if (host.powerLimitW === undefined || checking.has(host.id)) return;
    let keeper = keepers.get(host.id);
    if (keeper === undefined) {
      const indices = readings.filter((r) => r.labels?.mig_parent === undefined && r.labels?.index !== undefined).map((r) => Number(r.labels?.index));
      if (indices.length === 0) return;
      const targets = new Map(indices.map((i) => [i, host.powerLimitW as number]));
      keeper = new PowerLimitKeeper({ path: host.nvidiaSmiPath, targets, intervalMs: 0, ...smi }, log.child({ gpuHost: host.id, part: 'power-limit' }));
      keepers.set(host.id, keeper);
    }
    const run = keeper
      .check()
      .then(() => undefined)
      .catch((err: unknown) => log.error({ gpuHost: host.id, err: errorMessage(err) }, `keeping the power limit of ${host.id} failed`))
      .finally(() => checking.delete(host.id));
    checking.set(host.id, run);
  };

  return {
    kind: 'nvidia-smi',
    deviceKind: 'gpu',
    async read(host): Promise<Reading[]> {
      const poller = pollers.get(host.id);
      if (poller === undefined) throw new Error(`GPU host ${host.id} was not configured when the driver was built`);
      const atMs = Date.now();
      const { readings, error } = await poller.poll(atMs);
      if (error === undefined) {
        keepLimit(host, readings);
        return readings;
      }
      if (readings.length > 0) return readings;
      return [{ deviceId: host.id, kind: 'gpu', blockId: host.blockId, atMs, status: 'offline', metrics: {}, error: error.slice(0, 2000), labels: { host: host.host } }];
    },
    async close() {
      await Promise.all(checking.values());
    },
  };
}
