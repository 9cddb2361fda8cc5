import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import type { EventRecord, EventStatus } from '../../services/curtailment/event-record.ts';
import { EngineError } from '../../services/curtailment/engine.ts';
import { newEventRecord, logCommands, transition } from '../../services/curtailment/event-record.ts';
import { SqliteEventStore } from '../../services/curtailment/event-store.ts';
import { engineHarness, reachStatus, type Harness } from '../support/engine-harness.ts';
import { until } from '../support/until.ts';

/**
 * The curtailment engine against the in-process queue, a records store and a fake agent
 * (test/support/fake-command-hub.ts) whose devices the meter sums. A restart here is a kill -9:
 * the engine is dropped unflushed and a new one starts on the same store.
 */

const HOUR = 3_600_000;
let h: Harness | undefined;
let ticker: NodeJS.Timeout | undefined;

async function harness(extra: Parameters<typeof engineHarness>[0] = {}, tick = true): Promise<Harness> {
  h = await engineHarness(extra);
  if (tick) startTicking();
  return h;
}
function startTicking(): void {
  h!.tick();
  ticker = setInterval(() => h!.tick(), 40);
}
afterEach(async () => {
  if (ticker) clearInterval(ticker);
  ticker = undefined;
  await h?.close();
  h = undefined;
});

const reach = (eventId: string, statuses: EventStatus[], timeoutMs = 10_000): Promise<EventRecord> => reachStatus(h!, eventId, statuses, timeoutMs);

const closed = (eventId: string, timeoutMs = 10_000) =>
  until(`${eventId} to close`, () => {
    const r = h!.engine.get(eventId);
    return r && (r.status === 'done' || (r.status === 'aborted' && r.timeline.some((e) => e.kind === 'restore-end'))) ? r : undefined;
  }, timeoutMs, 20).catch((err: Error) => {
    throw new Error(`${err.message} (it is ${h!.engine.status(eventId)}, asleep ${h!.hub.asleep.size})`);
  });

const shed = (mw: number, minutes = 60) => {
  const now = Date.now();
  return h!.engine.request({ program: 'operator', target: { shedMw: mw }, startMs: now, endMs: now + minutes * 60_000, requestedBy: 'test' });
};

describe('curtailment engine: the record is the truth after a restart', () => {
  // Issue 10 finding 1: after a kill -9 during a meter-confirmed event the engine had forgotten
  // which devices it shed, shed more, and at the end woke only those.
  it('meter-confirmed: after a restart the end wakes every device shed before it', async () => {
    await harness();
    const { eventId } = await shed(0.15);
    await reach(eventId, ['meter-confirmed']);
    const before = new Set(h!.hub.commands('shed').map((c) => c.deviceId));
    assert.ok(h!.hub.asleep.size > 0);
    await h!.restart();
    const resumed = h!.engine.get(eventId)!;
    assert.equal(resumed.status, 'meter-confirmed');
    assert.ok(resumed.timeline.some((e) => e.kind === 'resumed' && new RegExp(`${before.size} devices shed`).test(e.detail ?? '')), JSON.stringify(resumed.timeline.at(-1)));
    await h!.engine.end(eventId, 'test over');
    await closed(eventId);
    assert.deepEqual([...h!.hub.asleep], []);
    // Every device shed before the restart got its restore command; none was shed twice.
    const restored = new Set(h!.hub.commands('restore').map((c) => c.deviceId));
    assert.deepEqual([...before].filter((id) => !restored.has(id)), []);
    assert.equal(h!.hub.commands('shed').length, before.size);
  });

  it('shedding with acks lost in the crash: the devices are woken by the abort after the restart', async () => {
    await harness();
    h!.hub.autoAck = false;
    const { eventId } = await shed(0.1);
    await until('the shed batch sent', () => h!.hub.held.length > 0, 5_000, 10);
    await reach(eventId, ['shedding']);
    // The agent carries the commands out, but the control plane dies before the acks arrive.
    const sent = h!.hub.held.flatMap((b) => b.commands.map((c) => c.deviceId));
    await h!.restart();
    h!.hub.release();
    h!.hub.autoAck = true;
    assert.equal(h!.hub.asleep.size, sent.length);
    const r = await h!.engine.abort(eventId, 'test');
    assert.equal(r.status, 'aborted');
    await closed(eventId);
    assert.deepEqual([...h!.hub.asleep], []);
    const rec = h!.engine.get(eventId)!;
    assert.ok(rec.devices.filter((d) => d.phase === 'shed').every((d) => d.outcome === 'failed' && /control plane restarted/.test(d.error ?? '')));
  });

  it('restoring: a restart between waves finishes the restore', async () => {
    // A slow ramp: about one miner per 100 ms wave.
    await harness({ restore: { rampMwPerMin: 3, staggerMs: 100, minOffMs: 0 } });
    const { eventId } = await shed(0.1);
    await reach(eventId, ['meter-confirmed']);
    const asleep = h!.hub.asleep.size;
    assert.ok(asleep >= 3, `asleep ${asleep}`);
    await h!.engine.end(eventId, 'test over');
    await until('the first restore wave', () => h!.hub.commands('restore').length > 0, 5_000, 10);
    assert.ok(h!.hub.asleep.size > 0, 'waves still to send');
    await h!.restart();
    assert.equal(h!.engine.status(eventId), 'restoring');
    await closed(eventId, 20_000);
    assert.equal(h!.engine.get(eventId)!.status, 'done');
    assert.deepEqual([...h!.hub.asleep], []);
  });

  it('aborted before its restore ran: resumed and put back (aborted events used not to resume)', async () => {
    await harness({ restore: { rampMwPerMin: 3, staggerMs: 100, minOffMs: 0 } });
    const { eventId } = await shed(0.1);
    await reach(eventId, ['meter-confirmed']);
    h!.hub.connected = false; // the restore waves are held: nothing goes out before the crash
    await h!.engine.abort(eventId, 'test');
    await h!.restart();
    h!.hub.connected = true;
    await closed(eventId, 20_000);
    assert.deepEqual([...h!.hub.asleep], []);
  });

  it('an event does not close while a device it shed failed to wake: the restore is retried', async () => {
    await harness({ restoreRetryMs: 300 });
    const { eventId } = await shed(0.05);
    await reach(eventId, ['meter-confirmed']);
    const stubborn = [...h!.hub.asleep][0]!;
    h!.hub.failing.set(stubborn, 'timeout');
    await h!.engine.end(eventId, 'test over');
    await until('the wake to fail once', () => h!.engine.get(eventId)!.devices.some((d) => d.phase === 'restore' && d.outcome === 'failed'), 5_000, 10);
    h!.hub.failing.delete(stubborn);
    const r = await closed(eventId);
    assert.deepEqual([...h!.hub.asleep], []);
    const rows = r.devices.filter((d) => d.deviceId === stubborn && d.phase === 'restore');
    assert.deepEqual(rows.map((d) => d.outcome), ['failed', 'acked']);
  });
});

describe('curtailment engine: adoption survives a restart', () => {
  it('devices a higher-priority event adopted from one that has closed are put back after a restart', async () => {
    await harness();
    const low = await shed(0.05);
    await reach(low.eventId, ['meter-confirmed']);
    const now = Date.now();
    const high = await h!.engine.request({ program: 'grid-dispatch', target: { shedMw: 0.03 }, startMs: now, endMs: now + HOUR, requestedBy: 'test' });
    const confirmed = await reach(high.eventId, ['meter-confirmed']);
    assert.ok(confirmed.timeline.some((e) => /adopted \d+ devices/.test(e.detail ?? '')));
    await h!.engine.end(low.eventId, 'the low-priority event ends first');
    const lowDone = await closed(low.eventId);
    const lowAcked = new Set(lowDone.devices.filter((d) => d.phase === 'shed' && d.outcome === 'acked').map((d) => d.deviceId));
    assert.deepEqual(lowDone.devices.filter((d) => d.phase === 'restore' && lowAcked.has(d.deviceId)).map((d) => d.deviceId), [], 'the low event woke nothing the high one adopted');
    assert.ok(h!.hub.asleep.size > 0, 'the adopted devices stay off');
    await h!.restart();
    await h!.engine.end(high.eventId, 'test over');
    await closed(high.eventId);
    assert.deepEqual([...h!.hub.asleep], []);
  });
});

describe('curtailment engine: what an agent shed on its own is put back', () => {
  it('devices shed locally from a pre-armed plan, before any command was logged, are restored at the end', async () => {
    await harness();
    const startMs = Date.now() + 1500;
    const { eventId } = await h!.engine.request({ program: 'grid-dispatch', target: { shedMw: 0.05 }, startMs, endMs: startMs + HOUR, requestedBy: 'test' });
    const plan = await until('the pre-armed plan', () => h!.hub.plans.find((p) => p.type === 'plan-in-force' && p.eventId === eventId && p.commands.length > 0), 5_000, 10);
    if (plan.type !== 'plan-in-force') throw new Error('not a plan');
    // The link is down: the agent sheds the plan it holds at the start, on its own.
    h!.hub.connected = false;
    for (const c of plan.commands) if (c.action === 'sleep') h!.hub.asleep.add(c.deviceId);
    const local = plan.commands.filter((c) => c.action === 'sleep').map((c) => c.deviceId);
    h!.tick(); // the readings show them asleep before the start: the start's plan picks others
    assert.ok(Date.now() < startMs, 'marked asleep before the start');
    await reach(eventId, ['shedding', 'meter-confirmed']);
    h!.hub.emit('local-shed', h!.hub.agentId, { type: 'local-shed', reason: 'control-plane-lost', eventId, atMs: Date.now(), detail: 'test', acks: local.map((deviceId) => ({ deviceId, ok: true, atMs: Date.now(), tries: 1 })) });
    h!.hub.connected = true;
    await h!.engine.end(eventId, 'test over');
    await closed(eventId);
    assert.deepEqual(local.filter((id) => h!.hub.asleep.has(id)), [], 'every locally shed device woken');
  });
});

describe('curtailment engine: restore never throws', () => {
  // Issue 10 finding 2: a shed miner with no catalog efficiency made abort throw (500) and
  // the event closed as aborted with 0 restore commands.
  it('a shed device of a model the catalog lacks is woken on a fallback', async () => {
    await harness({}, false);
    const store = new SqliteEventStore(h!.store.db);
    const now = Date.now();
    let record = newEventRecord({ id: 'ev-unknown-model', program: 'operator', target: { shedMw: 1 }, allowAi: false, signalAtMs: now - 60_000 });
    record = logCommands(record, 'shed', [{ deviceId: 'X-m00001', blockId: 'B9', action: 'sleep', expectedDeltaW: -3000 }], now - 50_000);
    record = transition(record, 'shedding', now - 50_000);
    record = { ...record, devices: record.devices.map((d) => ({ ...d, outcome: 'acked' as const, ackAtMs: now - 49_000 })) };
    record = transition(record, 'meter-confirmed', now - 40_000);
    await store.insert({ record, control: { priority: 50, startMs: now - 60_000, endMs: now + HOUR, requestedBy: 'test' } }, now, { owner: 'an-earlier-process', untilMs: now + HOUR });
    h!.hub.asleep.add('X-m00001');
    await h!.restart();
    startTicking();
    const aborted = await h!.engine.abort('ev-unknown-model', 'test');
    assert.equal(aborted.status, 'aborted');
    const r = await closed('ev-unknown-model');
    assert.ok(!h!.hub.asleep.has('X-m00001'));
    assert.ok(r.timeline.some((e) => /no catalog efficiency/.test(e.detail ?? '')), 'the fallback is stated in the record');
  });
});

describe('curtailment engine: time is bounded', () => {
  // Issue 10 finding 3: a dispatch a year ahead started at once; end times had no bound.
  it('a start beyond the horizon is refused; an end past the maximum is cut to it', async () => {
    await harness({ bounds: { horizonMs: 7 * 24 * HOUR, maxDurationMs: 24 * HOUR } });
    const now = Date.now();
    await assert.rejects(h!.engine.request({ program: 'operator', target: { shedMw: 1 }, startMs: now + 365 * 24 * HOUR, endMs: now + 366 * 24 * HOUR, requestedBy: 'test' }), (err: unknown) => {
      assert.ok(err instanceof EngineError);
      assert.match(err.message, /more than 168 h ahead/);
      return true;
    });
    const { eventId } = await h!.engine.request({ program: 'price-strike', target: { shedMw: 1 }, startMs: now + HOUR, endMs: now + 49 * HOUR, requestedBy: 'price-strike' });
    const r = h!.engine.get(eventId)!;
    assert.equal(r.status, 'planned');
    assert.ok(r.timeline.some((e) => /end cut .* at most 24 h/.test(e.detail ?? '')));
    assert.equal(r.requestedEndMs, now + 49 * HOUR, 'what was asked is kept');
  });
});

describe('curtailment engine: unreachable targets and a late meter', () => {
  // Issue 10 finding 8: a target below what the site can reach stayed `shedding` for ever.
  it('a target below the floor is said in the preview and the event holds at the floor', async () => {
    await harness();
    h!.otherLoadW = 5_000_000; // AI halls the event may not cap
    h!.tick();
    const preview = h!.engine.preview({ targetMw: 4.9 }, false);
    assert.ok(preview.floorMw !== undefined && preview.floorMw > 4.9, `floor ${preview.floorMw}`);
    assert.match(preview.unreachable ?? '', /beyond what the site can reach/);
    const now = Date.now();
    const { eventId } = await h!.engine.request({ program: 'operator', target: { targetMw: 4.9 }, startMs: now, endMs: now + HOUR, requestedBy: 'test' });
    const r = await reach(eventId, ['meter-confirmed']);
    assert.ok(r.floorW !== undefined && Math.abs(r.floorW / 1e6 - preview.floorMw) < 0.01);
    assert.ok(r.timeline.some((e) => e.kind === 'floor' && /holds at the floor/.test(e.detail ?? '')));
    assert.match(r.timeline.find((e) => e.kind === 'meter-confirmed')!.detail ?? '', /floor/);
  });

  it('an event received before the first meter reading waits for it', async () => {
    // The engine's own word that it waits (its log line), not a fixed sleep, says it has tried.
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    await harness({ meterWaitMs: 10_000, log }, false);
    const { eventId } = await shed(0.05);
    await until('the engine to say the event waits for the meter', () => lines.some((l) => l.includes(eventId) && l.includes('waits for it')), 5_000, 20);
    assert.equal(h!.engine.status(eventId), 'planned');
    startTicking();
    await reach(eventId, ['meter-confirmed']);
  });

  it('without a meter reading within the wait the event fails and says why', async () => {
    await harness({ meterWaitMs: 200 }, false);
    const { eventId } = await shed(0.05);
    const r = await reach(eventId, ['failed'], 5_000);
    assert.match(r.timeline.at(-1)!.detail ?? '', /no revenue-meter reading within 0 s|no revenue-meter reading within/);
  });
});
