import { gpuCatalog } from '../../services/domain/catalog.ts';
import type { GpuHostDevice } from '../../services/domain/devices.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { workloadOf } from './ai-hall.ts';
import { startGpuTwin, type GpuTwin } from './gpu-server.ts';

/**
 * The site's GPU hosts on the twin: each gpuHosts entry becomes a twin host (up to 8 GPUs,
 * the block's workload) read over the path the site file names — dcgm-exporter when the host
 * has a dcgmUrl (pointed at the twin's loopback page), else the nvidia-smi stand-in. A
 * scenario makes trouble an operator must see: one GPU starts throwing ECC/XID errors and is
 * reset later; one host hangs for a while. Times are from the twin's start.
 */
export interface GpuHallScenario {
  failing?: { host: string; gpu: number; afterMs: number; forMs: number; xid: number; eccUncorrected: number };
  hanging?: { host: string; afterMs: number; forMs: number };
}

export interface TwinGpuHall {
  twin: GpuTwin;
  /** The site's GPU hosts with their paths pointed at the twin. */
  gpuHosts: GpuHostDevice[];
  stop(): Promise<void>;
}

/** Default trouble: GPU 5 of the second host fails at 2 min for 6 min; the last host hangs at 4 min for 3 min. */
export function defaultScenario(site: SiteFile): GpuHallScenario {
  const hosts = site.gpuHosts;
  const scenario: GpuHallScenario = {};
  const failing = hosts[1] ?? hosts[0];
  if (failing !== undefined) scenario.failing = { host: failing.host, gpu: 5, afterMs: 120_000, forMs: 360_000, xid: 79, eccUncorrected: 4 };
  const hanging = hosts.length > 2 ? hosts[hosts.length - 1] : undefined;
  if (hanging !== undefined) scenario.hanging = { host: hanging.host, afterMs: 240_000, forMs: 180_000 };
  return scenario;
}

export async function startTwinGpuHall(site: SiteFile, opts: { dir: string; scenario?: GpuHallScenario; port?: number }): Promise<TwinGpuHall> {
  const models = gpuCatalog();
  const twin = await startGpuTwin(
    site.gpuHosts.map((h) => {
      const block = site.blocks.find((b) => b.id === h.blockId);
      const model = block?.gpus[0] === undefined ? undefined : models.get(block.gpus[0].model);
      return { host: h.host, gpus: Math.min(8, model?.gpusPerSystem ?? 8), workload: block === undefined ? 'idle' : workloadOf(block, site) };
    }),
    { dir: opts.dir, ...(opts.port !== undefined ? { port: opts.port } : {}) },
  );
  const gpuHosts: GpuHostDevice[] = site.gpuHosts.map((h) => {
    const d: GpuHostDevice = { id: h.id, blockId: h.blockId, host: h.host, nvidiaSmiPath: twin.nvidiaSmiPath(h.host) };
    if (h.dcgmUrl !== undefined) d.dcgmUrl = twin.dcgmUrl(h.host);
    if (h.powerLimitW !== undefined) d.powerLimitW = h.powerLimitW;
    return d;
  });
  const timers: NodeJS.Timeout[] = [];
  const at = (ms: number, f: () => void) => {
    const t = setTimeout(f, ms);
    t.unref();
    timers.push(t);
  };
  const s = opts.scenario ?? defaultScenario(site);
  if (s.failing !== undefined) {
    const f = s.failing;
    const host = twin.hosts.get(f.host);
    if (host !== undefined) {
      at(f.afterMs, () => host.fail(f.gpu, { eccUncorrected: f.eccUncorrected, eccCorrected: 10 * f.eccUncorrected, xid: f.xid }));
      at(f.afterMs + f.forMs, () => host.reset(f.gpu));
    }
  }
  if (s.hanging !== undefined) {
    const h = s.hanging;
    const host = twin.hosts.get(h.host);
    if (host !== undefined) {
      at(h.afterMs, () => (host.hung = true));
      at(h.afterMs + h.forMs, () => (host.hung = false));
    }
  }
  return {
    twin,
    gpuHosts,
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      await twin.close();
    },
  };
}
