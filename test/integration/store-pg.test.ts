import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openPgStore, PG_MIGRATIONS_DIR } from '../../services/store/pg.ts';
import { requireServiceEnv } from '../support/service-env.ts';

/**
 * The PostgreSQL records store's migration runner, under the SQLite runner's rules
 * (test/unit/store.test.ts): in order, each file whole or not at all, a changed or vanished
 * applied file refused; and two control planes starting at once migrate once.
 */
const url = requireServiceEnv('SWITCHYARD_TEST_DATABASE_URL');

if (url) {
  describe('PostgreSQL records store', () => {
    const admin = new pg.Client({ connectionString: url });
    const schemas: string[] = [];
    const dirs: string[] = [];
    before(() => admin.connect());
    after(async () => {
      for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await admin.end();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    const freshSchema = async () => {
      const s = `store_test_${randomBytes(4).toString('hex')}`;
      schemas.push(s);
      await admin.query(`CREATE SCHEMA ${s}`);
      const u = new URL(url);
      u.searchParams.set('options', `-c search_path=${s}`);
      return { schema: s, url: u.toString() };
    };
    const migrationsDir = () => {
      const d = mkdtempSync(join(tmpdir(), 'switchyard-pg-migrations-'));
      dirs.push(d);
      return d;
    };
    const tables = async (schema: string) =>
      (await admin.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema])).rows.map((r) => r.table_name);

    it("applies the project's migrations once: a second open applies none", async () => {
      const { schema, url: u } = await freshSchema();
      const a = await openPgStore(u);
      await a.close();
      const b = await openPgStore(u);
      const recorded = await b.pool.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
      await b.close();
      assert.deepEqual(recorded.rows.map((r) => r.name), ['001_audit.sql', '002_tokens_ingest.sql', '003_plans.sql', '004_curtailment.sql', '005_simulations.sql']);
      assert.deepEqual(await tables(schema), ['agent_batches_seen', 'api_tokens', 'audit_log', 'curtailment_devices', 'curtailment_events', 'curtailment_meter', 'curtailment_timeline', 'plans', 'schema_migrations', 'simulations']);
      assert.ok(PG_MIGRATIONS_DIR.endsWith('pg-migrations'));
    });

    it('a failing migration leaves nothing behind and the error names the file', async () => {
      const { schema, url: u } = await freshSchema();
      const dir = migrationsDir();
      writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (id INTEGER);');
      writeFileSync(join(dir, '002_broken.sql'), 'CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);');
      await assert.rejects(openPgStore(u, { migrationsDir: dir }), (err: Error) => err.message.includes('002_broken.sql') && err.message.includes('no_such_table'));
      assert.deepEqual(await tables(schema), ['a', 'schema_migrations'], 'half_done was rolled back with its file');
    });

    it('refuses an applied file that changed, or that is gone', async () => {
      const { url: u } = await freshSchema();
      const dir = migrationsDir();
      writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (id INTEGER);');
      await (await openPgStore(u, { migrationsDir: dir })).close();
      writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (id INTEGER, b TEXT);');
      await assert.rejects(openPgStore(u, { migrationsDir: dir }), /001_a\.sql changed after it was applied/);
      unlinkSync(join(dir, '001_a.sql'));
      writeFileSync(join(dir, '002_b.sql'), 'CREATE TABLE b (id INTEGER);');
      await assert.rejects(openPgStore(u, { migrationsDir: dir }), /migration 001_a\.sql is recorded in the database but missing/);
    });

    it('two control planes opening at once migrate once (advisory lock)', async () => {
      const { url: u } = await freshSchema();
      const dir = migrationsDir();
      // Not idempotent: run twice, the second CREATE TABLE would fail.
      writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (id INTEGER);\nSELECT pg_sleep(0.3);');
      const [x, y] = await Promise.all([openPgStore(u, { migrationsDir: dir }), openPgStore(u, { migrationsDir: dir })]);
      const n = await x.pool.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
      await Promise.all([x.close(), y.close()]);
      assert.equal(Number(n.rows[0]!.n), 1);
    });

    it('an unreachable database fails the start with the URL, password hidden', async () => {
      const bad = new URL(url);
      bad.port = '1';
      await assert.rejects(openPgStore(bad.toString()), (err: Error) => err.message.includes('127.0.0.1:1') && !err.message.includes(decodeURIComponent(new URL(url).password)));
    });
  });
}
