import { ContextError, errorMessage } from '../../../services/lib/errors.ts';
import type { Logger } from '../../../services/lib/log.ts';
import { runNvidiaSmi, type NvidiaSmiOptions } from './gather.ts';
import { parseCsv } from './parse-csv.ts';

/**
 * GPU power limits: set one (`nvidia-smi -i N -pl W`) only within the GPU's own min/max
 * (refused before anything runs), read it back, and keep it there: the driver resets limits on
 * reboot or reload and operators change them by hand, so a keeper re-applies on an interval
 * and reports what it found.
 */
export interface PowerLimits {
  index: number;
  /** What the GPU enforces now (the lower of the requested and any system cap). */
  enforcedW: number | undefined;
  requestedW: number | undefined;
  minW: number;
  maxW: number;
  defaultW: number | undefined;
}

const LIMIT_FIELDS = 'index,power.limit,enforced.power.limit,power.min_limit,power.max_limit,power.default_limit';
/** nvidia-smi rounds limits to hundredths of a watt; some boards snap to whole watts. */
const DEFAULT_TOLERANCE_W = 1;

export class PowerLimitError extends ContextError {
  constructor(code: 'E_POWER_LIMIT_RANGE' | 'E_POWER_LIMIT_VERIFY' | 'E_POWER_LIMIT_READ', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PowerLimitError';
  }
}

export async function readPowerLimits(index: number, opts: NvidiaSmiOptions = {}): Promise<PowerLimits> {
  const out = await runNvidiaSmi(['-i', String(index), `--query-gpu=${LIMIT_FIELDS}`, '--format=csv'], opts);
  const [gpu] = parseCsv(out);
  if (gpu === undefined) throw new PowerLimitError('E_POWER_LIMIT_READ', `reading power limits of GPU ${index}: nvidia-smi printed no row`);
  if (gpu.minPowerLimitW === undefined || gpu.maxPowerLimitW === undefined) {
    throw new PowerLimitError('E_POWER_LIMIT_READ', `reading power limits of GPU ${index}: the GPU reports no min/max power limit (power management not supported?)`);
  }
  return {
    index,
    enforcedW: gpu.enforcedPowerLimitW ?? gpu.powerLimitW,
    requestedW: gpu.powerLimitW,
    minW: gpu.minPowerLimitW,
    maxW: gpu.maxPowerLimitW,
    defaultW: gpu.defaultPowerLimitW,
  };
}

export interface SetResult {
  index: number;
  targetW: number;
  before: PowerLimits;
  after: PowerLimits;
}

export async function setPowerLimit(index: number, watts: number, opts: NvidiaSmiOptions & { toleranceW?: number } = {}): Promise<SetResult> {
  if (!Number.isFinite(watts)) throw new PowerLimitError('E_POWER_LIMIT_RANGE', `setting GPU ${index} power limit: ${watts} W is not a number`);
  const before = await readPowerLimits(index, opts);
  if (watts < before.minW || watts > before.maxW) {
    throw new PowerLimitError('E_POWER_LIMIT_RANGE', `setting GPU ${index} power limit to ${watts} W refused: outside the GPU's range ${before.minW}–${before.maxW} W`);
  }
  await runNvidiaSmi(['-i', String(index), '-pl', watts.toFixed(2)], opts);
  const after = await readPowerLimits(index, opts);
  const tolerance = opts.toleranceW ?? DEFAULT_TOLERANCE_W;
  if (after.enforcedW === undefined || Math.abs(after.enforcedW - watts) > tolerance) {
    throw new PowerLimitError('E_POWER_LIMIT_VERIFY', `setting GPU ${index} power limit to ${watts} W: read back ${after.enforcedW ?? 'nothing'} W`);
  }
  return { index, targetW: watts, before, after };
}

export type KeeperAction = 'in-place' | 'reapplied' | 'failed';

export interface KeeperReport {
  index: number;
  targetW: number;
  /** Enforced limit found before acting; undefined when it could not be read. */
  foundW: number | undefined;
  action: KeeperAction;
  error?: string;
  atMs: number;
}

export interface KeeperOptions extends NvidiaSmiOptions {
  /** GPU index → wanted limit, W. */
  targets: Map<number, number>;
  intervalMs: number;
  toleranceW?: number;
}

/** Re-applies wanted limits that drifted; each check's report is returned, kept and logged. */
export class PowerLimitKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<KeeperReport[]> | undefined;
  private lastReports: KeeperReport[] = [];
  private stopped = true;

  constructor(
    private readonly opts: KeeperOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.running ??= this.check().finally(() => {
        this.running = undefined;
      });
      if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  reports(): KeeperReport[] {
    return [...this.lastReports];
  }

  async check(): Promise<KeeperReport[]> {
    const tolerance = this.opts.toleranceW ?? DEFAULT_TOLERANCE_W;
    const reports: KeeperReport[] = [];
    for (const [index, targetW] of this.opts.targets) {
      const atMs = Date.now();
      let foundW: number | undefined;
      try {
        foundW = (await readPowerLimits(index, this.opts)).enforcedW;
        if (foundW !== undefined && Math.abs(foundW - targetW) <= tolerance) {
          reports.push({ index, targetW, foundW, action: 'in-place', atMs });
          continue;
        }
        await setPowerLimit(index, targetW, this.opts);
        reports.push({ index, targetW, foundW, action: 'reapplied', atMs });
        this.log.warn({ gpu: index, targetW, foundW }, `GPU ${index} power limit had drifted to ${foundW ?? 'unknown'} W; re-applied ${targetW} W`);
      } catch (err) {
        reports.push({ index, targetW, foundW, action: 'failed', error: errorMessage(err), atMs });
        this.log.error({ gpu: index, targetW, foundW, err: errorMessage(err) }, `keeping GPU ${index} power limit at ${targetW} W failed`);
      }
    }
    this.lastReports = reports;
    return reports;
  }
}
