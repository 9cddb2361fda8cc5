import { healthFromCsv } from './health.ts';
import { emptySample, type GpuSample, NvidiaParseError, parseIndex, parseQuantity, parseText } from './sample.ts';

/**
 * `nvidia-smi --query-gpu=… --format=csv` → one sample per GPU row. Pure.
 * The header names each column with its unit in brackets (`power.draw [W]`); values repeat
 * the unit (`250.00 W`) or are bracketed when absent (`[N/A]`, `[Not Supported]`,
 * `[Unknown Error]`) and become missing, never zero. nvidia-smi does not quote fields, so a
 * row with a different number of fields than the header is refused rather than guessed.
 * With MIG enabled --query-gpu still prints one row per physical GPU; utilisation reads
 * [N/A] there and MIG instances are only in the XML (parse-xml.ts).
 */
export interface CsvTable {
  columns: Array<{ name: string; unit: string | undefined }>;
  rows: string[][];
}

export function parseCsvTable(text: string): CsvTable {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new NvidiaParseError('nvidia-smi CSV: empty output (no header)');
  const columns = splitRow(lines[0] as string).map((h) => {
    const m = /^(.*?)\s*\[([^\]]+)\]$/.exec(h);
    return m === null ? { name: h, unit: undefined } : { name: m[1] as string, unit: m[2] as string };
  });
  if (columns.some((c) => !/^[A-Za-z_][\w.]*$/.test(c.name))) {
    throw new NvidiaParseError(`nvidia-smi CSV line 1: not a --format=csv header: "${(lines[0] as string).slice(0, 120)}"`);
  }
  const rows = lines.slice(1).map((line, i) => {
    const fields = splitRow(line);
    if (fields.length !== columns.length) {
      throw new NvidiaParseError(`nvidia-smi CSV line ${i + 2}: ${fields.length} fields, the header has ${columns.length}`);
    }
    return fields;
  });
  return { columns, rows };
}

function splitRow(line: string): string[] {
  return line.split(',').map((f) => f.trim());
}

export function parseCsv(text: string): GpuSample[] {
  const table = parseCsvTable(text);
  return table.rows.map((row, r) => rowToSample(table, row, r + 2));
}

/** Event reasons: named clocks_event_reasons since driver 535, clocks_throttle_reasons before. */
const REASON_PREFIXES = ['clocks_event_reasons.', 'clocks_throttle_reasons.'];
const NOT_REASONS = new Set(['supported', 'active']);

function rowToSample(table: CsvTable, row: string[], line: number): GpuSample {
  const byName = new Map<string, { raw: string; unit: string | undefined }>();
  table.columns.forEach((c, i) => byName.set(c.name, { raw: row[i] as string, unit: c.unit }));
  const raw = (...names: string[]) => {
    for (const n of names) {
      const f = byName.get(n);
      if (f !== undefined) return f;
    }
    return undefined;
  };
  const num = (...names: string[]) => {
    const f = raw(...names);
    return f === undefined ? undefined : parseQuantity(f.raw, `nvidia-smi CSV line ${line}, ${names[0]}`, f.unit);
  };
  const text = (...names: string[]) => parseText(raw(...names)?.raw);

  const s = emptySample();
  s.index = parseIndex(raw('index')?.raw, `nvidia-smi CSV line ${line}, index`);
  s.uuid = text('uuid');
  s.name = text('name', 'gpu_name');
  s.busId = text('pci.bus_id', 'gpu_bus_id');
  s.driverVersion = text('driver_version');
  s.powerW = num('power.draw');
  s.powerAverageW = num('power.draw.average');
  s.powerInstantW = num('power.draw.instant');
  s.powerLimitW = num('power.limit');
  s.enforcedPowerLimitW = num('enforced.power.limit');
  s.defaultPowerLimitW = num('power.default_limit');
  s.minPowerLimitW = num('power.min_limit');
  s.maxPowerLimitW = num('power.max_limit');
  s.tempC = num('temperature.gpu');
  s.memoryTempC = num('temperature.memory');
  s.utilizationPct = num('utilization.gpu');
  s.memoryUtilizationPct = num('utilization.memory');
  s.memoryUsedBytes = num('memory.used');
  s.memoryTotalBytes = num('memory.total');
  s.smClockHz = num('clocks.current.sm', 'clocks.sm');
  s.graphicsClockHz = num('clocks.current.graphics', 'clocks.gr');
  s.memoryClockHz = num('clocks.current.memory', 'clocks.mem');
  s.fanPct = num('fan.speed');
  s.pstate = text('pstate');
  s.migMode = text('mig.mode.current');
  s.health = healthFromCsv((name) => byName.get(name)?.raw, `nvidia-smi CSV line ${line}`);

  let sawReason = false;
  const active: string[] = [];
  for (const c of table.columns) {
    const prefix = REASON_PREFIXES.find((p) => c.name.startsWith(p));
    if (prefix === undefined) continue;
    const reason = c.name.slice(prefix.length);
    if (NOT_REASONS.has(reason)) continue;
    const v = parseText(byName.get(c.name)?.raw);
    if (v === undefined) continue;
    sawReason = true;
    if (v === 'Active') active.push(reason);
    else if (v !== 'Not Active') throw new NvidiaParseError(`nvidia-smi CSV line ${line}, ${c.name}: "${v}" is neither Active nor Not Active`);
  }
  s.throttleReasons = sawReason ? active : undefined;
  return s;
}

export interface CsvParse {
  gpus: GpuSample[];
  /** One per row that could not be read (wrong field count, a bad value), with its line. */
  errors: string[];
}

/**
 * As parseCsv, but a bad row costs only that row: it becomes one error naming its line and
 * the other GPUs are still read. A missing or malformed header still throws (nothing can be
 * read without it).
 */
export function parseCsvRows(text: string): CsvParse {
  const lines = text.split(/\r?\n/);
  const firstAt = lines.findIndex((l) => l.trim() !== '');
  if (firstAt === -1) throw new NvidiaParseError('nvidia-smi CSV: empty output (no header)');
  const header = parseCsvTable(lines[firstAt] as string);
  const gpus: GpuSample[] = [];
  const errors: string[] = [];
  for (let i = firstAt + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const fields = splitRow(line);
    if (fields.length !== header.columns.length) {
      errors.push(`nvidia-smi CSV line ${i + 1}: ${fields.length} fields, the header has ${header.columns.length}`);
      continue;
    }
    try {
      gpus.push(rowToSample(header, fields, i + 1));
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { gpus, errors };
}
