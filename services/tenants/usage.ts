import type { SiteFile } from '../domain/site-schema.ts';
import type { TelemetryHistory } from '../telemetry/history.ts';
import { availability, type Availability, type HostReport } from './availability.ts';
import { monthBoundsMs, type TenantContract } from './contract.ts';

/**
 * A contract's month from the telemetry history (gpu_host points, services/telemetry/gpu-points.ts):
 * availability per the contract's definition, and metered IT energy.
 *
 * Energy: Σ over the tenant's hosts of each hour's mean power × 1 h. An hour with no reading
 * from a host adds no energy (nothing was measured, nothing is billed).
 */
export interface MonthMeasure {
  month: string;
  hosts: string[];
  availability: Availability;
  meteredKwh: number;
}

/** The GPU hosts (by host name) in the contract's blocks, from the site file. */
export function contractHosts(site: SiteFile, c: TenantContract): string[] {
  const blocks = new Set(c.blockIds);
  return site.gpuHosts.filter((h) => blocks.has(h.blockId)).map((h) => h.host);
}

export async function measureMonth(history: TelemetryHistory, site: SiteFile, c: TenantContract, month: string, nowMs = Date.now()): Promise<MonthMeasure> {
  const { startMs, endMs: monthEndMs } = monthBoundsMs(month);
  const hosts = contractHosts(site, c);
  const stepMs = c.sla.intervalMinutes * 60_000;
  // A month in progress is measured up to the last whole interval so far.
  const endMs = Math.min(monthEndMs, Math.max(startMs + stepMs, Math.floor((nowMs - startMs) / stepMs) * stepMs + startMs));
  const reports: HostReport[] = [];
  let wh = 0;
  for (const block of c.blockIds) {
    const base = { measurement: 'gpu_host', where: { block }, groupBy: 'host', fromMs: startMs, toMs: endMs } as const;
    const [temps, online, power] = await Promise.all([
      history.query({ ...base, field: 'max_temp_c', stepMs, aggregate: 'max' }),
      history.query({ ...base, field: 'gpus_online', stepMs, aggregate: 'min' }),
      history.query({ ...base, field: 'power_w', stepMs: 3_600_000, aggregate: 'mean' }),
    ]);
    const tempOf = new Map<string, number>();
    for (const s of temps) for (const [at, v] of s.points) tempOf.set(`${s.tags.host}@${at}`, v);
    for (const s of online) {
      const host = s.tags.host ?? '';
      for (const [at, v] of s.points) reports.push({ host, atMs: at, up: v > 0, maxGpuTempC: tempOf.get(`${host}@${at}`) });
    }
    for (const s of power) if (hosts.includes(s.tags.host ?? '')) for (const [, w] of s.points) wh += w;
  }
  return {
    month,
    hosts,
    availability: availability({ startMs, endMs, intervalMinutes: c.sla.intervalMinutes, maxGpuTempC: c.sla.maxGpuTempC, hosts, reports }),
    meteredKwh: Math.round(wh) / 1000,
  };
}
