import { join } from 'node:path';
import { ContextError } from '../lib/errors.ts';
import type { TelemetryHistory } from './history.ts';
import { InfluxHistory, type InfluxFlavor } from './influx-history.ts';
import { SqliteHistory, type SqliteHistoryOptions } from './sqlite-history.ts';

export const HISTORY_FILE = 'history.db';

export interface CreateHistoryOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Retention and clock for the SQLite history. */
  sqlite?: Omit<SqliteHistoryOptions, 'path'>;
}

const FLAVORS = ['influxdb2', 'victoriametrics', 'auto'] as const;

/**
 * InfluxDB line protocol when INFLUX_URL is set (INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET,
 * INFLUX_FLAVOR = influxdb2 | victoriametrics | auto), else SQLite rollups in dataDir.
 */
export function createHistory(opts: CreateHistoryOptions): TelemetryHistory {
  const env = opts.env ?? process.env;
  if (!env.INFLUX_URL) return new SqliteHistory({ ...opts.sqlite, path: join(opts.dataDir, HISTORY_FILE) });
  const flavor = env.INFLUX_FLAVOR ?? 'auto';
  if (!(FLAVORS as readonly string[]).includes(flavor)) {
    throw new ContextError('E_HISTORY_CONFIG', `INFLUX_FLAVOR is "${flavor}"; expected one of ${FLAVORS.join(', ')}`);
  }
  return new InfluxHistory({
    url: env.INFLUX_URL,
    ...(env.INFLUX_TOKEN ? { token: env.INFLUX_TOKEN } : {}),
    org: env.INFLUX_ORG ?? 'switchyard',
    bucket: env.INFLUX_BUCKET ?? 'switchyard',
    flavor: flavor as InfluxFlavor | 'auto',
  });
}
