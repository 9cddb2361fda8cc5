import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { wrap } from '../lib/errors.ts';
import { logger } from '../lib/log.ts';
import { applyMigrations } from './migrate.ts';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
export const RECORDS_FILE = 'records.db';

export type StoreLocation = { dataDir: string } | { path: string };

export interface StoreOptions {
  /** Defaults to services/store/migrations. */
  migrationsDir?: string;
  /** How long a writer waits for another connection's lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** The records database (site config, contracts, debt book, events, audit). */
export interface RecordsStore {
  readonly db: Database.Database;
  readonly path: string;
  close(): void;
}

const log = logger('store');

/** Opens (creating if needed) the records database and brings its schema up to date. */
export function openStore(where: StoreLocation, opts: StoreOptions = {}): RecordsStore {
  const path = 'path' in where ? where.path : join(where.dataDir, RECORDS_FILE);
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (err) {
    throw wrap(`opening records store ${path}`, err, 'E_STORE_OPEN');
  }
  try {
    db.pragma('journal_mode = WAL');
    // WAL with synchronous NORMAL is durable across process crashes, and commits stay cheap.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    const applied = applyMigrations(db, opts.migrationsDir ?? MIGRATIONS_DIR);
    if (applied.length > 0) log.info({ path, applied }, 'records store migrated');
  } catch (err) {
    db.close();
    throw wrap(`opening records store ${path}`, err, 'E_STORE_OPEN');
  }
  return {
    db,
    path,
    close: () => db.close(),
  };
}
