import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import { TokenStore } from '../../services/api/auth/tokens.ts';
import { addMeterSamples, addTimeline, logCommands, newEventRecord, recordAcks, transition, type EventRecord } from '../../services/curtailment/event-record.ts';
import { LeaseLostError, type EventControl } from '../../services/curtailment/event-store.ts';
import type { Records } from '../../services/platform/records.ts';
import type { PlanReport } from '../../services/scheduler/plan-report.ts';

/**
 * The record families' contract (services/platform/records.ts), run unchanged against each
 * backend: SQLite in test/unit/records-sqlite.test.ts, PostgreSQL in
 * test/integration/records-pg.test.ts. Same cases, same expectations. The audit log has its
 * own (test/support/audit-contract.ts).
 */
export interface RecordsFixture {
  records: Records;
  /** A second, independent opening of the same records (another control-plane instance). */
  other?: Records;
  close(): Promise<void>;
}

const T0 = 1_800_000_000_000;
const control: EventControl = { priority: 50, startMs: T0, endMs: T0 + 3_600_000, requestedBy: 'contract' };

function shedRecord(id: string, devices: number): EventRecord {
  let r = newEventRecord({ id, program: 'operator', target: { shedMw: 1 }, allowAi: false, signalAtMs: T0 });
  r = addMeterSamples(r, [{ atMs: T0 - 1000, loadW: 40e6 }, { atMs: T0, loadW: 40.5e6 }]);
  const commands: DeviceCommand[] = Array.from({ length: devices }, (_, i) => ({ deviceId: `B1-m${String(i).padStart(5, '0')}`, blockId: 'B1', action: 'sleep', expectedDeltaW: -3068 }));
  r = logCommands(r, 'shed', commands, T0 + 1000);
  return transition(r, 'shedding', T0 + 1000);
}

export function recordsContract(name: string, open: () => Promise<RecordsFixture>): void {
  describe(`records contract: ${name}`, () => {
    let f: RecordsFixture;
    before(async () => {
      f = await open();
    });
    after(() => f?.close());

    describe('API tokens', () => {
      it('creates, verifies by secret, lists, revokes; each change is audited', async () => {
        const tokens = new TokenStore(f.records.tokens, { now: () => T0 });
        const { token, secret } = await tokens.create({ name: 'contract-op', role: 'operator' }, 'tok_admin000000');
        assert.deepEqual(await tokens.verify(secret), { ...token, lastUsedAtMs: T0 });
        assert.equal(await tokens.verify(secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A')), null);
        assert.deepEqual((await tokens.active('operator', 'contract-op')).map((t) => t.id), [token.id]);
        assert.ok((await tokens.list()).some((t) => t.id === token.id));
        const revoked = await tokens.revoke(token.id, 'tok_admin000000');
        assert.equal(revoked?.revokedAtMs, T0);
        assert.equal(await tokens.verify(secret), null, 'a revoked secret no longer works');
        assert.equal(await tokens.revoke('tok_000000000000'), null);
        assert.deepEqual(await tokens.active('operator', 'contract-op'), []);
        const trail = await f.records.audit.list({ limit: 10, actionPrefix: 'token.' });
        const mine = trail.filter((e) => e.detail.tokenId === token.id).map((e) => [e.action, e.actor]);
        assert.deepEqual(mine, [['token.revoke', 'tok_admin000000'], ['token.create', 'tok_admin000000']]);
      });

      it('a token made by one instance works at another on the same records', async (t) => {
        if (!f.other) return t.skip('one opening only');
        const { secret } = await new TokenStore(f.records.tokens).create({ name: 'agent-shared', role: 'agent' });
        assert.equal((await new TokenStore(f.other.tokens).verify(secret))?.name, 'agent-shared');
      });
    });

    describe('ingest ledger', () => {
      it('claims a batch once; a forgotten claim can be made again', async () => {
        const l = f.records.ingest;
        assert.equal(await l.has('agent-c', 7), false);
        assert.equal(await l.claim('agent-c', 7), true);
        assert.equal(await l.claim('agent-c', 7), false, 'a replay is a duplicate');
        assert.equal(await l.has('agent-c', 7), true);
        assert.equal(await l.claim('agent-d', 7), true, 'sequence numbers are per agent');
        await l.forget('agent-c', 7);
        assert.equal(await l.claim('agent-c', 7), true);
      });

      it('of many copies of one batch claimed at once, exactly one wins', async () => {
        const ledgers = [f.records.ingest, f.other?.ingest ?? f.records.ingest];
        const won = await Promise.all(Array.from({ length: 8 }, (_, i) => ledgers[i % 2]!.claim('agent-race', 1)));
        assert.equal(won.filter(Boolean).length, 1);
      });
    });

    describe('plans', () => {
      it('keeps plans with their reports, newest first, bounded', async () => {
        const report = { status: 'optimal', totals: { marginUsd: 1234.56 }, blocks: [{ id: 'B1', mw: [1.5, 2] }] } as unknown as PlanReport;
        const ids: number[] = [];
        for (let i = 0; i < 4; i++) ids.push(await f.records.plans.add({ createdAtMs: T0 + i, trigger: 'schedule', status: 'optimal', marginUsd: 1234.56 + i, error: null, report }, 3));
        const err = await f.records.plans.add({ createdAtMs: T0 + 9, trigger: 'prices-changed', status: 'error', marginUsd: null, error: 'no prices', report: null }, 3);
        assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!) && err > ids[3]!, 'ids grow');
        const listed = await f.records.plans.list(10);
        assert.deepEqual(listed.map((p) => p.id), [err, ids[3], ids[2]], 'the newest 3 kept');
        assert.deepEqual(listed[1], { id: ids[3], createdAtMs: T0 + 3, trigger: 'schedule', status: 'optimal', marginUsd: 1237.56, error: null });
        assert.deepEqual(await f.records.plans.latest(), { id: err, createdAtMs: T0 + 9, trigger: 'prices-changed', status: 'error', marginUsd: null, error: 'no prices', report: null });
        await f.records.plans.add({ createdAtMs: T0 + 10, trigger: 'schedule', status: 'optimal', marginUsd: 1, error: null, report }, 3);
        assert.deepEqual((await f.records.plans.latest())!.report, report);
      });
    });

    describe('simulations', () => {
      it('a run is saved queued, found by another instance, cancelled there, and finished with its result', async () => {
        const sims = f.records.simulations;
        const other = f.other?.simulations ?? sims;
        await sims.insert({ id: 'sim-contract-1', name: 'base', paths: 1000, seed: 2_000_000_000, scenario: '{"name":"base"}', createdAtMs: T0 });
        await sims.insert({ id: 'sim-contract-2', name: 'hot week', paths: 500, seed: 7, scenario: '{"name":"hot"}', createdAtMs: T0 + 1 });
        assert.deepEqual(await other.get('sim-contract-1'), { id: 'sim-contract-1', name: 'base', status: 'queued', paths: 1000, seed: 2_000_000_000, donePaths: 0, createdAtMs: T0, startedAtMs: null, finishedAtMs: null, error: null, scenario: '{"name":"base"}', result: null, cancelRequested: false });
        assert.deepEqual((await sims.list()).filter((r) => r.id.startsWith('sim-contract-')).map((r) => r.id), ['sim-contract-2', 'sim-contract-1'], 'newest first');
        await other.markRunning('sim-contract-1', T0 + 10);
        assert.equal(await other.progress('sim-contract-1', 250), false);
        assert.equal(await sims.requestCancel('sim-contract-1'), true, 'a cancel asked at one instance');
        assert.equal(await other.progress('sim-contract-1', 500), true, 'is seen by the worker at the other');
        await other.finish('sim-contract-1', 'cancelled', null, null, T0 + 20);
        assert.equal(await sims.requestCancel('sim-contract-1'), false, 'a finished run cannot be cancelled');
        const got = await sims.get('sim-contract-1');
        assert.deepEqual([got?.status, got?.donePaths, got?.startedAtMs, got?.finishedAtMs], ['cancelled', 500, T0 + 10, T0 + 20]);
        await sims.finish('sim-contract-2', 'done', '{"months":[1,2]}', null, T0 + 30);
        assert.equal((await other.get('sim-contract-2'))?.result, '{"months":[1,2]}');
        await sims.insert({ id: 'sim-contract-3', name: 'orphan', paths: 10, seed: 1, scenario: '{}', createdAtMs: T0 + 2 });
        assert.equal(await sims.failUnfinished('the process ended', T0 + 40), 1);
        assert.deepEqual([(await sims.get('sim-contract-3'))?.status, (await sims.get('sim-contract-3'))?.error], ['failed', 'the process ended']);
        await sims.delete('sim-contract-3');
        assert.equal(await sims.get('sim-contract-3'), undefined);
      });
    });

    describe('curtailment events', () => {
      const lease = (owner: string, untilMs = T0 + 10_000) => ({ owner, untilMs });

      it('stores an event as rows, saves what changed, and reads back the same record', async () => {
        const ev = f.records.events;
        let record = shedRecord('ev-contract-rows', 300);
        assert.deepEqual(await ev.insert({ record, control }, T0, lease('cp-a')), { id: record.id, created: true });
        record = recordAcks(record, record.devices.slice(0, 60).map((d, i) => ({ deviceId: d.deviceId, atMs: T0 + 2000 + i, ok: i % 25 !== 0, ...(i % 25 === 0 ? { error: 'timeout' } : {}) })));
        record = addMeterSamples(record, [{ atMs: T0 + 5000, loadW: 39.4e6 }]);
        record = addTimeline(record, [{ kind: 'meter-confirmed', atMs: T0 + 5000, detail: 'contract' }]);
        const bytes = await ev.save(record, T0 + 5000, 'cp-a');
        assert.ok(bytes < JSON.stringify(record).length / 2, `a save wrote ${bytes} B, not the whole record`);
        assert.deepEqual(await ev.get(record.id), { record, control });
        assert.equal(await ev.save(record, T0 + 6000, 'cp-a') < 2_000, true, 'an unchanged save writes the head only');
        const [summary] = (await ev.list(50)).filter((e) => e.id === record.id);
        assert.deepEqual(summary, { id: record.id, status: 'shedding', createdAtMs: T0, updatedAtMs: T0 + 6000 });
        assert.ok((await ev.active()).some((e) => e.record.id === record.id));
        await ev.close(record.id);
        assert.ok(!(await ev.active()).some((e) => e.record.id === record.id));
        assert.equal(await ev.resume(record.id), undefined, 'a closed event is not resumed');
        assert.deepEqual((await ev.get(record.id))!.record, record, 'a closed event stays readable');
      });

      it('a dispatch stored twice (one externalId) is one event', async () => {
        const events = [f.records.events, f.other?.events ?? f.records.events];
        const ext = { ...control, externalId: 'dispatch:contract-1' };
        const results = await Promise.all(events.map((e, i) => e.insert({ record: shedRecord(`ev-contract-dup-${i}`, 3), control: ext }, T0, lease(`cp-${i}`))));
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal(results[0]!.id, results[1]!.id);
        assert.equal(await f.records.events.byExternalId('dispatch:contract-1'), results[0]!.id);
      });

      it('one lease per event: held, renewed, refused to others until it expires, then taken over', async () => {
        const ev = f.records.events;
        const b = f.other?.events ?? ev;
        const record = shedRecord('ev-contract-lease', 5);
        await ev.insert({ record, control }, T0, lease('cp-a', T0 + 10_000));
        assert.equal(await b.claim(record.id, lease('cp-b', T0 + 20_000), T0 + 1000), false, 'held by cp-a');
        assert.ok(!(await b.claimable('cp-b', T0 + 1000)).includes(record.id));
        assert.equal(await ev.claim(record.id, lease('cp-a', T0 + 15_000), T0 + 5000), true, 'renewed by its holder');
        assert.equal(await b.claim(record.id, lease('cp-b', T0 + 30_000), T0 + 12_000), false, 'the renewal holds it past the first expiry');
        assert.ok((await b.claimable('cp-b', T0 + 16_000)).includes(record.id), 'expired: claimable');
        assert.equal(await b.claim(record.id, lease('cp-b', T0 + 30_000), T0 + 16_000), true, 'taken over');
        await assert.rejects(ev.save(addTimeline(record, [{ kind: 'ack', atMs: T0 + 17_000 }]), T0 + 17_000, 'cp-a'), LeaseLostError, 'the old holder may not write');
        const resumed = await b.resume(record.id);
        assert.deepEqual(resumed?.record, record);
        await b.save(addTimeline(resumed!.record, [{ kind: 'resumed', atMs: T0 + 17_000 }]), T0 + 17_000, 'cp-b');
        assert.equal((await ev.get(record.id))!.record.timeline.at(-1)!.kind, 'resumed');
        await b.release(record.id, 'cp-b');
        assert.ok((await ev.claimable('cp-a', T0 + 17_500)).includes(record.id), 'given back: free at once');
        assert.equal(await ev.claim(record.id, lease('cp-a', T0 + 40_000), T0 + 17_500, true), true);
        assert.equal(await b.claim(record.id, lease('cp-b', T0 + 40_000), T0 + 18_000, true), true, 'force takes it whoever holds it');
        await b.close(record.id);
        assert.equal(await ev.claim(record.id, lease('cp-a', T0 + 50_000), T0 + 19_000, true), false, 'a closed event has no lease to take');
      });
    });
  });
}
