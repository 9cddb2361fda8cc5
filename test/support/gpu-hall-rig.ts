import type { AgentBatch, Reading } from '../../services/agent-contract/batch-schema.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import type { TelemetryHistory, TelemetryPoint } from '../../services/telemetry/history.ts';
import type { LiveState } from '../../services/telemetry/live-state.ts';
import { dcgmDriver, type DcgmHost } from '../../agents/drivers/dcgm/driver.ts';
import { nvidiaSmiDriver } from '../../agents/drivers/nvidia-smi/driver.ts';
import type { GpuHostDevice } from '../../services/domain/devices.ts';
import type { Logger } from '../../services/lib/log.ts';
import type { GpuTwin } from '../../simulations/site-twin/gpu-server.ts';

/**
 * The agent's GPU path against the twin: each site GPU host is read either by running the
 * twin's nvidia-smi stand-in (real process, real arguments, real CSV) or by GET on its
 * dcgm-exporter page; readings go into the live state and the history as an agent batch.
 */
export interface GpuRig {
  poll(): Promise<{ readings: Reading[]; points: TelemetryPoint[] }>;
  close(): Promise<void>;
}

export function gpuRig(opts: { site: SiteFile; twin: GpuTwin; viaDcgm: ReadonlySet<string>; live: LiveState; history: TelemetryHistory; log: Logger; smiTimeoutMs?: number }): GpuRig {
  const { site, twin } = opts;
  const smiHosts: GpuHostDevice[] = site.gpuHosts.filter((h) => !opts.viaDcgm.has(h.host)).map((h) => ({ id: h.id, blockId: h.blockId, host: h.host, nvidiaSmiPath: twin.nvidiaSmiPath(h.host) }));
  const dcgmHosts: DcgmHost[] = site.gpuHosts.filter((h) => opts.viaDcgm.has(h.host)).map((h) => ({ id: h.id, blockId: h.blockId, host: h.host, url: twin.dcgmUrl(h.host) }));
  const smiTimeoutMs = opts.smiTimeoutMs ?? 3_000;
  const smi = nvidiaSmiDriver(smiHosts, opts.log, { smiTimeoutMs, killGraceMs: 300 });
  const dcgm = dcgmDriver(opts.log);
  let seq = 0;
  return {
    async poll() {
      const controller = new AbortController();
      const read = { timeoutMs: smiTimeoutMs, signal: controller.signal };
      const parts = await Promise.all([...smiHosts.map((h) => smi.read(h, { ...read, timeoutMs: smiTimeoutMs + 1_300 })), ...dcgmHosts.map((h) => dcgm.read(h, read))]);
      const readings = parts.flat();
      const batch: AgentBatch = { agentId: 'agent-gpu-rig', siteId: site.site.id, seq: seq++, sentAtMs: Date.now(), readings };
      const { points } = opts.live.apply(batch);
      await opts.history.write(points);
      return { readings, points };
    },
    close: () => smi.close(),
  };
}
