import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import type { GpuHostDevice } from '../../services/domain/devices.ts';
import type { Logger } from '../../services/lib/log.ts';
import type { DeviceDriver } from '../device-driver.ts';
import { dcgmDriver } from './dcgm/driver.ts';
import { nvidiaSmiDriver, type NvidiaDriverOptions } from './nvidia-smi/driver.ts';

/**
 * The GPU tier's driver: each host is read the way the site file says, through its
 * dcgm-exporter page when it has a dcgmUrl, else by running nvidia-smi. Both give the same
 * readings (same ids, names, units), so the rest of the agent does not care which.
 */
export interface GpuHostsDriver extends DeviceDriver<GpuHostDevice, Reading[]> {
  close(): Promise<void>;
}

export function gpuHostsDriver(hosts: readonly GpuHostDevice[], log: Logger, opts: NvidiaDriverOptions = {}): GpuHostsDriver {
  const smi = nvidiaSmiDriver(hosts.filter((h) => h.dcgmUrl === undefined), log, opts);
  const dcgm = dcgmDriver(log.child({ part: 'dcgm' }));
  return {
    kind: 'gpu-hosts',
    deviceKind: 'gpu',
    read(host, readOpts) {
      if (host.dcgmUrl === undefined) return smi.read(host, readOpts);
      return dcgm.read({ id: host.id, blockId: host.blockId, host: host.host, url: host.dcgmUrl }, readOpts);
    },
    close: () => smi.close(),
  };
}
