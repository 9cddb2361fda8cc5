import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import { errorMessage } from '../../../services/lib/errors.ts';
import type { Logger } from '../../../services/lib/log.ts';
import type { DeviceDriver, PollTarget, ReadOptions } from '../../device-driver.ts';
import { markStale } from '../nvidia-smi/gather.ts';
import { normaliseGpus } from '../nvidia-smi/normalise.ts';
import { parseDcgmPage } from './parse.ts';

/**
 * GPU hosts read through NVIDIA's dcgm-exporter (`http://host:9400/metrics`). One GET per host
 * per poll gives one reading per GPU, normalised exactly as nvidia-smi's (same device ids,
 * metric names and units). Malformed lines of the page are logged once per poll and left
 * out; the other GPUs and fields still count. A host that stops answering re-reports its last
 * readings labelled stale, or one offline reading under the host id if it never answered.
 */
export interface DcgmHost extends PollTarget {
  blockId: string;
  /** The host's name in readings (as nvidia-smi readings name it). */
  host: string;
  /** The exporter's metrics URL, e.g. http://10.0.0.5:9400/metrics. */
  url: string;
}

export type DcgmDriver = DeviceDriver<DcgmHost, Reading[]>;

export const DCGM_MAX_PAGE_BYTES = 8 * 1024 * 1024;

/** One GET of an exporter's page under the read's deadline (a second short of it). */
export async function fetchDcgmPage(url: string, opts: ReadOptions): Promise<string> {
  // Give up a second before the poller's deadline, so the host's last readings come back
  // labelled stale rather than the poller's bare timeout.
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(Math.max(100, opts.timeoutMs - 1_000))]);
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { accept: 'text/plain' } });
  } catch (err) {
    throw new Error(`GET ${url} failed: ${errorMessage(err)}`, { cause: err });
  }
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > DCGM_MAX_PAGE_BYTES) throw new Error(`GET ${url}: page of ${text.length} bytes exceeds ${DCGM_MAX_PAGE_BYTES}`);
  return text;
}

export function dcgmDriver(log: Logger): DcgmDriver {
  const last = new Map<string, Reading[]>();
  const failing = new Set<string>();
  // Malformed lines are logged when they change, not on every poll.
  const lineErrors = new Map<string, string>();
  return {
    kind: 'dcgm',
    deviceKind: 'gpu',
    async read(host, opts): Promise<Reading[]> {
      const atMs = Date.now();
      try {
        const page = await fetchDcgmPage(host.url, opts);
        const { gpus, errors } = parseDcgmPage(page);
        const key = errors.join('\n');
        if (key !== (lineErrors.get(host.id) ?? '') && errors.length > 0) log.warn({ gpuHost: host.id, errors: errors.slice(0, 5), count: errors.length }, `dcgm-exporter page of ${host.id}: ${errors.length} line(s) left out`);
        lineErrors.set(host.id, key);
        const readings = normaliseGpus(gpus, { host: host.host, atMs, blockId: host.blockId });
        if (failing.delete(host.id)) log.info({ gpuHost: host.id, gpus: readings.length }, 'dcgm-exporter answering again');
        last.set(host.id, readings);
        return readings;
      } catch (err) {
        const error = errorMessage(err);
        if (!failing.has(host.id)) log.warn({ gpuHost: host.id, err: error }, 'dcgm-exporter not answering; last GPU readings marked stale');
        failing.add(host.id);
        const prev = last.get(host.id) ?? [];
        if (prev.length > 0) return markStale(prev, error, atMs);
        return [{ deviceId: host.id, kind: 'gpu', blockId: host.blockId, atMs, status: 'offline', metrics: {}, error: error.slice(0, 2000), labels: { host: host.host } }];
      }
    },
  };
}
