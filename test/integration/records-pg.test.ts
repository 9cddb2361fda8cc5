import '../support/quiet-logs.ts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openRecords } from '../../services/platform/records.ts';
import { recordsContract } from '../support/records-contract.ts';
import { requireServiceEnv } from '../support/service-env.ts';

/**
 * The record families' contract on a real PostgreSQL (infra/dev/services.sh), in a schema of
 * its own: the same cases as on SQLite (test/unit/records-sqlite.test.ts), with two openings
 * (two control-plane instances) on the one database.
 */
const url = requireServiceEnv('SWITCHYARD_TEST_DATABASE_URL');

if (url) {
  recordsContract('PostgreSQL', async () => {
    const schema = `records_test_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const scoped = new URL(url);
    scoped.searchParams.set('options', `-c search_path=${schema}`);
    const dirs = [mkdtempSync(join(tmpdir(), 'switchyard-records-pg-a-')), mkdtempSync(join(tmpdir(), 'switchyard-records-pg-b-'))];
    const env = { DATABASE_URL: scoped.toString() };
    const records = await openRecords({ dataDir: dirs[0]!, env });
    const other = await openRecords({ dataDir: dirs[1]!, env });
    return {
      records,
      other,
      close: async () => {
        await other.close();
        await records.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      },
    };
  });
}
