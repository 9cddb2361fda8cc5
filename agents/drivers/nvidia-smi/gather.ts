import { basename } from 'node:path';
import { execa, ExecaError } from 'execa';
import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import { ContextError, errorMessage } from '../../../services/lib/errors.ts';
import type { Logger } from '../../../services/lib/log.ts';
import { CSV_HEALTH_FIELDS } from './health.ts';
import { normaliseGpus } from './normalise.ts';
import { parseCsvRows } from './parse-csv.ts';
import { parseNvidiaXml } from './parse-xml.ts';
import { NvidiaParseError } from './sample.ts';

/**
 * Runs nvidia-smi under a deadline and turns its output into Readings. A hung nvidia-smi (a
 * GPU falling off the bus, a driver in a bad state) gets SIGTERM at the deadline and SIGKILL
 * `killGraceMs` later; the call fails with what was being done. The host's last readings are
 * then re-reported as stale (same status, same values, same atMs, labelled stale) so a
 * dashboard sees "unknown since", never a GPU at 0 W.
 */
export interface NvidiaSmiOptions {
  /** Executable; default "nvidia-smi" from PATH. */
  path?: string;
  /** Deadline for one call, ms (default 5000). */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL, ms (default 1000). */
  killGraceMs?: number;
}

export const NVIDIA_SMI_DEFAULTS = { path: 'nvidia-smi', timeoutMs: 5_000, killGraceMs: 1_000 } as const;

/** The fields normalise.ts uses; --query-gpu prints them in this order with units in the header. */
export const QUERY_GPU_FIELDS = [
  'index', 'uuid', 'name', 'pci.bus_id', 'driver_version', 'pstate', 'fan.speed',
  'temperature.gpu', 'temperature.memory', 'utilization.gpu', 'utilization.memory', 'memory.used', 'memory.total',
  'power.draw', 'power.draw.average', 'power.draw.instant', 'power.limit', 'enforced.power.limit',
  'power.default_limit', 'power.min_limit', 'power.max_limit', 'clocks.current.sm', 'clocks.current.graphics', 'clocks.current.memory',
  'clocks_event_reasons.gpu_idle', 'clocks_event_reasons.applications_clocks_setting', 'clocks_event_reasons.sw_power_cap',
  'clocks_event_reasons.hw_slowdown', 'clocks_event_reasons.hw_thermal_slowdown', 'clocks_event_reasons.hw_power_brake_slowdown',
  'clocks_event_reasons.sw_thermal_slowdown', 'clocks_event_reasons.sync_boost', 'mig.mode.current',
  ...CSV_HEALTH_FIELDS,
] as const;

export class NvidiaSmiError extends ContextError {
  constructor(
    message: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(timedOut ? 'E_NVIDIA_SMI_TIMEOUT' : 'E_NVIDIA_SMI', message, options);
    this.name = 'NvidiaSmiError';
  }
}

/** stdout of one nvidia-smi call; throws NvidiaSmiError with context. */
export async function runNvidiaSmi(args: string[], opts: NvidiaSmiOptions = {}): Promise<string> {
  const path = opts.path ?? NVIDIA_SMI_DEFAULTS.path;
  const timeoutMs = opts.timeoutMs ?? NVIDIA_SMI_DEFAULTS.timeoutMs;
  const doing = `calling "${basename(path)}" failed`;
  try {
    const res = await execa(path, args, {
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
      forceKillAfterDelay: opts.killGraceMs ?? NVIDIA_SMI_DEFAULTS.killGraceMs,
      stdin: 'ignore',
      maxBuffer: 16 * 1024 * 1024,
      env: { LC_ALL: 'C' },
    });
    return res.stdout;
  } catch (err) {
    if (err instanceof ExecaError) {
      if (err.timedOut) throw new NvidiaSmiError(`${doing}: timed out after ${timeoutMs} ms (${path} ${args.join(' ')})`, true, { cause: err });
      const why = err.code === 'ENOENT' ? `${path} not found` : err.exitCode !== undefined ? `exit code ${err.exitCode}` : (err.signal ?? err.shortMessage);
      const stderr = String(err.stderr ?? '').trim().slice(0, 300);
      const stdout = String(err.stdout ?? '').trim().slice(0, 300);
      throw new NvidiaSmiError(`${doing}: ${why}${stderr || stdout ? `: ${stderr || stdout}` : ''}`, false, { cause: err });
    }
    throw new NvidiaSmiError(`${doing}: ${errorMessage(err)}`, false, { cause: err });
  }
}

export type NvidiaFormat = 'csv' | 'xml';

export interface GatherOptions extends NvidiaSmiOptions {
  host: string;
  format?: NvidiaFormat;
  blockId?: string;
  /** CSV rows that could not be read (the other GPUs still are); called only when there are some. */
  onRowErrors?: (errors: string[]) => void;
}

/** One poll: run, parse, normalise. Throws on failure (see GpuHostPoller for stale handling). */
export async function gatherGpus(opts: GatherOptions, atMs = Date.now()): Promise<Reading[]> {
  const format = opts.format ?? 'csv';
  const args = format === 'csv' ? [`--query-gpu=${QUERY_GPU_FIELDS.join(',')}`, '--format=csv'] : ['-q', '-x'];
  const out = await runNvidiaSmi(args, opts);
  const ctx = { host: opts.host, atMs, ...(opts.blockId === undefined ? {} : { blockId: opts.blockId }) };
  try {
    if (format === 'xml') return normaliseGpus(parseNvidiaXml(out).gpus, ctx);
    // A bad row costs that GPU only; with no good row at all the poll fails.
    const { gpus, errors } = parseCsvRows(out);
    if (errors.length > 0 && gpus.length === 0) throw new NvidiaParseError(errors.join('; '));
    if (errors.length > 0) opts.onRowErrors?.(errors);
    return normaliseGpus(gpus, ctx);
  } catch (err) {
    throw new NvidiaSmiError(`parsing nvidia-smi ${format} output from ${opts.host} failed: ${errorMessage(err)}`, false, { cause: err });
  }
}

export interface GpuPollResult {
  readings: Reading[];
  /** Set when this poll failed; readings are then the last good ones, labelled stale. */
  error: string | undefined;
}

/**
 * One host's GPUs over time: remembers the last good readings and, when a poll fails,
 * returns them marked stale. Going stale and recovering are logged once each.
 */
export class GpuHostPoller {
  private last: Reading[] = [];
  private failing = false;
  private rowErrors = '';
  private rowErrorsThisPoll = false;
  private readonly opts: GatherOptions;

  constructor(
    opts: GatherOptions,
    private readonly log: Logger,
  ) {
    // Bad rows are logged when they change, not on every poll.
    this.opts = {
      ...opts,
      onRowErrors: (errors) => {
        this.rowErrorsThisPoll = true;
        const key = errors.join('\n');
        if (key !== this.rowErrors) this.log.warn({ host: opts.host, errors }, `nvidia-smi output from ${opts.host}: ${errors.length} row(s) left out`);
        this.rowErrors = key;
      },
    };
  }

  async poll(atMs = Date.now()): Promise<GpuPollResult> {
    try {
      this.rowErrorsThisPoll = false;
      const readings = await gatherGpus(this.opts, atMs);
      if (!this.rowErrorsThisPoll) this.rowErrors = '';
      if (this.failing) this.log.info({ host: this.opts.host, gpus: readings.length }, 'nvidia-smi answering again');
      this.failing = false;
      this.last = readings;
      return { readings, error: undefined };
    } catch (err) {
      const error = errorMessage(err);
      if (!this.failing) this.log.warn({ host: this.opts.host, err: error, gpus: this.last.length }, 'nvidia-smi failed; last GPU readings marked stale');
      this.failing = true;
      return { readings: markStale(this.last, error, atMs), error };
    }
  }
}

/** Last readings, values and status kept, labelled stale with the reason and age. */
export function markStale(readings: Reading[], error: string, nowMs: number): Reading[] {
  return readings.map((r) => ({
    ...r,
    metrics: { ...r.metrics },
    error: error.slice(0, 2000),
    labels: { ...(r.labels ?? {}), stale: 'true', stale_since_ms: String(r.atMs), stale_age_ms: String(Math.max(0, nowMs - r.atMs)) },
  }));
}
