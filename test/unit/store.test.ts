import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { MIGRATIONS_DIR, openStore } from '../../services/store/sqlite.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-store-'));
  dirs.push(dir);
  return dir;
}

function tables(db: ReturnType<typeof openStore>['db']): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>).map((r) => r.name);
}

describe('records store', () => {
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('migrates a fresh data dir, with WAL, foreign keys and a busy timeout', () => {
    const store = openStore({ dataDir: join(tempDir(), 'nested', 'data') });
    try {
      assert.ok(['agent_batches_seen', 'audit_log', 'schema_migrations', 'settings'].every((t) => tables(store.db).includes(t)));
      assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(store.db.pragma('busy_timeout', { simple: true }), 5000);
      const names = store.db.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all();
      assert.equal(names[0], '001_core.sql');
    } finally {
      store.close();
    }
  });

  it('keeps the core tables usable: audit detail must be JSON, batches are seen once', () => {
    const store = openStore({ path: join(tempDir(), 'records.db') });
    try {
      store.db.prepare('INSERT INTO audit_log (atMs, actor, action, detail) VALUES (?, ?, ?, ?)').run(1, 'op', 'curtail', '{"mw":5}');
      assert.throws(() => store.db.prepare('INSERT INTO audit_log (atMs, actor, action, detail) VALUES (?, ?, ?, ?)').run(2, 'op', 'x', 'not json'), /CHECK/);
      const add = store.db.prepare('INSERT OR IGNORE INTO agent_batches_seen (agentId, seq) VALUES (?, ?)');
      assert.equal(add.run('agent-1', 7).changes, 1);
      assert.equal(add.run('agent-1', 7).changes, 0);
    } finally {
      store.close();
    }
  });

  it('reopening is a no-op: nothing re-applied, data kept', () => {
    const dataDir = tempDir();
    const first = openStore({ dataDir });
    first.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('site', '"demo"');
    const appliedAt = first.db.prepare('SELECT name, appliedAtMs FROM schema_migrations ORDER BY name').all();
    first.close();
    const second = openStore({ dataDir });
    try {
      assert.deepEqual(second.db.prepare('SELECT name, appliedAtMs FROM schema_migrations ORDER BY name').all(), appliedAt);
      assert.equal(second.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get('site'), '"demo"');
    } finally {
      second.close();
    }
  });

  it('rolls back a broken migration completely and names its file', () => {
    const migrationsDir = tempDir();
    copyFileSync(join(MIGRATIONS_DIR, '001_core.sql'), join(migrationsDir, '001_core.sql'));
    writeFileSync(join(migrationsDir, '002_broken.sql'), 'CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n');
    const path = join(tempDir(), 'records.db');
    assert.throws(() => openStore({ path }, { migrationsDir }), (err: Error) => err.message.includes('002_broken.sql') && err.message.includes('no_such_table'));
    const fixed = openStore({ path }, { migrationsDir: MIGRATIONS_DIR });
    try {
      assert.ok(!tables(fixed.db).includes('half_done'), 'the broken file left a table behind');
      const names = fixed.db.prepare('SELECT name FROM schema_migrations').pluck().all();
      assert.ok(!names.includes('002_broken.sql'));
      assert.ok(names.includes('001_core.sql'));
    } finally {
      fixed.close();
    }
  });

  it('refuses a database whose applied migration was edited afterwards', () => {
    const migrationsDir = tempDir();
    writeFileSync(join(migrationsDir, '001_a.sql'), 'CREATE TABLE a (id INTEGER);');
    const path = join(tempDir(), 'records.db');
    openStore({ path }, { migrationsDir }).close();
    writeFileSync(join(migrationsDir, '001_a.sql'), 'CREATE TABLE a (id INTEGER, b TEXT);');
    assert.throws(() => openStore({ path }, { migrationsDir }), /001_a\.sql changed after it was applied/);
  });

  it('names the path when the database cannot be opened', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    assert.throws(() => openStore({ path: join(file, 'records.db') }), (err: Error) => err.message.includes(join(file, 'records.db')));
  });
});
