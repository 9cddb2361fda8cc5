import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_DETAIL_BYTES, type AuditStore, type NewAuditEntry } from '../../services/api/audit/audit-log.ts';

/**
 * The audit store's contract, run against each implementation (SQLite in
 * test/unit/audit-store.test.ts, PostgreSQL in test/integration/audit-store-pg.test.ts).
 */
export interface AuditFixture {
  store: AuditStore;
  /** Tries to change and to delete a row behind the store's back; both must be refused. */
  tamper: Array<() => Promise<unknown>>;
  close(): Promise<void>;
}

const entry = (over: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  atMs: 1_764_900_000_000,
  actor: 'tok_0123456789ab',
  actorName: 'night shift',
  actorRole: 'operator',
  action: 'POST /api/curtailment/events',
  detail: { body: { shedMw: 2, reason: 'ERCOT EEA2' } },
  fromAddr: '10.1.2.3',
  userAgent: 'curl/8.5',
  outcome: '202',
  requestId: 'req-1',
  ...over,
});

export function auditContract(name: string, open: () => Promise<AuditFixture>): void {
  describe(`audit store contract: ${name}`, () => {
    let f: AuditFixture;
    before(async () => {
      f = await open();
    });
    after(() => f?.close());

    it('keeps every field of an entry and gives it an id', async () => {
      const id = await f.store.record(entry());
      const [got] = await f.store.list({ limit: 1 });
      assert.deepEqual(got, { id, ...entry() });
    });

    it('nullable fields stay null; a local action has no address', async () => {
      const id = await f.store.record(entry({ actor: 'cli:ops@cp1', actorName: null, actorRole: null, action: 'token.create', fromAddr: null, userAgent: null, outcome: 'ok', requestId: null, detail: {} }));
      const [got] = await f.store.list({ limit: 1 });
      assert.equal(got!.id, id);
      assert.deepEqual([got!.actorName, got!.actorRole, got!.fromAddr, got!.userAgent, got!.requestId, got!.detail], [null, null, null, null, null, {}]);
    });

    it('lists newest first, pages back by id, filters by actor and by a literal action prefix', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push(await f.store.record(entry({ actor: i % 2 ? 'tok_aaaaaaaaaaaa' : 'tok_bbbbbbbbbbbb', action: i < 3 ? `DELETE /api/tokens/:id` : `POST /api/x_${i}`, atMs: 1_764_900_000_000 + i })));
      assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), 'ids grow');
      const newest = await f.store.list({ limit: 3 });
      assert.deepEqual(newest.map((e) => e.id), [ids[4], ids[3], ids[2]]);
      const older = await f.store.list({ limit: 2, beforeId: ids[3]! });
      assert.deepEqual(older.map((e) => e.id), [ids[2], ids[1]]);
      const a = await f.store.list({ limit: 100, actor: 'tok_aaaaaaaaaaaa' });
      assert.deepEqual(a.map((e) => e.id), [ids[3], ids[1]]);
      const del = await f.store.list({ limit: 100, actionPrefix: 'DELETE /api/tokens' });
      assert.deepEqual(del.map((e) => e.id), [ids[2], ids[1], ids[0]]);
      // '_' is a character here, not a LIKE wildcard: "POST /api/x_" does not match "POST /api/xy".
      await f.store.record(entry({ action: 'POST /api/xy' }));
      const x = await f.store.list({ limit: 100, actionPrefix: 'POST /api/x_' });
      assert.deepEqual(x.map((e) => e.action), ['POST /api/x_4', 'POST /api/x_3']);
    });

    it(`cuts a detail over ${MAX_DETAIL_BYTES} bytes to a summary`, async () => {
      await f.store.record(entry({ detail: { body: { reason: 'x'.repeat(MAX_DETAIL_BYTES) } } }));
      const [got] = await f.store.list({ limit: 1 });
      // {"body":{"reason":" is 19 bytes, then the x's, then "}} is 3.
      assert.deepEqual(got!.detail, { truncated: true, keys: ['body'], bytes: 19 + MAX_DETAIL_BYTES + 3 });
    });

    it('writes the entry of a body nested too deep to stringify, with a summary', async () => {
      const deep = JSON.parse('['.repeat(20_000) + ']'.repeat(20_000)) as unknown;
      await f.store.record(entry({ detail: { body: { a: deep } } }));
      const [got] = await f.store.list({ limit: 1 });
      assert.deepEqual(got!.detail, { truncated: true, keys: ['body'], reason: 'nested too deep to write' });
    });

    it('takes 50 entries written at once, each once', async () => {
      const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => f.store.record(entry({ requestId: `burst-${i}` }))));
      assert.equal(new Set(ids).size, 50);
      const got = await f.store.list({ limit: 50 });
      assert.deepEqual(new Set(got.map((e) => e.requestId)), new Set(ids.map((_, i) => `burst-${i}`)));
    });

    it('is append-only: the database refuses to change or delete a row', async () => {
      for (const attempt of f.tamper) await assert.rejects(attempt, /append-only/);
    });
  });
}
