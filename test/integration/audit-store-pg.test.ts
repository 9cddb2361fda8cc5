import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startControlPlane } from '../../services/platform/control-plane.ts';
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
      tamper: [() => store.pool.query("UPDATE audit_log SET actor = 'someone-else'"), () => store.pool.query('DELETE FROM audit_log')],
      close: async () => {
        await store.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      },
    };
  });
}

if (url) {
  describe('control plane with DATABASE_URL', () => {
    it('audits control actions into PostgreSQL and serves them at GET /api/audit', async () => {
      const schema = `audit_cp_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      const scoped = new URL(url);
      scoped.searchParams.set('options', `-c search_path=${schema}`);
      const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-pg-cp-'));
      const cp = await startControlPlane({ sitePath: 'test/support/sites/small.yaml', port: 0, host: '127.0.0.1', dataDir, env: { DATABASE_URL: scoped.toString() }, print: () => undefined });
      try {
        const token = readFileSync(cp.adminTokenPath, 'utf8').trim();
        const auth = { authorization: `Bearer ${token}` };
        const made = await cp.app.inject({ method: 'POST', url: '/api/tokens', headers: auth, payload: { name: 'pg-viewer', role: 'viewer' } });
        assert.equal(made.statusCode, 201, made.body);
        // The tokens are in PostgreSQL too: each change is audited there with the token row
        // (first-start admin and agent tokens by "system"), and the request by the audit plugin.
        const rows = await admin.query(`SELECT actor, action, outcome, actorrole, detail->>'name' AS name FROM ${schema}.audit_log ORDER BY id`);
        assert.deepEqual(rows.rows.slice(0, 2).map((r: { actor: string; action: string }) => [r.actor, r.action]), [['system', 'token.create'], ['system', 'token.create']]);
        assert.deepEqual(rows.rows.slice(2).map((r: { action: string; outcome: string | null; actorrole: string | null; name: string | null }) => [r.action, r.outcome, r.actorrole, r.name]), [['token.create', null, null, 'pg-viewer'], ['POST /api/tokens', '201', 'admin', null]]);
        // The tokens CLI on the same machine writes its change to the same trail.
        const cli = spawnSync(process.execPath, ['services/cli/bin.js', 'tokens', 'create', '--role', 'viewer', '--name', 'from-cli', '--data-dir', dataDir], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: scoped.toString() }, timeout: 30_000 });
        assert.equal(cli.status, 0, cli.stderr);
        const served = await cp.app.inject({ method: 'GET', url: '/api/audit', headers: auth });
        const entries = (served.json() as { entries: Array<{ action: string; actor: string; detail: { name?: string } }> }).entries;
        assert.deepEqual(entries.map((e) => e.action).slice(0, 3), ['token.create', 'POST /api/tokens', 'token.create']);
        assert.match(entries[0]!.actor, /^cli:/);
        assert.equal(entries[0]!.detail.name, 'from-cli');
      } finally {
        await cp.stop();
        rmSync(dataDir, { recursive: true, force: true });
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      }
    });
  });
}
