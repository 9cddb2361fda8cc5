import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { harness, smallBatch, type Harness } from '../support/api-harness.ts';
import { openStore } from '../../services/store/sqlite.ts';
import { TokenStore } from '../../services/api/auth/tokens.ts';
import { AuditLog, type AuditEntry } from '../../services/api/audit/audit-log.ts';

/** The audit log of control actions (GET /api/audit) and `switchyard tokens`. */

describe('audit log', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  const entries = async (query = ''): Promise<AuditEntry[]> => {
    const res = await h.call({ method: 'GET', url: `/api/audit${query}`, as: 'admin' });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { entries: AuditEntry[] }).entries;
  };

  it('records who did what, when, from where and how it ended; refused attempts too', async () => {
    const t0 = Date.now();
    const created = await h.call({ method: 'POST', url: '/api/tokens', as: 'admin', payload: { name: 'ops-viewer', role: 'viewer' }, headers: { 'user-agent': 'audit-test/1' } });
    assert.equal(created.statusCode, 201);
    const refused = await h.call({ method: 'POST', url: '/api/tokens', as: 'viewer', payload: { name: 'sneaky', role: 'admin' } });
    assert.equal(refused.statusCode, 403);
    const anon = await h.call({ method: 'POST', url: '/api/curtailment/events', payload: { shedMw: 1 } });
    assert.equal(anon.statusCode, 401);
    const id = (created.json() as { token: { id: string } }).token.id;
    assert.equal((await h.call({ method: 'DELETE', url: `/api/tokens/${id}`, as: 'admin' })).statusCode, 200);

    const log = await entries('?action=' + encodeURIComponent('POST /api/'));
    const [curtail, tokenRefused, tokenCreated] = log;
    assert.equal(curtail!.action, 'POST /api/curtailment/events');
    assert.equal(curtail!.actor, 'anonymous');
    assert.equal(curtail!.outcome, '401');
    assert.equal(tokenRefused!.actorRole, 'viewer');
    assert.equal(tokenRefused!.outcome, '403');
    // Refused before its body was read: the entry has who, what and from where, no body.
    assert.deepEqual(tokenRefused!.detail, {});
    assert.deepEqual(tokenCreated!.detail, { body: { name: 'ops-viewer', role: 'viewer' } });
    assert.equal(tokenCreated!.actorRole, 'admin');
    assert.equal(tokenCreated!.actorName, 'test-admin');
    assert.match(tokenCreated!.actor, /^tok_[0-9a-f]{12}$/);
    assert.equal(tokenCreated!.fromAddr, '127.0.0.1');
    assert.equal(tokenCreated!.userAgent, 'audit-test/1');
    assert.equal(tokenCreated!.outcome, '201');
    assert.ok(tokenCreated!.atMs >= t0 && tokenCreated!.atMs <= Date.now());
    assert.ok(tokenCreated!.requestId);
    const revoke = (await entries('?action=DELETE'))[0]!;
    assert.deepEqual(revoke.detail, { params: { id } });
    // The token store's own rows name the token changed.
    assert.ok((await entries('?action=token.')).some((e) => e.action === 'token.revoke' && e.detail.tokenId === id));
  });

  it('leaves out telemetry ingest, dry runs and reads; pages back by id; admin only', async () => {
    const before = (await entries('?limit=1'))[0]!.id;
    assert.equal((await h.call({ method: 'POST', url: '/api/ingest', as: 'agent', payload: smallBatch(h.site, { seq: 1 }) })).statusCode, 200);
    await h.call({ method: 'POST', url: '/api/curtailment/preview', as: 'operator', payload: { shedMw: 1 } });
    await h.call({ method: 'GET', url: '/api/site' });
    assert.equal((await entries('?limit=1'))[0]!.id, before, 'nothing new audited');
    const page = await entries(`?before=${before}&limit=2`);
    assert.ok(page.length === 2 && page.every((e) => e.id < before));
    for (const role of ['viewer', 'operator', 'agent'] as const) assert.equal((await h.call({ method: 'GET', url: '/api/audit', as: role })).statusCode, 403);
    assert.equal((await h.call({ method: 'GET', url: '/api/audit?limit=5000', as: 'admin' })).statusCode, 400);
  });

  it('rows are append-only in the records store', () => {
    assert.throws(() => h.db.prepare('UPDATE audit_log SET actor = ?').run('someone-else'), /append-only/);
    assert.throws(() => h.db.prepare('DELETE FROM audit_log').run(), /append-only/);
  });
});

describe('switchyard tokens', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-tokens-'));
    openStore({ dataDir }).close();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['services/cli/bin.js', 'tokens', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SWITCHYARD_DATA_DIR: dataDir } });
    if (r.error) throw r.error;
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('creates a token whose secret works, lists it by role, revokes it; the audit log names the CLI user', async () => {
    const made = cli('create', '--role', 'operator', '--name', 'night shift');
    assert.equal(made.code, 0, made.stderr);
    const [first, secret] = made.stdout.trim().split('\n');
    const id = /created (tok_[0-9a-f]{12}) \(role operator, name "night shift"\)/.exec(first!)?.[1];
    assert.ok(id, made.stdout);
    assert.match(secret!, /^sy_/);
    const agent = JSON.parse(cli('create', '--role', 'agent', '--name', 'agent-b1', '--json').stdout) as { token: { role: string } };
    assert.equal(agent.token.role, 'agent');

    const store = openStore({ dataDir });
    try {
      assert.equal((await new TokenStore(store.db).verify(secret!))?.id, id);
    } finally {
      store.close();
    }
    const ops = JSON.parse(cli('list', '--role', 'operator', '--json').stdout) as Array<{ id: string }>;
    assert.deepEqual(ops.map((t) => t.id), [id]);
    assert.match(cli('list').stdout, /agent-b1/);
    assert.doesNotMatch(cli('list').stdout, /sy_/, 'secrets are never listed');

    const revoked = cli('revoke', id!);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`revoked ${id}`));
    const again = openStore({ dataDir });
    try {
      assert.equal(await new TokenStore(again.db).verify(secret!), null, 'a revoked secret no longer works');
      const audit = await new AuditLog(again.db).list({ limit: 10, actionPrefix: 'token.' });
      const who = `cli:${userInfo().username}@${hostname()}`;
      assert.deepEqual(audit.map((e) => [e.action, e.actor]), [['token.revoke', who], ['token.create', who], ['token.create', who]]);
    } finally {
      again.close();
    }
  });

  it('refuses a bad role, a bad id, an unknown id and a missing data dir with one clear line', () => {
    const badRole = cli('create', '--role', 'root', '--name', 'x');
    assert.notEqual(badRole.code, 0);
    assert.match(badRole.stderr, /Allowed choices are viewer, operator, finance, admin, agent/);
    assert.match(cli('revoke', 'nope').stderr, /"nope" is not a token id/);
    assert.match(cli('revoke', 'tok_000000000000').stderr, /no token tok_000000000000/);
    const none = cli('list', '--data-dir', join(dataDir, 'missing'));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^switchyard: no records store in .*missing/);
  });
});
