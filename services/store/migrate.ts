import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { ContextError, wrap } from '../lib/errors.ts';

const MIGRATION_FILE = /^\d+_[\w-]+\.sql$/;

interface Migration {
  name: string;
  sql: string;
  sha256: string;
}

function readMigrations(dir: string): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => MIGRATION_FILE.test(n));
  } catch (err) {
    throw wrap(`reading migrations folder ${dir}`, err, 'E_STORE_MIGRATION');
  }
  return names.sort().map((name) => {
    const sql = readFileSync(join(dir, name), 'utf8');
    return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') };
  });
}

/**
 * Applies the .sql files of `dir` not yet recorded in schema_migrations, in file-name order,
 * each in its own transaction with its record: a file that fails leaves nothing behind and the
 * error names it. A recorded file whose text changed, or a recorded file that is gone, is an
 * error too: the database would no longer match the code. Returns the names applied now.
 */
export function applyMigrations(db: Database, dir: string): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name        TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL,
    appliedAtMs INTEGER NOT NULL
  )`);
  const migrations = readMigrations(dir);
  const applied = new Map(
    (db.prepare('SELECT name, sha256 FROM schema_migrations').all() as Array<{ name: string; sha256: string }>).map((r) => [r.name, r.sha256]),
  );
  const known = new Set(migrations.map((m) => m.name));
  for (const [name] of applied) {
    if (!known.has(name)) {
      throw new ContextError('E_STORE_MIGRATION', `migration ${name} is recorded in the database but missing from ${dir} (is this code older than the database?)`);
    }
  }
  const record = db.prepare('INSERT INTO schema_migrations (name, sha256, appliedAtMs) VALUES (?, ?, ?)');
  const done: string[] = [];
  for (const m of migrations) {
    const recorded = applied.get(m.name);
    if (recorded !== undefined) {
      if (recorded !== m.sha256) {
        throw new ContextError('E_STORE_MIGRATION', `migration ${join(dir, m.name)} changed after it was applied; add a new migration instead`);
      }
      continue;
    }
    try {
      db.transaction(() => {
        db.exec(m.sql);
        record.run(m.name, m.sha256, Date.now());
      })();
    } catch (err) {
      throw wrap(`applying migration ${join(dir, m.name)}`, err, 'E_STORE_MIGRATION');
    }
    done.push(m.name);
  }
  return done;
}
