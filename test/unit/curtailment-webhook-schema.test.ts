import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../services/domain/schema.ts';
import { checkGridDispatch, checkOperatorCurtail, dispatchWindow, DispatchError } from '../../services/curtailment/webhook-schema.ts';

const issues = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => `${i.path || '/'} ${i.message}`);
    throw e;
  }
  assert.fail('expected a ValidationError');
};

test('grid dispatch: a target or a shed, ms or ISO times, optional idempotency key', () => {
  const a = checkGridDispatch({ program: 'ERCOT ERS-10', shedMw: 12.5, startMs: 1_751_392_800_000, endMs: 1_751_394_600_000, eventId: 'ercot-2025-07-01-1' });
  assert.deepEqual(dispatchWindow(a), { startMs: 1_751_392_800_000, endMs: 1_751_394_600_000 });
  const b = checkGridDispatch({ program: 'CLR', targetMw: 0, start: '2025-07-01T18:00:00Z', end: '2025-07-01T13:30:00-05:00' });
  assert.deepEqual(dispatchWindow(b), { startMs: Date.UTC(2025, 6, 1, 18), endMs: Date.UTC(2025, 6, 1, 18, 30) });
  // Mixed forms are fine as long as each end is given once.
  assert.ok(checkGridDispatch({ program: 'x', shedMw: 1, startMs: 0, end: '2025-07-01T18:00:00.000Z' }));
});

test('grid dispatch: exactly one of target/shed and of each time form; unknown keys rejected', () => {
  const base = { program: 'ERS', startMs: 0, endMs: 60_000 };
  assert.deepEqual(issues(() => checkGridDispatch({ ...base, targetMw: 5, shedMw: 5 })), ['/ give exactly one of "targetMw" or "shedMw"']);
  assert.deepEqual(issues(() => checkGridDispatch(base)), ['/ give exactly one of "targetMw" or "shedMw"']);
  assert.deepEqual(issues(() => checkGridDispatch({ ...base, shedMw: 1, start: '2025-07-01T18:00:00Z' })), ['/ give exactly one of "startMs" or "start"']);
  assert.deepEqual(issues(() => checkGridDispatch({ program: 'x', shedMw: 1 })), ['/ give exactly one of "startMs" or "start"', '/ give exactly one of "endMs" or "end"']);
  assert.deepEqual(issues(() => checkGridDispatch({ ...base, shedMw: 1, mw: 3 })), ['/mw unknown key "mw"']);
  assert.ok(issues(() => checkGridDispatch({ ...base, shedMw: 0 })).some((m) => m.startsWith('/shedMw')));
  assert.ok(issues(() => checkGridDispatch({ ...base, shedMw: '5' })).some((m) => m.startsWith('/shedMw')));
  assert.ok(issues(() => checkGridDispatch({ ...base, shedMw: 1, eventId: 'a b' })).some((m) => m.startsWith('/eventId')));
  // A time without a zone names no instant.
  assert.ok(issues(() => checkGridDispatch({ program: 'x', shedMw: 1, start: '2025-07-01T18:00:00', endMs: 1 })).some((m) => m.startsWith('/start')));
  assert.ok(issues(() => checkGridDispatch({ ...base, program: '', shedMw: 1 })).some((m) => m.startsWith('/program')));
});

test('grid dispatch: the end must come after the start', () => {
  const body = checkGridDispatch({ program: 'x', shedMw: 1, startMs: 60_000, endMs: 60_000 });
  assert.throws(() => dispatchWindow(body), DispatchError);
  assert.throws(() => dispatchWindow(body), /is not after start/);
});

test('operator request: target or shed, a duration and a reason', () => {
  // The bounds, each side: a duration of 1 s to 24 h; a target of 0 MW (shed everything) but a shed above 0.
  const ok = (body: Record<string, unknown>) => assert.doesNotThrow(() => checkOperatorCurtail(body), JSON.stringify(body));
  ok({ targetMw: 30, durationMs: 1_000, reason: 'transformer maintenance' });
  ok({ targetMw: 0, durationMs: 86_400_000, reason: 'x' });
  ok({ shedMw: 0.001, durationMs: 60_000, reason: 'x' });
  assert.deepEqual(issues(() => checkOperatorCurtail({ targetMw: 30, durationMs: 999, reason: 'x' })).map((m) => m.split(' ')[0]), ['/durationMs']);
  assert.deepEqual(issues(() => checkOperatorCurtail({ targetMw: 30, durationMs: 86_400_001, reason: 'x' })).map((m) => m.split(' ')[0]), ['/durationMs']);
  assert.deepEqual(issues(() => checkOperatorCurtail({ targetMw: 30, durationMs: 1_500.5, reason: 'x' })).map((m) => m.split(' ')[0]), ['/durationMs']);
  assert.deepEqual(issues(() => checkOperatorCurtail({ shedMw: 0, durationMs: 60_000, reason: 'x' })).map((m) => m.split(' ')[0]), ['/shedMw']);
  assert.deepEqual(issues(() => checkOperatorCurtail({ targetMw: -1, durationMs: 60_000, reason: 'x' })).map((m) => m.split(' ')[0]), ['/targetMw']);
  assert.deepEqual(issues(() => checkOperatorCurtail({ targetMw: 30, durationMs: 60_000, reason: '' })).map((m) => m.split(' ')[0]), ['/reason']);
  assert.deepEqual(issues(() => checkOperatorCurtail({ targetMw: 30, shedMw: 2, durationMs: 1_800_000, reason: 'x' })), ['/ give exactly one of "targetMw" or "shedMw"']);
  assert.ok(issues(() => checkOperatorCurtail({ targetMw: 30, durationMs: 1_800_000 })).includes('/reason missing required key "reason"'));
  assert.ok(issues(() => checkOperatorCurtail({ shedMw: 3, durationMs: 10, reason: 'x' })).some((m) => m.startsWith('/durationMs')));
  assert.deepEqual(issues(() => checkOperatorCurtail({ shedMw: 3, durationMs: 60_000, reason: 'x', force: true })), ['/force unknown key "force"']);
});
