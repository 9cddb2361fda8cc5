import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ContextError, wrap } from '../lib/errors.ts';
import { logger } from '../lib/log.ts';

/**
 * The records store on PostgreSQL (DATABASE_URL): the record families of
 * services/platform/records.ts have tables here (pg-migrations/, mirroring the SQLite ones).
 * Migrations follow the SQLite runner's rules: file-name order, each file in one transaction
 * with its record, a recorded file that changed or vanished is an error. Concurrent starts
 * (two control planes) take an advisory lock, so one migrates and the other waits.
 */
export const PG_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'pg-migrations');
const MIGRATION_FILE = /^\d+_[\w-]+\.sql$/;
/** pg_advisory_lock key for migrations: any constant the project owns. */
const MIGRATION_LOCK = 0x5757_0008;

export interface PgStore {
  readonly pool: pg.Pool;
  /** The URL without its password, for logs. */
  readonly where: string;
  close(): Promise<void>;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable DATABASE_URL)';
  }
}

export async function openPgStore(url: string, opts: { migrationsDir?: string; max?: number } = {}): Promise<PgStore> {
  const where = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its server emits here; without a listener the process would die.
  pool.on('error', (err) => logger('store').error({ err, where }, `PostgreSQL connection lost: ${err.message}`));
  try {
    const applied = await applyPgMigrations(pool, opts.migrationsDir ?? PG_MIGRATIONS_DIR);
    if (applied.length > 0) logger('store').info({ where, applied }, 'PostgreSQL records store migrated');
  } catch (err) {
    await pool.end();
    throw wrap(`opening the PostgreSQL records store ${where}`, err, 'E_STORE_OPEN');
  }
  return { pool, where, close: () => pool.end() };
}

export async function applyPgMigrations(pool: pg.Pool, dir: string): Promise<string[]> {
  const files = readdirSync(dir).filter((n) => MIGRATION_FILE.test(n)).sort();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, appliedAtMs BIGINT NOT NULL)`);
    const applied = new Map((await client.query<{ name: string; sha256: string }>('SELECT name, sha256 FROM schema_migrations')).rows.map((r) => [r.name, r.sha256]));
    for (const name of applied.keys()) {
      if (!files.includes(name)) throw new ContextError('E_STORE_MIGRATION', `migration ${name} is recorded in the database but missing from ${dir} (is this code older than the database?)`);
    }
    const done: string[] = [];
    for (const name of files) {
      const sql = readFileSync(join(dir, name), 'utf8');
      const sha256 = createHash('sha256').update(sql).digest('hex');
      const recorded = applied.get(name);
      if (recorded !== undefined) {
        if (recorded !== sha256) throw new ContextError('E_STORE_MIGRATION', `migration ${join(dir, name)} changed after it was applied; add a new migration instead`);
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name, sha256, appliedAtMs) VALUES ($1, $2, $3)', [name, sha256, Date.now()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw wrap(`applying migration ${join(dir, name)}`, err, 'E_STORE_MIGRATION');
      }
      done.push(name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch((err: unknown) => logger('store').warn({ err }, 'releasing the migration lock failed (it goes with the connection)'));
    client.release();
  }
}

/** Runs `fn` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      // A connection that cannot roll back is dropped from the pool, not reused.
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      logger('store').error({ err: broken }, 'ROLLBACK failed; the connection is dropped');
    }
    throw err;
  } finally {
    client.release(broken);
  }
}
