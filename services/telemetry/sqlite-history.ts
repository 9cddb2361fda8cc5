import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ContextError, wrap } from '../lib/errors.ts';
import { checkPoints, checkQuery } from './check-points.ts';
import type { Aggregate, Series, SeriesQuery, TelemetryHistory, TelemetryPoint } from './history.ts';
import { mergeBuckets, type BucketPart } from './merge-buckets.ts';

export const ROLLUP_MS = 60_000;

export interface SqliteHistoryOptions {
  /** A file path, or ':memory:'. */
  path: string;
  /** Raw points are kept this long (default 2 h). */
  rawRetentionMs?: number;
  /** 1-minute rollups are kept this long (default 30 days). */
  rollupRetentionMs?: number;
  /** Old rows are pruned at most this often, during a write (default 1 min). */
  pruneEveryMs?: number;
  /** The clock retention is measured on (tests move it). */
  now?: () => number;
}

interface SeriesRow {
  id: number;
  measurement: string;
  field: string;
  tags: Record<string, string>;
}

const SCHEMA_VERSION = 1;
const SCHEMA = `
CREATE TABLE series (
  id          INTEGER PRIMARY KEY,
  measurement TEXT NOT NULL,
  field       TEXT NOT NULL,
  tags        TEXT NOT NULL, -- JSON object, keys sorted: one spelling per tag set
  UNIQUE (measurement, field, tags)
);
CREATE TABLE raw (
  seriesId INTEGER NOT NULL,
  atMs     INTEGER NOT NULL,
  value    REAL NOT NULL,
  PRIMARY KEY (seriesId, atMs)
) WITHOUT ROWID;
CREATE TABLE rollup_1m (
  seriesId INTEGER NOT NULL,
  bucketMs INTEGER NOT NULL,
  n        INTEGER NOT NULL,
  total    REAL NOT NULL,
  lo       REAL NOT NULL,
  hi       REAL NOT NULL,
  last     REAL NOT NULL,
  lastAtMs INTEGER NOT NULL,
  PRIMARY KEY (seriesId, bucketMs)
) WITHOUT ROWID;
PRAGMA user_version = ${SCHEMA_VERSION};
`;

/** Per aggregate: what each (series, bucket) row carries, raw and rolled up, as BucketPart columns. */
const PART_SQL: Record<Aggregate, { raw: string; rollup: string }> = {
  mean: { raw: 'COUNT(*) AS n, SUM(value) AS v', rollup: 'SUM(n) AS n, SUM(total) AS v' },
  sum: { raw: 'SUM(value) AS v', rollup: 'SUM(total) AS v' },
  min: { raw: 'MIN(value) AS v', rollup: 'MIN(lo) AS v' },
  max: { raw: 'MAX(value) AS v', rollup: 'MAX(hi) AS v' },
  // SQLite returns the bare column from the row that holds the single MAX().
  last: { raw: 'value AS v, MAX(atMs) AS at', rollup: 'last AS v, MAX(lastAtMs) AS at' },
};

function canonicalTags(tags: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(tags).sort()) sorted[key] = tags[key] as string;
  return JSON.stringify(sorted);
}

/**
 * The embedded telemetry history: raw points for a short window plus 1-minute rollups
 * (count, sum, min, max, last) for a long one, both written in one transaction per write().
 * A point repeated for the same series and time is ignored while its raw row is kept (first
 * write wins), so rollups never count it twice.
 */
export class SqliteHistory implements TelemetryHistory {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly rawRetentionMs: number;
  private readonly rollupRetentionMs: number;
  private readonly pruneEveryMs: number;
  private readonly now: () => number;
  private lastPruneMs = 0;
  private readonly seriesByKey = new Map<string, number>();
  private readonly seriesById = new Map<number, SeriesRow>();
  private readonly writeBatch: (points: TelemetryPoint[]) => void;
  private readonly statements;

  constructor(opts: SqliteHistoryOptions) {
    this.path = opts.path;
    this.rawRetentionMs = opts.rawRetentionMs ?? 2 * 3600_000;
    this.rollupRetentionMs = opts.rollupRetentionMs ?? 30 * 86400_000;
    this.pruneEveryMs = opts.pruneEveryMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    try {
      if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
      this.db = new Database(opts.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.ensureSchema();
    } catch (err) {
      throw wrap(`opening telemetry history ${opts.path}`, err, 'E_HISTORY_OPEN');
    }
    this.statements = {
      insertSeries: this.db.prepare<[string, string, string], { id: number }>(
        'INSERT INTO series (measurement, field, tags) VALUES (?, ?, ?) RETURNING id',
      ),
      insertRaw: this.db.prepare<[number, number, number]>('INSERT INTO raw (seriesId, atMs, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      upsertRollup: this.db.prepare<[number, number, number, number, number, number, number, number]>(
        `INSERT INTO rollup_1m (seriesId, bucketMs, n, total, lo, hi, last, lastAtMs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (seriesId, bucketMs) DO UPDATE SET
           n = n + excluded.n,
           total = total + excluded.total,
           lo = min(lo, excluded.lo),
           hi = max(hi, excluded.hi),
           last = CASE WHEN excluded.lastAtMs >= lastAtMs THEN excluded.last ELSE last END,
           lastAtMs = max(lastAtMs, excluded.lastAtMs)`,
      ),
      pruneRaw: this.db.prepare<[number, number]>('DELETE FROM raw WHERE seriesId = ? AND atMs < ?'),
      pruneRollup: this.db.prepare<[number, number]>('DELETE FROM rollup_1m WHERE seriesId = ? AND bucketMs < ?'),
    };
    for (const row of this.db.prepare('SELECT id, measurement, field, tags FROM series').all() as Array<{ id: number; measurement: string; field: string; tags: string }>) {
      this.remember({ ...row, tags: JSON.parse(row.tags) as Record<string, string> }, row.tags);
    }
    this.writeBatch = this.db.transaction((points: TelemetryPoint[]) => this.writeInTransaction(points));
  }

  async write(points: TelemetryPoint[]): Promise<void> {
    checkPoints(points);
    if (points.length === 0) return;
    try {
      this.writeBatch(points);
    } catch (err) {
      throw wrap(`writing ${points.length} telemetry points to ${this.path}`, err, 'E_HISTORY_WRITE');
    }
    if (this.now() - this.lastPruneMs >= this.pruneEveryMs) this.prune();
  }

  async query(q: SeriesQuery): Promise<Series[]> {
    checkQuery(q);
    const groups = this.matchSeries(q);
    if (groups.size === 0) return [];
    const aggregate = q.aggregate ?? 'mean';
    const { table, stepMs } = this.pickSource(q);
    // Whole buckets: from the one holding fromMs through the one holding toMs - 1.
    const startMs = Math.floor(q.fromMs / stepMs) * stepMs;
    const endMs = Math.ceil(q.toMs / stepMs) * stepMs;
    const ids = JSON.stringify([...groups.keys()]);
    const timeColumn = table === 'raw' ? 'atMs' : 'bucketMs';
    const columns = PART_SQL[aggregate][table === 'raw' ? 'raw' : 'rollup'];
    const sql = `SELECT seriesId, (${timeColumn} / ${stepMs}) * ${stepMs} AS bucket, ${columns}
      FROM ${table}
      WHERE seriesId IN (SELECT value FROM json_each(?)) AND ${timeColumn} >= ? AND ${timeColumn} < ?
      GROUP BY seriesId, bucket`;
    let rows: Array<BucketPart & { seriesId: number }>;
    try {
      rows = this.db.prepare(sql).all(ids, startMs, endMs) as Array<BucketPart & { seriesId: number }>;
    } catch (err) {
      throw wrap(`querying ${q.measurement}.${q.field} from ${table} in ${this.path}`, err, 'E_HISTORY_QUERY');
    }
    const parts = rows.map((r) => ({ ...r, group: groups.get(r.seriesId) ?? '' }));
    return mergeBuckets(parts, aggregate, (group) => this.groupTags(q, group));
  }

  async flush(): Promise<void> {
    // Every write() has committed before it resolves; nothing is buffered.
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Drops raw points and rollups older than their retention; returns the rows removed. */
  prune(): { raw: number; rollup: number } {
    const now = this.now();
    this.lastPruneMs = now;
    const removed = { raw: 0, rollup: 0 };
    try {
      this.db.transaction(() => {
        for (const id of this.seriesById.keys()) {
          removed.raw += this.statements.pruneRaw.run(id, now - this.rawRetentionMs).changes;
          removed.rollup += this.statements.pruneRollup.run(id, now - this.rollupRetentionMs).changes;
        }
      })();
    } catch (err) {
      throw wrap(`pruning telemetry history ${this.path}`, err, 'E_HISTORY_PRUNE');
    }
    return removed;
  }

  private ensureSchema(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version === 0) this.db.exec(`BEGIN; ${SCHEMA} COMMIT;`);
    else if (version !== SCHEMA_VERSION) {
      throw new ContextError('E_HISTORY_SCHEMA', `schema version ${version}, this code knows ${SCHEMA_VERSION}`);
    }
  }

  private remember(row: SeriesRow, tagsJson: string): void {
    this.seriesById.set(row.id, row);
    this.seriesByKey.set(`${row.measurement}\u0000${row.field}\u0000${tagsJson}`, row.id);
  }

  private seriesId(measurement: string, field: string, tagsJson: string): number {
    const key = `${measurement}\u0000${field}\u0000${tagsJson}`;
    let id = this.seriesByKey.get(key);
    if (id === undefined) {
      const row = this.statements.insertSeries.get(measurement, field, tagsJson);
      if (!row) throw new Error(`series ${key} was not created`);
      id = row.id;
      this.remember({ id, measurement, field, tags: JSON.parse(tagsJson) as Record<string, string> }, tagsJson);
    }
    return id;
  }

  private writeInTransaction(points: TelemetryPoint[]): void {
    const rollups = new Map<string, { id: number; bucket: number; n: number; total: number; lo: number; hi: number; last: number; lastAtMs: number }>();
    for (const p of points) {
      const tagsJson = canonicalTags(p.tags ?? {});
      for (const [field, value] of Object.entries(p.fields)) {
        const id = this.seriesId(p.measurement, field, tagsJson);
        if (this.statements.insertRaw.run(id, p.atMs, value).changes === 0) continue;
        const bucket = Math.floor(p.atMs / ROLLUP_MS) * ROLLUP_MS;
        const key = `${id}:${bucket}`;
        const r = rollups.get(key);
        if (!r) {
          rollups.set(key, { id, bucket, n: 1, total: value, lo: value, hi: value, last: value, lastAtMs: p.atMs });
        } else {
          r.n++;
          r.total += value;
          if (value < r.lo) r.lo = value;
          if (value > r.hi) r.hi = value;
          if (p.atMs >= r.lastAtMs) {
            r.last = value;
            r.lastAtMs = p.atMs;
          }
        }
      }
    }
    for (const r of rollups.values()) {
      this.statements.upsertRollup.run(r.id, r.bucket, r.n, r.total, r.lo, r.hi, r.last, r.lastAtMs);
    }
  }

  /**
   * Whole-minute steps read the rollups (exact for every aggregate). Finer steps read raw
   * points, unless the range starts before the raw window: then the step is rounded up to
   * whole minutes, so a long chart keeps its history instead of showing only the last hours.
   */
  private pickSource(q: SeriesQuery): { table: 'raw' | 'rollup_1m'; stepMs: number } {
    if (q.stepMs % ROLLUP_MS === 0) return { table: 'rollup_1m', stepMs: q.stepMs };
    if (q.fromMs >= this.now() - this.rawRetentionMs) return { table: 'raw', stepMs: q.stepMs };
    return { table: 'rollup_1m', stepMs: Math.ceil(q.stepMs / ROLLUP_MS) * ROLLUP_MS };
  }

  /** Matching series ids, each with its group (the groupBy tag's value, '' without one). */
  private matchSeries(q: SeriesQuery): Map<number, string> {
    const matched = new Map<number, string>();
    const where = Object.entries(q.where ?? {});
    for (const s of this.seriesById.values()) {
      if (s.measurement !== q.measurement || s.field !== q.field) continue;
      if (!where.every(([k, v]) => s.tags[k] === v)) continue;
      matched.set(s.id, q.groupBy ? (s.tags[q.groupBy] ?? '') : '');
    }
    return matched;
  }

  private groupTags(q: SeriesQuery, group: string): Record<string, string> {
    const tags = { ...q.where };
    if (q.groupBy && group !== '') tags[q.groupBy] = group;
    return tags;
  }
}
