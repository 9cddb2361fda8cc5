import type { Reading } from '../agent-contract/batch-schema.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import type { TelemetryPoint } from './history.ts';

/**
 * GPU readings → history points, per GPU, per host and per tenant (the block's contract):
 *
 * - `gpu`        {gpu, host, block, tenant}: power_w, utilization_pct, temp_c, memory_used_bytes,
 *                 and the health counters (ECC uncorrected volatile, XID) when reported;
 * - `gpu_host`   {host, block, tenant}: gpus_online, power_w (sum), max_temp_c, utilization_pct (mean);
 * - `tenant_gpu` {tenant}: gpus_online, power_w over the tenant's hosts that answered.
 *
 * Only fresh, online readings count. A host that did not answer (an offline reading, or
 * readings re-sent labelled stale) writes nothing: no point is "unknown", which is what
 * availability (services/tenants) counts as not delivered. A zero is never written for it.
 * MIG instances are parts of their GPU and are not written separately.
 */
const GPU_FIELDS = [
  'power_w',
  'utilization_pct',
  'temp_c',
  'memory_used_bytes',
  'ecc_uncorrected_volatile_count',
  'ecc_corrected_volatile_count',
  'xid_last_code',
] as const;

interface HostAcc {
  host: string;
  block: string;
  tenant: string;
  atMs: number;
  online: number;
  powerW: number;
  powered: number;
  maxTempC: number | undefined;
  utilSum: number;
  utilN: number;
}

export function tenantOfBlocks(site: SiteFile): Map<string, string> {
  return new Map(site.blocks.map((b) => [b.id, b.contractId ?? 'none']));
}

export function gpuHistoryPoints(readings: readonly Reading[], tenantOfBlock: ReadonlyMap<string, string>): TelemetryPoint[] {
  const points: TelemetryPoint[] = [];
  const hosts = new Map<string, HostAcc>();
  for (const r of readings) {
    if (r.kind !== 'gpu' || r.status !== 'online' || r.labels?.stale === 'true' || r.labels?.mig_parent !== undefined) continue;
    const block = r.blockId ?? 'none';
    const tenant = tenantOfBlock.get(block) ?? 'none';
    const host = r.labels?.host ?? 'unknown';
    const fields: Record<string, number> = {};
    for (const k of GPU_FIELDS) {
      const v = r.metrics[k];
      if (v !== undefined && Number.isFinite(v)) fields[k] = v;
    }
    if (Object.keys(fields).length > 0) points.push({ measurement: 'gpu', tags: { gpu: r.deviceId, host, block, tenant }, fields, atMs: r.atMs });
    let acc = hosts.get(host);
    if (acc === undefined) {
      acc = { host, block, tenant, atMs: r.atMs, online: 0, powerW: 0, powered: 0, maxTempC: undefined, utilSum: 0, utilN: 0 };
      hosts.set(host, acc);
    }
    acc.atMs = Math.max(acc.atMs, r.atMs);
    acc.online++;
    if (fields.power_w !== undefined) {
      acc.powerW += fields.power_w;
      acc.powered++;
    }
    if (fields.temp_c !== undefined) acc.maxTempC = Math.max(acc.maxTempC ?? -Infinity, fields.temp_c);
    if (fields.utilization_pct !== undefined) {
      acc.utilSum += fields.utilization_pct;
      acc.utilN++;
    }
  }
  const tenants = new Map<string, { atMs: number; online: number; powerW: number; powered: number }>();
  for (const h of hosts.values()) {
    const fields: Record<string, number> = { gpus_online: h.online };
    if (h.powered > 0) fields.power_w = h.powerW;
    if (h.maxTempC !== undefined) fields.max_temp_c = h.maxTempC;
    if (h.utilN > 0) fields.utilization_pct = h.utilSum / h.utilN;
    points.push({ measurement: 'gpu_host', tags: { host: h.host, block: h.block, tenant: h.tenant }, fields, atMs: h.atMs });
    const t = tenants.get(h.tenant) ?? { atMs: h.atMs, online: 0, powerW: 0, powered: 0 };
    t.atMs = Math.max(t.atMs, h.atMs);
    t.online += h.online;
    t.powerW += h.powerW;
    t.powered += h.powered;
    tenants.set(h.tenant, t);
  }
  for (const [tenant, t] of tenants) {
    const fields: Record<string, number> = { gpus_online: t.online };
    if (t.powered > 0) fields.power_w = t.powerW;
    points.push({ measurement: 'tenant_gpu', tags: { tenant }, fields, atMs: t.atMs });
  }
  return points;
}
