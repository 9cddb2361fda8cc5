import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { EventRecord, EventStatus } from '../../services/curtailment/event-record.ts';
import { RestoreHold } from '../../services/curtailment/hysteresis.ts';
import { engineHarness, reachStatus, type Harness } from '../support/engine-harness.ts';
import { until } from '../support/until.ts';

/**
 * Restore hysteresis: the rule on a fake clock, then in the engine (in-process queue, fake
 * agent, the engine's own clock) for any source: an end waits for the program's hold, and a
 * new request of the same program inside it goes on with the held event.
 */

describe('RestoreHold (pure)', () => {
  it('holds an end for the program\'s hold, releases it when due, and a new request inside it rejoins', () => {
    let now = 1_000_000;
    const hold = new RestoreHold({ 'price-strike': 3.5 * 3600 }, () => now);
    assert.equal(hold.defer('ev-1', 'operator', 'x'), false, 'no hold configured: restore now');
    assert.equal(hold.defer('ev-1', 'price-strike', 'price low'), true);
    now += 60_000;
    assert.equal(hold.defer('ev-1', 'price-strike', 'again'), true);
    assert.equal(hold.get('ev-1')?.releaseAtMs, 1_000_000 + 3.5 * 3_600_000, 'a second end keeps the first release time');
    assert.deepEqual(hold.due(1_000_000 + 3.5 * 3_600_000 - 1), []);
    assert.equal(hold.rejoin('operator', () => true), undefined, 'another program does not rejoin');
    assert.equal(hold.rejoin('price-strike', () => false), undefined, 'an event no longer running is not extended');
    assert.equal(hold.rejoin('price-strike', () => true)?.eventId, 'ev-1');
    assert.deepEqual(hold.due(Number.MAX_SAFE_INTEGER), [], 'rejoined: no longer held');
    hold.defer('ev-2', 'price-strike', 'low');
    now += 3.5 * 3_600_000;
    assert.equal(hold.rejoin('price-strike', () => true), undefined, 'at the release time the hold has passed: a new request is a new event');
    now -= 3.5 * 3_600_000;
    assert.deepEqual(hold.due(now + 3.5 * 3_600_000).map((h) => [h.eventId, h.why]), [['ev-2', 'low']]);
    assert.deepEqual(hold.due(Number.MAX_SAFE_INTEGER), [], 'released once');
  });

  it('rejects a negative hold', () => {
    assert.throws(() => new RestoreHold({ operator: -1 }, Date.now), /restoreHoldSeconds.operator must be ≥ 0/);
  });
});

describe('restore hysteresis in the engine', () => {
  let h: Harness | undefined;
  let ticker: NodeJS.Timeout | undefined;
  afterEach(async () => {
    clearInterval(ticker);
    await h?.close();
    h = undefined;
  });
  const HOLD_S = 0.6;
  async function start(): Promise<Harness> {
    h = await engineHarness({ restoreHoldSeconds: { operator: HOLD_S } });
    h.tick();
    ticker = setInterval(() => h!.tick(), 40);
    return h;
  }
  const reach = (eventId: string, statuses: EventStatus[]): Promise<EventRecord> => reachStatus(h!, eventId, statuses);
  const ask = (program: 'operator' | 'grid-dispatch') => {
    const now = Date.now();
    return h!.engine.request({ program, target: { shedMw: 0.15 }, startMs: now, endMs: now + 3_600_000, requestedBy: 'test' });
  };

  it('an end waits for the hold before the restore starts', async () => {
    await start();
    const { eventId } = await ask('operator');
    await reach(eventId, ['meter-confirmed']);
    const endedAt = Date.now();
    await h!.engine.end(eventId, 'price low');
    assert.equal(h!.engine.status(eventId), 'meter-confirmed', 'held: not restoring yet');
    const done = await reach(eventId, ['done']);
    const restoreStart = done.timeline.find((e) => e.kind === 'restore-start')!.atMs;
    assert.ok(restoreStart - endedAt >= HOLD_S * 1000, `restore began ${restoreStart - endedAt} ms after the end, hold ${HOLD_S * 1000} ms`);
    assert.deepEqual([...h!.hub.asleep], []);
  });

  it('a new request of the same program inside the hold extends the held event: no restore, no second shed', async () => {
    await start();
    const first = await ask('operator');
    await reach(first.eventId, ['meter-confirmed']);
    const shedBefore = h!.hub.commands('shed').length;
    await h!.engine.end(first.eventId, 'price low');
    const now = Date.now();
    const signal = { program: 'operator' as const, target: { shedMw: 0.15 }, startMs: now, endMs: now + 3_600_000, requestedBy: 'test', externalId: 'vtn-event-7' };
    const again = await h!.engine.request(signal);
    assert.equal(again.eventId, first.eventId, 'the same event goes on');
    // A source that polls asks again with the same id: still the same event, not a new one.
    assert.equal((await h!.engine.request(signal)).eventId, first.eventId);
    // Wait past the hold: the event is still curtailed, nothing restored, nothing shed twice.
    await until('the hold to pass', () => h!.engine.hold.get(first.eventId) === undefined && Date.now(), 5000);
    const waitUntil = Date.now() + HOLD_S * 1000 + 200;
    await until('well past the hold', () => Date.now() > waitUntil, 5000, 50);
    assert.equal(h!.engine.status(first.eventId), 'meter-confirmed');
    assert.equal(h!.hub.commands('restore').length, 0);
    assert.equal(h!.hub.commands('shed').length, shedBefore);
    // Ending it again holds again, then restores.
    await h!.engine.end(first.eventId, 'price low again');
    await reach(first.eventId, ['done']);
  });

  it('another program, or a program without a hold, is not affected', async () => {
    await start();
    const op = await ask('operator');
    await reach(op.eventId, ['meter-confirmed']);
    await h!.engine.end(op.eventId, 'over');
    const grid = await ask('grid-dispatch');
    assert.notEqual(grid.eventId, op.eventId, 'a grid dispatch is its own event');
    await reach(grid.eventId, ['meter-confirmed', 'shedding']);
    await h!.engine.end(grid.eventId, 'over');
    assert.equal(h!.engine.hold.get(grid.eventId), undefined, 'no hold for grid-dispatch: restore at once');
    assert.notEqual(h!.engine.hold.get(op.eventId), undefined, 'the operator event is still held');
    await reach(grid.eventId, ['done']);
    await reach(op.eventId, ['done']);
  });
});
