import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import type { GpuSample } from './sample.ts';

export interface NormaliseContext {
  /** Host the GPUs are in; names a GPU when its UUID is absent or masked. */
  host: string;
  atMs: number;
  blockId?: string;
}

/** nvidia-smi prints this in place of the UUID when serials are masked (as in the recordings). */
const MASKED_UUID = /^GPU-0{8}-0{4}-0{4}-0{4}-0{12}$/i;

/**
 * Samples → Readings, one per GPU plus one per MIG instance. The device id is the GPU's UUID
 * when it identifies the GPU, else host + index; if two GPUs of one output share a UUID
 * (masked captures) every GPU of that output falls back to host + index so ids stay unique.
 * Values nvidia-smi did not report are left out, never zero.
 */
export function normaliseGpus(samples: GpuSample[], ctx: NormaliseContext): Reading[] {
  const uuids = samples.map((s) => (s.uuid !== undefined && !MASKED_UUID.test(s.uuid) ? s.uuid : undefined));
  const useUuid = uuids.every((u) => u !== undefined) && new Set(uuids).size === uuids.length;
  const out: Reading[] = [];
  samples.forEach((s, i) => {
    const index = s.index ?? i;
    const deviceId = useUuid ? (uuids[i] as string) : `${ctx.host}/gpu${index}`;
    out.push(gpuReading(s, deviceId, index, ctx));
    for (const m of s.migDevices) {
      const metrics = defined({
        memory_used_bytes: m.memoryUsedBytes,
        memory_total_bytes: m.memoryTotalBytes,
        multiprocessor_count: m.multiprocessorCount,
      });
      out.push({
        deviceId: `${deviceId}/mig-gi${m.gpuInstanceId ?? 'x'}-ci${m.computeInstanceId ?? 'x'}`,
        kind: 'gpu',
        ...(ctx.blockId === undefined ? {} : { blockId: ctx.blockId }),
        atMs: ctx.atMs,
        status: 'online',
        metrics,
        labels: definedText({ make: 'NVIDIA', model: s.name, mig_parent: deviceId, mig_index: m.index?.toString(), host: ctx.host }),
      });
    }
  });
  return out;
}

function gpuReading(s: GpuSample, deviceId: string, index: number, ctx: NormaliseContext): Reading {
  const metrics = defined({
    power_w: s.powerW,
    power_average_w: s.powerAverageW,
    power_instant_w: s.powerInstantW,
    power_limit_w: s.enforcedPowerLimitW ?? s.powerLimitW,
    power_limit_requested_w: s.powerLimitW,
    power_limit_default_w: s.defaultPowerLimitW,
    power_limit_min_w: s.minPowerLimitW,
    power_limit_max_w: s.maxPowerLimitW,
    temp_c: s.tempC,
    memory_temp_c: s.memoryTempC,
    utilization_pct: s.utilizationPct,
    memory_utilization_pct: s.memoryUtilizationPct,
    memory_used_bytes: s.memoryUsedBytes,
    memory_total_bytes: s.memoryTotalBytes,
    sm_clock_hz: s.smClockHz,
    graphics_clock_hz: s.graphicsClockHz,
    memory_clock_hz: s.memoryClockHz,
    fan_pct: s.fanPct,
    ecc_corrected_volatile_count: s.health.eccCorrectedVolatile,
    ecc_uncorrected_volatile_count: s.health.eccUncorrectedVolatile,
    ecc_corrected_aggregate_count: s.health.eccCorrectedAggregate,
    ecc_uncorrected_aggregate_count: s.health.eccUncorrectedAggregate,
    retired_pages_sbe_count: s.health.retiredPagesSbe,
    retired_pages_dbe_count: s.health.retiredPagesDbe,
    remapped_rows_correctable_count: s.health.remappedRowsCorrectable,
    remapped_rows_uncorrectable_count: s.health.remappedRowsUncorrectable,
    xid_last_code: s.health.xidLast,
  });
  const labels = definedText({
    make: 'NVIDIA',
    model: s.name,
    uuid: s.uuid,
    index: String(index),
    host: ctx.host,
    pci_bus_id: s.busId,
    driver: s.driverVersion,
    pstate: s.pstate,
    throttle_reasons: s.throttleReasons === undefined ? undefined : s.throttleReasons.length === 0 ? 'none' : s.throttleReasons.join(','),
    mig_mode: s.migMode,
    ecc_mode: s.health.eccMode,
    retired_pages_pending: yesNo(s.health.retiredPagesPending),
    remapped_rows_pending: yesNo(s.health.remappedRowsPending),
    remapped_rows_failure: yesNo(s.health.remappedRowsFailure),
  });
  return {
    deviceId,
    kind: 'gpu',
    ...(ctx.blockId === undefined ? {} : { blockId: ctx.blockId }),
    atMs: ctx.atMs,
    status: 'online',
    metrics,
    labels,
  };
}

/** Drops absent values; NaN and ±Infinity never pass the edge. */
function defined(m: Record<string, number | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined && Number.isFinite(v)) out[k] = v;
  return out;
}

function definedText(m: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined) out[k] = v.slice(0, 256);
  return out;
}

function yesNo(b: boolean | undefined): string | undefined {
  return b === undefined ? undefined : b ? 'yes' : 'no';
}
