import type { Reading } from '../agent-contract/batch-schema.ts';

/**
 * What is wrong now, from the latest GPU readings: pure. Each condition has a key that names
 * its subject, so the same trouble seen on every evaluation is one alert (alert-book.ts).
 *
 * - gpu-fault: uncorrectable ECC errors since the driver loaded (volatile count > 0), a row
 *   remap failure, pages pending retirement, or an XID error (dcgm's last XID ≠ 0). One alert
 *   per GPU whatever mix of these it shows: it is one GPU to drain and repair.
 * - gpu-thermal: a thermal clock-event reason is active (hw/sw thermal slowdown, hw slowdown).
 * - host-down: a GPU host did not answer (offline reading), its readings are re-sent stale,
 *   or nothing came from it for staleAfterMs.
 */
export type AlertKind = 'gpu-fault' | 'gpu-thermal' | 'host-down' | 'tenant-sla' | 'price-feed-stale';
export type Severity = 'critical' | 'warning';

export interface Condition {
  key: string;
  kind: AlertKind;
  severity: Severity;
  subject: Record<string, string>;
  message: string;
}

const THERMAL = ['hw_thermal_slowdown', 'sw_thermal_slowdown', 'hw_slowdown'];

export function gpuConditions(readings: Iterable<Reading>, nowMs: number, staleAfterMs: number): Condition[] {
  const out: Condition[] = [];
  const hostDown = new Map<string, Condition>();
  for (const r of readings) {
    if (r.kind !== 'gpu') continue;
    const host = r.labels?.host ?? r.deviceId;
    const where = { host, ...(r.blockId === undefined ? {} : { block: r.blockId }) };
    const stale = r.labels?.stale === 'true' || nowMs - r.atMs > staleAfterMs;
    if (r.status === 'offline' || stale) {
      if (!hostDown.has(host)) {
        const why = r.status === 'offline' ? 'is not answering' : `has sent nothing new since ${new Date(Number(r.labels?.stale_since_ms ?? r.atMs)).toISOString()}`;
        hostDown.set(host, { key: `host-down:${host}`, kind: 'host-down', severity: 'critical', subject: where, message: `GPU host ${host} ${why}${r.error ? `: ${r.error.slice(0, 120)}` : ''}` });
      }
      continue;
    }
    if (r.status !== 'online' || r.labels?.mig_parent !== undefined) continue;
    const subject = { gpu: r.deviceId, ...where };
    const faults: string[] = [];
    const m = r.metrics;
    if ((m.ecc_uncorrected_volatile_count ?? 0) > 0) faults.push(`${m.ecc_uncorrected_volatile_count} uncorrectable ECC errors`);
    if ((m.xid_last_code ?? 0) > 0) faults.push(`XID ${m.xid_last_code}`);
    if (r.labels?.remapped_rows_failure === 'yes') faults.push('row remapping failed');
    if (r.labels?.retired_pages_pending === 'yes') faults.push('pages pending retirement');
    if (faults.length > 0) out.push({ key: `gpu-fault:${r.deviceId}`, kind: 'gpu-fault', severity: 'critical', subject, message: `GPU ${r.deviceId} on ${host}: ${faults.join(', ')}` });
    const reasons = (r.labels?.throttle_reasons ?? '').split(',');
    const thermal = THERMAL.filter((t) => reasons.includes(t));
    if (thermal.length > 0) out.push({ key: `gpu-thermal:${r.deviceId}`, kind: 'gpu-thermal', severity: 'warning', subject, message: `GPU ${r.deviceId} on ${host} is thermally throttled (${thermal.join(', ')}${m.temp_c === undefined ? '' : `, ${m.temp_c} °C`})` });
  }
  out.push(...hostDown.values());
  return out;
}

export interface TenantTrend {
  contractId: string;
  tenantId: string;
  month: string;
  availabilityPct: number;
  commitmentPct: number;
}

/** A tenant whose availability so far this month is below its commitment. */
export function tenantConditions(trends: Iterable<TenantTrend>): Condition[] {
  const out: Condition[] = [];
  for (const t of trends) {
    if (t.availabilityPct >= t.commitmentPct) continue;
    out.push({
      key: `tenant-sla:${t.contractId}:${t.month}`,
      kind: 'tenant-sla',
      severity: 'warning',
      subject: { tenant: t.tenantId, contract: t.contractId },
      message: `${t.tenantId} availability ${t.availabilityPct.toFixed(4)} % this month is below the ${t.commitmentPct} % commitment (${t.contractId})`,
    });
  }
  return out;
}
