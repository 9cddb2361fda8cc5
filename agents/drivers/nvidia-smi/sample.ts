/**
 * One GPU as nvidia-smi reported it, before it becomes a Reading: both parsers (CSV and the
 * XML schema versions) produce this, so normalising is written once. Absent means nvidia-smi
 * did not report the value ([N/A], [Not Supported], …): never zero.
 */
export interface GpuSample {
  index: number | undefined;
  uuid: string | undefined;
  name: string | undefined;
  busId: string | undefined;
  driverVersion: string | undefined;
  /** What nvidia-smi calls the draw: the 1 s average on drivers that report both. */
  powerW: number | undefined;
  powerAverageW: number | undefined;
  powerInstantW: number | undefined;
  powerLimitW: number | undefined;
  enforcedPowerLimitW: number | undefined;
  defaultPowerLimitW: number | undefined;
  minPowerLimitW: number | undefined;
  maxPowerLimitW: number | undefined;
  tempC: number | undefined;
  memoryTempC: number | undefined;
  utilizationPct: number | undefined;
  memoryUtilizationPct: number | undefined;
  memoryUsedBytes: number | undefined;
  memoryTotalBytes: number | undefined;
  smClockHz: number | undefined;
  graphicsClockHz: number | undefined;
  memoryClockHz: number | undefined;
  fanPct: number | undefined;
  pstate: string | undefined;
  /** Active clock event (throttle) reasons, snake_case (sw_power_cap, hw_slowdown, …); undefined: not reported. */
  throttleReasons: string[] | undefined;
  migMode: string | undefined;
  migDevices: MigSample[];
  /** Memory health: ECC counts, retired pages, remapped rows, last XID (health.ts). */
  health: GpuHealth;
}

/**
 * ECC and memory-repair counters. Volatile counts reset at driver reload; aggregate counts
 * persist in the InfoROM. Corrected = single-bit (SBE), uncorrected = double-bit (DBE).
 * nvidia-smi never prints XID errors (they go to the kernel log); dcgm-exporter reports the
 * last one as DCGM_FI_DEV_XID_ERRORS, so xidLast comes only from that source.
 */
export interface GpuHealth {
  eccMode: string | undefined;
  eccCorrectedVolatile: number | undefined;
  eccUncorrectedVolatile: number | undefined;
  eccCorrectedAggregate: number | undefined;
  eccUncorrectedAggregate: number | undefined;
  retiredPagesSbe: number | undefined;
  retiredPagesDbe: number | undefined;
  retiredPagesPending: boolean | undefined;
  remappedRowsCorrectable: number | undefined;
  remappedRowsUncorrectable: number | undefined;
  remappedRowsPending: boolean | undefined;
  remappedRowsFailure: boolean | undefined;
  xidLast: number | undefined;
}

export function emptyHealth(): GpuHealth {
  return {
    eccMode: undefined,
    eccCorrectedVolatile: undefined,
    eccUncorrectedVolatile: undefined,
    eccCorrectedAggregate: undefined,
    eccUncorrectedAggregate: undefined,
    retiredPagesSbe: undefined,
    retiredPagesDbe: undefined,
    retiredPagesPending: undefined,
    remappedRowsCorrectable: undefined,
    remappedRowsUncorrectable: undefined,
    remappedRowsPending: undefined,
    remappedRowsFailure: undefined,
    xidLast: undefined,
  };
}

/** "Yes"/"No" as nvidia-smi prints flags; missing gives undefined, anything else is an error. */
export function parseYesNo(raw: string | undefined, what: string): boolean | undefined {
  const v = parseText(raw);
  if (v === undefined) return undefined;
  if (/^yes$/i.test(v)) return true;
  if (/^no$/i.test(v)) return false;
  throw new NvidiaParseError(`${what}: "${v}" is neither Yes nor No`);
}

export interface MigSample {
  index: number | undefined;
  gpuInstanceId: number | undefined;
  computeInstanceId: number | undefined;
  multiprocessorCount: number | undefined;
  memoryUsedBytes: number | undefined;
  memoryTotalBytes: number | undefined;
}

export function emptySample(): GpuSample {
  return {
    index: undefined,
    uuid: undefined,
    name: undefined,
    busId: undefined,
    driverVersion: undefined,
    powerW: undefined,
    powerAverageW: undefined,
    powerInstantW: undefined,
    powerLimitW: undefined,
    enforcedPowerLimitW: undefined,
    defaultPowerLimitW: undefined,
    minPowerLimitW: undefined,
    maxPowerLimitW: undefined,
    tempC: undefined,
    memoryTempC: undefined,
    utilizationPct: undefined,
    memoryUtilizationPct: undefined,
    memoryUsedBytes: undefined,
    memoryTotalBytes: undefined,
    smClockHz: undefined,
    graphicsClockHz: undefined,
    memoryClockHz: undefined,
    fanPct: undefined,
    pstate: undefined,
    throttleReasons: undefined,
    migMode: undefined,
    migDevices: [],
    health: emptyHealth(),
  };
}

export class NvidiaParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NvidiaParseError';
  }
}

/** Multipliers to the base unit in the metric name (bytes, Hz, W, °C, %, s). */
const UNIT_SCALE: Record<string, number> = {
  W: 1,
  mW: 1e-3,
  C: 1,
  '%': 1,
  MiB: 1024 * 1024,
  KiB: 1024,
  GiB: 1024 ** 3,
  B: 1,
  MHz: 1e6,
  KHz: 1e3,
  kHz: 1e3,
  GHz: 1e9,
  Hz: 1,
  us: 1e-6,
  ms: 1e-3,
  s: 1,
  V: 1,
  mV: 1e-3,
  RPM: 1,
};

/**
 * Whether a raw value means "not reported". nvidia-smi writes these bracketed in CSV
 * ([N/A], [Not Supported], [Unknown Error], [Requested functionality has been deprecated],
 * [Insufficient Permissions]) and bare in XML (N/A, Not Supported, …).
 */
export function isMissing(raw: string | undefined): boolean {
  if (raw === undefined) return true;
  const v = raw.trim();
  if (v === '' || /^\[.*\]$/.test(v)) return true;
  return /^(N\/A|Not Supported|Unknown Error|Insufficient Permissions|Requested functionality has been deprecated|GPU requires reset|Not Available)$/i.test(v);
}

/**
 * A number with an optional unit ("250.00 W", "81559 MiB", "17 C", "42"), scaled to the base
 * unit; `expectUnit` (from a CSV header's brackets) must match when the value carries one.
 * Missing values give undefined; anything else that is not a number is an error, with `what`.
 */
export function parseQuantity(raw: string | undefined, what: string, expectUnit?: string): number | undefined {
  if (isMissing(raw)) return undefined;
  const v = (raw as string).trim();
  const m = /^(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*([A-Za-z%]+)?$/.exec(v);
  if (m === null) throw new NvidiaParseError(`${what}: "${v}" is not a number`);
  const unit = m[2] ?? expectUnit;
  if (expectUnit !== undefined && m[2] !== undefined && m[2] !== expectUnit) {
    throw new NvidiaParseError(`${what}: "${v}" has unit ${m[2]}, the header says ${expectUnit}`);
  }
  const n = Number(m[1]);
  if (!Number.isFinite(n)) throw new NvidiaParseError(`${what}: "${v}" is not finite`);
  if (unit === undefined) return n;
  const scale = UNIT_SCALE[unit];
  if (scale === undefined) throw new NvidiaParseError(`${what}: unknown unit "${unit}" in "${v}"`);
  return n * scale;
}

export function parseText(raw: string | undefined): string | undefined {
  return isMissing(raw) ? undefined : (raw as string).trim();
}

export function parseIndex(raw: string | undefined, what: string): number | undefined {
  const n = parseQuantity(raw, what);
  if (n !== undefined && !Number.isSafeInteger(n)) throw new NvidiaParseError(`${what}: "${raw}" is not a whole number`);
  return n;
}
