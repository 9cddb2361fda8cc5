import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harness, smallBatch, type Harness } from '../support/api-harness.ts';
import { ensureAdminToken, ensureAgentToken } from '../../services/api/auth/bootstrap.ts';
import { TokenStore, hashSecret } from '../../services/api/auth/tokens.ts';
import { openStore } from '../../services/store/sqlite.ts';
import { logger } from '../../services/lib/log.ts';

const CONTROL_ROUTES = [
  { method: 'POST', url: '/api/ingest' },
  { method: 'GET', url: '/api/tokens' },
  { method: 'POST', url: '/api/tokens' },
  { method: 'DELETE', url: '/api/tokens/tok_000000000000' },
] as const;

describe('api auth', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('control routes answer 401 without a token, with an unknown one, and with a malformed header', async () => {
    for (const r of CONTROL_ROUTES) {
      const none = await h.call({ method: r.method, url: r.url, payload: r.method === 'POST' ? {} : undefined });
      assert.equal(none.statusCode, 401, `${r.method} ${r.url} without token`);
      assert.equal(none.json().error.code, 'E_UNAUTHENTICATED');
      const unknown = await h.call({ method: r.method, url: r.url, headers: { authorization: 'Bearer sy_not-a-real-token' } });
      assert.equal(unknown.statusCode, 401, `${r.method} ${r.url} with an unknown token`);
      const basic = await h.call({ method: r.method, url: r.url, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      assert.equal(basic.statusCode, 401, `${r.method} ${r.url} with Basic auth`);
    }
  });

  test('control routes answer 403 to a token of the wrong role', async () => {
    const batch = smallBatch(h.site, { seq: 1 });
    for (const role of ['viewer', 'operator', 'finance', 'admin'] as const) {
      const res = await h.call({ method: 'POST', url: '/api/ingest', payload: batch, as: role });
      assert.equal(res.statusCode, 403, `${role} on ingest`);
      assert.equal(res.json().error.code, 'E_FORBIDDEN');
    }
    for (const role of ['viewer', 'operator', 'finance', 'agent'] as const) {
      assert.equal((await h.call({ method: 'GET', url: '/api/tokens', as: role })).statusCode, 403, `${role} listing tokens`);
      const create = await h.call({ method: 'POST', url: '/api/tokens', payload: { name: 'x', role: 'viewer' }, as: role });
      assert.equal(create.statusCode, 403, `${role} creating a token`);
    }
  });

  test('an agent token ships batches only for its own agentId', async () => {
    const res = await h.call({ method: 'POST', url: '/api/ingest', payload: smallBatch(h.site, { seq: 1, agentId: 'someone-else' }), as: 'agent' });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().error.message, /someone-else/);
  });

  test('admin creates a token whose secret works once shown, is stored only as a hash, and can be revoked', async () => {
    const created = await h.call({ method: 'POST', url: '/api/tokens', payload: { name: 'ops-1', role: 'operator' }, as: 'admin' });
    assert.equal(created.statusCode, 201);
    const { token, secret } = created.json() as { token: { id: string; role: string }; secret: string };
    assert.equal(token.role, 'operator');
    assert.match(secret, /^sy_/);

    const list = await h.call({ method: 'GET', url: '/api/tokens', as: 'admin' });
    assert.equal(list.statusCode, 200);
    assert.ok(!list.body.includes(secret), 'the list never shows a secret');
    assert.ok(list.json().tokens.some((t: { id: string }) => t.id === token.id));

    const rows = h.db.prepare('SELECT * FROM api_tokens WHERE id = ?').all(token.id) as Array<Record<string, unknown>>;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.secretSha256, hashSecret(secret));
    assert.ok(!JSON.stringify(rows).includes(secret), 'only the hash is stored');

    const audit = h.db.prepare(`SELECT actor, action FROM audit_log WHERE detail LIKE ?`).all(`%${token.id}%`);
    assert.deepEqual(audit, [{ actor: (await h.tokens.verify(h.secrets.admin))!.id, action: 'token.create' }]);

    const del = await h.call({ method: 'DELETE', url: `/api/tokens/${token.id}`, as: 'admin' });
    assert.equal(del.statusCode, 200);
    assert.ok(del.json().token.revokedAtMs > 0);
    const after = await h.call({ method: 'GET', url: '/api/tokens', headers: { authorization: `Bearer ${secret}` } });
    assert.equal(after.statusCode, 401, 'a revoked token no longer authenticates');
    assert.equal((await h.call({ method: 'DELETE', url: '/api/tokens/tok_ffffffffffff', as: 'admin' })).statusCode, 404);
  });

  test('read routes are open by default', async () => {
    for (const url of ['/api/health', '/api/site', '/api/telemetry?measurement=site&field=power_w&from=-1h', '/']) {
      assert.equal((await h.call({ url })).statusCode, 200, url);
    }
  });
});

describe('api auth with SWITCHYARD_READ_REQUIRES_TOKEN', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ readRequiresToken: true });
  });
  after(() => h.close());

  test('reads need viewer or above; an agent token may not read', async () => {
    for (const url of ['/api/health', '/api/site', '/api/telemetry?measurement=site&field=power_w&from=-1h']) {
      assert.equal((await h.call({ url })).statusCode, 401, `${url} without a token`);
      for (const role of ['viewer', 'operator', 'finance', 'admin'] as const) {
        assert.equal((await h.call({ url, as: role })).statusCode, 200, `${url} as ${role}`);
      }
      assert.equal((await h.call({ url, as: 'agent' })).statusCode, 403, `${url} as agent`);
    }
    assert.equal((await h.call({ url: '/' })).statusCode, 200, 'the page itself carries no data and stays open');
  });

  test('the live socket takes the token as a subprotocol (browsers cannot set headers on a WebSocket)', async () => {
    await assert.rejects(h.app.injectWS('/api/live', { headers: { 'sec-websocket-protocol': 'switchyard.v1' } }));
    const ws = await h.app.injectWS('/api/live', {
      headers: { 'sec-websocket-protocol': `switchyard.v1, bearer.${h.secrets.viewer}` },
    });
    const first = await new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString('utf8'))));
    assert.equal(JSON.parse(first).type, 'snapshot');
    ws.terminate();
  });
});

describe('first-start tokens', () => {
  test('the admin token is minted once, printed once, and kept 0600; the agent token is reused', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-boot-'));
    try {
      const store = openStore({ dataDir });
      const tokens = new TokenStore(store.db);
      const log = logger('test');
      const printed: string[] = [];
      const first = await ensureAdminToken(tokens, dataDir, log, (t) => printed.push(t));
      assert.equal(first.created, true);
      const secret = readFileSync(first.path, 'utf8').trim();
      assert.equal(statSync(first.path).mode & 0o777, 0o600);
      assert.equal(printed.length, 1);
      assert.ok(printed[0]!.includes(secret));
      assert.equal((await tokens.verify(secret))?.role, 'admin');

      const second = await ensureAdminToken(tokens, dataDir, log, (t) => printed.push(t));
      assert.equal(second.created, false);
      assert.equal(printed.length, 1, 'printed only at first start');

      const agentA = await ensureAgentToken(tokens, dataDir, 'agent-x', log);
      const agentB = await ensureAgentToken(tokens, dataDir, 'agent-x', log);
      assert.equal(agentA, agentB);
      assert.equal(statSync(join(dataDir, 'agent-tokens', 'agent-x.token')).mode & 0o777, 0o600);
      assert.equal((await tokens.verify(agentA))?.role, 'agent');
      store.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
