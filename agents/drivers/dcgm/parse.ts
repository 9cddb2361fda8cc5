import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { emptySample, type GpuSample, type MigSample } from '../nvidia-smi/sample.ts';

/**
 * dcgm-exporter's Prometheus page (`GET :9400/metrics`) → the same GpuSample the nvidia-smi
 * parsers produce, so normalising (nvidia-smi/normalise.ts) is shared and both sources give
 * the same readings. Pure.
 *
 * The text format is parsed by parse-prometheus-text-format (kept: escaping, HELP/TYPE and
 * label quoting are its job). That library does not reject a malformed line, it yields an
 * empty value, so every sample line is checked first: a malformed line becomes one error
 * naming its line number and is left out; every other line is still read.
 *
 * Series are keyed by the `gpu` label (the GPU index); a series with GPU_I_ID belongs to a
 * MIG instance of that GPU. Metrics this parser does not map are ignored.
 */
export interface DcgmParse {
  gpus: GpuSample[];
  /** One per malformed line or unusable value, with its line number. */
  errors: string[];
}

/** `name{labels} value [timestamp]`, as the text format allows (labels optional). */
const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*=\s*"(?:[^"\\]|\\.)*"\s*,?)*\s*\})?\s+(?:[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|[-+]?Inf|NaN)(\s+-?\d+)?\s*$/;

const MIB = 1024 * 1024;

/** Bits of DCGM_FI_DEV_CLOCK_THROTTLE_REASONS (NVML nvmlClocksEventReason*), named as nvidia-smi names them. */
export const THROTTLE_BITS: ReadonlyArray<[number, string]> = [
  [0x1, 'gpu_idle'],
  [0x2, 'applications_clocks_setting'],
  [0x4, 'sw_power_cap'],
  [0x8, 'hw_slowdown'],
  [0x10, 'sync_boost'],
  [0x20, 'sw_thermal_slowdown'],
  [0x40, 'hw_thermal_slowdown'],
  [0x80, 'hw_power_brake_slowdown'],
];

type Setter = (s: GpuSample, v: number) => void;

/** dcgm field → sample field, in the sample's base units. */
const GPU_FIELDS: Record<string, Setter> = {
  DCGM_FI_DEV_POWER_USAGE: (s, v) => (s.powerW = v),
  DCGM_FI_DEV_POWER_MGMT_LIMIT: (s, v) => (s.powerLimitW = v),
  DCGM_FI_DEV_ENFORCED_POWER_LIMIT: (s, v) => (s.enforcedPowerLimitW = v),
  DCGM_FI_DEV_GPU_TEMP: (s, v) => (s.tempC = v),
  DCGM_FI_DEV_MEMORY_TEMP: (s, v) => (s.memoryTempC = v),
  DCGM_FI_DEV_GPU_UTIL: (s, v) => (s.utilizationPct = v),
  DCGM_FI_DEV_MEM_COPY_UTIL: (s, v) => (s.memoryUtilizationPct = v),
  DCGM_FI_DEV_FB_USED: (s, v) => (s.memoryUsedBytes = v * MIB),
  DCGM_FI_DEV_FB_TOTAL: (s, v) => (s.memoryTotalBytes = v * MIB),
  DCGM_FI_DEV_SM_CLOCK: (s, v) => (s.smClockHz = v * 1e6),
  DCGM_FI_DEV_MEM_CLOCK: (s, v) => (s.memoryClockHz = v * 1e6),
  DCGM_FI_DEV_FAN_SPEED: (s, v) => (s.fanPct = v),
  DCGM_FI_DEV_CLOCK_THROTTLE_REASONS: (s, v) => (s.throttleReasons = THROTTLE_BITS.filter(([bit]) => (v & bit) !== 0).map(([, name]) => name)),
  DCGM_FI_DEV_ECC_SBE_VOL_TOTAL: (s, v) => (s.health.eccCorrectedVolatile = v),
  DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: (s, v) => (s.health.eccUncorrectedVolatile = v),
  DCGM_FI_DEV_ECC_SBE_AGG_TOTAL: (s, v) => (s.health.eccCorrectedAggregate = v),
  DCGM_FI_DEV_ECC_DBE_AGG_TOTAL: (s, v) => (s.health.eccUncorrectedAggregate = v),
  DCGM_FI_DEV_RETIRED_SBE: (s, v) => (s.health.retiredPagesSbe = v),
  DCGM_FI_DEV_RETIRED_DBE: (s, v) => (s.health.retiredPagesDbe = v),
  DCGM_FI_DEV_RETIRED_PENDING: (s, v) => (s.health.retiredPagesPending = v !== 0),
  DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS: (s, v) => (s.health.remappedRowsCorrectable = v),
  DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS: (s, v) => (s.health.remappedRowsUncorrectable = v),
  DCGM_FI_DEV_ROW_REMAP_PENDING: (s, v) => (s.health.remappedRowsPending = v !== 0),
  DCGM_FI_DEV_ROW_REMAP_FAILURE: (s, v) => (s.health.remappedRowsFailure = v !== 0),
  DCGM_FI_DEV_XID_ERRORS: (s, v) => (s.health.xidLast = v),
};

const MIG_FIELDS: Record<string, (m: MigSample, v: number) => void> = {
  DCGM_FI_DEV_FB_USED: (m, v) => (m.memoryUsedBytes = v * MIB),
  DCGM_FI_DEV_FB_TOTAL: (m, v) => (m.memoryTotalBytes = v * MIB),
};

const WANTED: ReadonlySet<string> = new Set([...Object.keys(GPU_FIELDS), ...Object.keys(MIG_FIELDS)]);

/**
 * Sample lines that fail SAMPLE_LINE, with their 1-based line numbers, and the rest of the text
 * restricted to the families this parser maps: every line is checked, but only those are handed
 * to the library (a default dcgm-exporter page carries many profiling and NVLink families we
 * do not read, and the library's parse is most of the cost of a poll).
 */
function screen(text: string): { clean: string; errors: string[] } {
  const errors: string[] = [];
  const kept: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '') return;
    if (t.startsWith('#')) {
      const m = /^#\s+(?:HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(t);
      if (m !== null && WANTED.has(m[1] as string)) kept.push(line);
      return;
    }
    if (!SAMPLE_LINE.test(t)) {
      errors.push(`dcgm-exporter line ${i + 1}: not a Prometheus sample: "${t.slice(0, 120)}"`);
      return;
    }
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(t)?.[0] ?? '';
    if (WANTED.has(name)) kept.push(line);
  });
  // The library drops a last sample that has no newline after it; the text format allows one.
  return { clean: `${kept.join('\n')}\n`, errors };
}

export function parseDcgmPage(text: string): DcgmParse {
  const { clean, errors } = screen(text);
  const byGpu = new Map<number, GpuSample>();
  const migs = new Map<string, MigSample>();
  const gpuOf = (index: number) => {
    let s = byGpu.get(index);
    if (s === undefined) {
      s = emptySample();
      s.index = index;
      byGpu.set(index, s);
    }
    return s;
  };
  for (const family of parsePrometheusTextFormat(clean)) {
    const gpuSet = GPU_FIELDS[family.name];
    const migSet = MIG_FIELDS[family.name];
    if (gpuSet === undefined && migSet === undefined) continue;
    for (const m of family.metrics) {
      const labels = m.labels ?? {};
      const where = `dcgm-exporter ${family.name}{gpu="${labels.gpu ?? ''}"}`;
      const index = Number(labels.gpu);
      if (labels.gpu === undefined || !Number.isSafeInteger(index) || index < 0) {
        errors.push(`${where}: no usable gpu label`);
        continue;
      }
      const v = Number(m.value);
      if (m.value === undefined || m.value.trim() === '' || !Number.isFinite(v)) {
        errors.push(`${where}: value "${m.value ?? ''}" is not a finite number`);
        continue;
      }
      const s = gpuOf(index);
      s.uuid ??= labels.UUID;
      s.name ??= labels.modelName;
      s.busId ??= labels.pci_bus_id;
      s.driverVersion ??= labels.DCGM_FI_DRIVER_VERSION;
      const gi = labels.GPU_I_ID;
      if (gi !== undefined && gi !== '') {
        if (migSet === undefined) continue;
        const key = `${index}/${gi}`;
        let mig = migs.get(key);
        if (mig === undefined) {
          mig = { index: undefined, gpuInstanceId: Number(gi), computeInstanceId: undefined, multiprocessorCount: undefined, memoryUsedBytes: undefined, memoryTotalBytes: undefined };
          migs.set(key, mig);
          s.migMode = 'Enabled';
          s.migDevices.push(mig);
        }
        migSet(mig, v);
        continue;
      }
      if (gpuSet !== undefined) gpuSet(s, v);
    }
  }
  const gpus = [...byGpu.values()].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return { gpus, errors };
}
