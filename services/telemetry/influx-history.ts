import { InfluxDB, Point, type QueryApi, type WriteApi } from '@influxdata/influxdb-client';
import { ContextError, errorMessage, wrap } from '../lib/errors.ts';
import { checkPoints, checkQuery } from './check-points.ts';
import { fetchText } from './fetch-text.ts';
import { fluxQuery } from './flux-query.ts';
import type { Series, SeriesQuery, TelemetryHistory, TelemetryPoint } from './history.ts';
import { mergeBuckets } from './merge-buckets.ts';
import { queryVictoriaMetrics } from './vm-query.ts';

export type InfluxFlavor = 'influxdb2' | 'victoriametrics';

export interface InfluxHistoryOptions {
  url: string;
  token?: string;
  org: string;
  bucket: string;
  /** Which server answers queries; 'auto' asks the server's /health once, at the first query. */
  flavor: InfluxFlavor | 'auto';
  /** Per HTTP request (default 10 s). */
  timeoutMs?: number;
  /** Lines per write request (default 5000). */
  batchLines?: number;
}

/**
 * The telemetry history on an InfluxDB 2 server, or on VictoriaMetrics, which takes the same
 * line protocol on /api/v2/write (fields become measurement_field metrics). write() resolves
 * once the server has accepted every point, and rejects, saying where, when it has not: the
 * caller keeps the points (agents replay their store-and-forward queue), so the client neither
 * buffers nor retries in the background.
 */
export class InfluxHistory implements TelemetryHistory {
  readonly kind = 'influx' as const;
  private readonly url: string;
  private readonly where: string;
  private readonly writeApi: WriteApi;
  private readonly queryApi: QueryApi;
  private readonly timeoutMs: number;
  private readonly batchLines: number;
  private flavor: Promise<InfluxFlavor> | undefined;
  private closed = false;

  constructor(private readonly opts: InfluxHistoryOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.where = `${this.url} (org "${opts.org}", bucket "${opts.bucket}")`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.batchLines = opts.batchLines ?? 5000;
    if (opts.flavor === 'influxdb2' && !opts.token) {
      throw new ContextError('E_HISTORY_CONFIG', `telemetry history ${this.where}: InfluxDB 2 needs a token (INFLUX_TOKEN)`);
    }
    if (opts.flavor !== 'auto') this.flavor = Promise.resolve(opts.flavor);
    const client = new InfluxDB({ url: this.url, timeout: this.timeoutMs, ...(opts.token ? { token: opts.token } : {}) });
    this.writeApi = client.getWriteApi(opts.org, opts.bucket, 'ms', {
      // Batches are sent by write() itself, never on a timer or a size trigger in the
      // background, where the client would swallow the error.
      batchSize: this.batchLines + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      writeFailed: (error: Error, lines: string[]) =>
        Promise.reject(wrap(`writing ${lines.length} telemetry lines to ${this.where}`, error, 'E_HISTORY_WRITE')),
    });
    this.queryApi = client.getQueryApi(opts.org);
  }

  async write(points: TelemetryPoint[]): Promise<void> {
    if (this.closed) throw new ContextError('E_HISTORY_CLOSED', `telemetry history ${this.where}: write after close`);
    checkPoints(points);
    for (let i = 0; i < points.length; i += this.batchLines) {
      // The two calls run back to back: the flush sends exactly this chunk.
      this.writeApi.writePoints(points.slice(i, i + this.batchLines).map(toPoint));
      await this.writeApi.flush();
    }
  }

  async query(q: SeriesQuery): Promise<Series[]> {
    checkQuery(q);
    const aggregate = q.aggregate ?? 'mean';
    const flavor = await this.serverFlavor();
    if (flavor === 'victoriametrics') return queryVictoriaMetrics(this.url, q, aggregate, this.timeoutMs);
    const flux = fluxQuery(this.opts.bucket, q, aggregate);
    let rows: Array<Record<string, unknown>>;
    try {
      rows = await this.queryApi.collectRows<Record<string, unknown>>(flux);
    } catch (err) {
      throw wrap(`querying ${this.where} with Flux ${JSON.stringify(flux)}`, err, 'E_HISTORY_QUERY');
    }
    const parts = rows.map((row) => ({
      group: q.groupBy ? String(row[q.groupBy] ?? '') : '',
      bucket: Date.parse(String(row._time)),
      v: Number(row._value),
    }));
    return mergeBuckets(parts, aggregate, (group) => (q.groupBy && group !== '' ? { ...q.where, [q.groupBy]: group } : { ...q.where }));
  }

  async flush(): Promise<void> {
    await this.writeApi.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writeApi.close();
    } catch (err) {
      throw wrap(`closing telemetry history ${this.where}`, err, 'E_HISTORY_WRITE');
    }
  }

  private serverFlavor(): Promise<InfluxFlavor> {
    this.flavor ??= detectFlavor(this.url, this.timeoutMs).catch((err: unknown) => {
      this.flavor = undefined; // ask again next time: the server may not have been up yet
      throw err;
    });
    return this.flavor;
  }
}

function toPoint(p: TelemetryPoint): Point {
  const point = new Point(p.measurement).timestamp(p.atMs);
  for (const [k, v] of Object.entries(p.tags ?? {})) point.tag(k, v);
  for (const [k, v] of Object.entries(p.fields)) point.floatField(k, v);
  return point;
}

/** InfluxDB 2 answers /health with JSON naming itself "influxdb"; VictoriaMetrics with "OK". */
export async function detectFlavor(url: string, timeoutMs: number): Promise<InfluxFlavor> {
  const healthUrl = `${url}/health`;
  const res = await fetchText(healthUrl, {}, timeoutMs, `asking ${healthUrl} which server it is (set INFLUX_FLAVOR to skip this)`);
  const status = res.status;
  const body = res.text.trim();
  if (body === 'OK') return 'victoriametrics';
  try {
    const json = JSON.parse(body) as { name?: unknown };
    if (json.name === 'influxdb') return 'influxdb2';
  } catch (err) {
    throw new ContextError('E_HISTORY_DETECT', `${healthUrl} answered HTTP ${status} "${body.slice(0, 100)}": neither InfluxDB 2 nor VictoriaMetrics (${errorMessage(err)}); set INFLUX_FLAVOR`);
  }
  throw new ContextError('E_HISTORY_DETECT', `${healthUrl} answered HTTP ${status} "${body.slice(0, 100)}": neither InfluxDB 2 nor VictoriaMetrics; set INFLUX_FLAVOR`);
}
