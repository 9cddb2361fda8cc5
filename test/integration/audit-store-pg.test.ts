import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PgAuditLog } from '../../services/api/audit/pg-audit-log.ts';
import { openPgStore } from '../../services/store/pg.ts';
import { auditContract } from '../support/audit-contract.ts';
import { requireServiceEnv } from '../support/service-env.ts';

/** The audit store contract on a real PostgreSQL (infra/dev/services.sh), in a schema of its own. */
const url = requireServiceEnv('SWITCHYARD_TEST_DATABASE_URL');

if (url) {
  auditContract('PostgreSQL', async () => {
    // A fresh schema per run: the test never sees another run's rows, and drops its own.
    const schema = `audit_test_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const scoped = new URL(url);
    scoped.searchParams.set('options', `-c search_path=${schema}`);
    const store = await openPgStore(scoped.toString());
    return {
      store: new PgAuditLog(store.pool),
      tamper: async () => [store.pool.query("UPDATE audit_log SET actor = 'someone-else'"), store.pool.query('DELETE FROM audit_log')],
      close: async () => {
        await store.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      },
    };
  });
}
