import { ContextError } from '../lib/errors.ts';
import type { SeriesQuery, TelemetryPoint } from './history.ts';

/**
 * Names every backend carries unchanged: line protocol, SQLite, and VictoriaMetrics, where
 * measurement_field becomes a metric name and tags become label names (Prometheus rules).
 */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_RULE = '[A-Za-z_][A-Za-z0-9_]*';

function describe(p: TelemetryPoint): string {
  const tags = Object.entries(p.tags ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const at = Number.isFinite(p.atMs) ? new Date(p.atMs).toISOString() : String(p.atMs);
  return `${p.measurement}{${tags}} at ${at}`;
}

function bad(what: string, why: string): ContextError {
  return new ContextError('E_TELEMETRY_POINT', `telemetry point ${what}: ${why}`);
}

/**
 * The history's edge: a point with a NaN or infinite value, a fractional or non-finite time,
 * or names a backend would mangle is refused with what and where, before anything is written.
 */
export function checkPoints(points: TelemetryPoint[]): void {
  for (const p of points) {
    if (typeof p.measurement !== 'string' || !NAME.test(p.measurement)) {
      throw bad(JSON.stringify(p.measurement), `measurement must match ${NAME_RULE}`);
    }
    if (!Number.isSafeInteger(p.atMs) || p.atMs < 0) throw bad(describe(p), `atMs ${p.atMs} is not a whole number of ms since 1970`);
    for (const [key, value] of Object.entries(p.tags ?? {})) {
      if (!NAME.test(key)) throw bad(describe(p), `tag key "${key}" must match ${NAME_RULE}`);
      if (typeof value !== 'string' || value === '') throw bad(describe(p), `tag "${key}" must be a non-empty string, got ${JSON.stringify(value)}`);
      if (/[\n\r]/.test(value)) throw bad(describe(p), `tag "${key}" contains a line break`);
    }
    const fields = Object.entries(p.fields ?? {});
    if (fields.length === 0) throw bad(describe(p), 'has no fields');
    for (const [field, value] of fields) {
      if (!NAME.test(field)) throw bad(describe(p), `field name "${field}" must match ${NAME_RULE}`);
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw bad(describe(p), `field "${field}" is ${String(value)}, not a finite number (offline is a state, not a value)`);
      }
    }
  }
}

export function checkQuery(q: SeriesQuery): void {
  const where = `query ${q.measurement}.${q.field}`;
  if (!NAME.test(q.measurement) || !NAME.test(q.field)) {
    throw new ContextError('E_TELEMETRY_QUERY', `${where}: measurement and field must match ${NAME_RULE}`);
  }
  if (!Number.isSafeInteger(q.fromMs) || !Number.isSafeInteger(q.toMs) || q.toMs <= q.fromMs) {
    throw new ContextError('E_TELEMETRY_QUERY', `${where}: needs whole-ms fromMs < toMs, got ${q.fromMs}..${q.toMs}`);
  }
  if (!Number.isSafeInteger(q.stepMs) || q.stepMs <= 0) {
    throw new ContextError('E_TELEMETRY_QUERY', `${where}: stepMs must be a positive whole number, got ${q.stepMs}`);
  }
  for (const [key, value] of Object.entries(q.where ?? {})) {
    if (!NAME.test(key) || typeof value !== 'string') {
      throw new ContextError('E_TELEMETRY_QUERY', `${where}: where ${key}=${JSON.stringify(value)} must be a tag name and a string`);
    }
  }
  if (q.groupBy !== undefined && !NAME.test(q.groupBy)) {
    throw new ContextError('E_TELEMETRY_QUERY', `${where}: groupBy "${q.groupBy}" is not a tag name`);
  }
}
