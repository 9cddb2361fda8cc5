/**
 * The telemetry history: one interface, two implementations —
 * SQLite rollups (embedded default) and InfluxDB line protocol (INFLUX_URL).
 */
export interface TelemetryPoint {
  /** e.g. "block", "site", "miner", "meter" */
  measurement: string;
  tags: Record<string, string>;
  /** snake_case with unit suffix: power_w, hashrate_hs, ... */
  fields: Record<string, number>;
  atMs: number;
}

export type Aggregate = 'mean' | 'min' | 'max' | 'last' | 'sum';

export interface SeriesQuery {
  measurement: string;
  field: string;
  /** Only points whose tags match all of these. */
  where?: Record<string, string>;
  /** Split into one series per value of this tag. */
  groupBy?: string;
  fromMs: number;
  toMs: number;
  /** Bucket width; points inside a bucket are combined with `aggregate`. */
  stepMs: number;
  aggregate?: Aggregate;
}

export interface Series {
  tags: Record<string, string>;
  /** [bucket start ms, value]; buckets with no data are absent, never zero. */
  points: Array<[number, number]>;
}

export interface TelemetryHistory {
  readonly kind: 'sqlite' | 'influx';
  write(points: TelemetryPoint[]): Promise<void>;
  query(q: SeriesQuery): Promise<Series[]>;
  flush(): Promise<void>;
  close(): Promise<void>;
}
