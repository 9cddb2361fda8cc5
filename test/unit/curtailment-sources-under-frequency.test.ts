import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { EventStatus } from '../../services/curtailment/event-record.ts';
import type { CurtailSignal, CurtailmentPort } from '../../services/curtailment/signal.ts';
import { checkUnderFrequencyConfig, UnderFrequencySource } from '../../services/curtailment/sources/under-frequency-source.ts';
import { FakePort } from '../support/fake-port.ts';

const T0 = Date.UTC(2025, 7, 20, 20, 0, 0);
const config = checkUnderFrequencyConfig({ shedMw: 25, maxDurationMs: 3_600_000, allowAi: true });

function recording() {
  const lines: Array<{ msg: string; level: number }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; level: number }) });
  return { log, lines, count: (msg: string) => lines.filter((l) => l.msg === msg).length };
}

async function feed(source: UnderFrequencySource, readings: Array<[number, number | null]>) {
  const out: string[] = [];
  for (const [s, hz] of readings) {
    const r = await source.onReading({ atMs: T0 + s * 1000, hz });
    out.push(`${r.action}${r.unknown ? '?' : ''}`);
  }
  return out;
}

test('a trip below 59.7 Hz requests the configured shed; 60 s back at 59.9 Hz releases it', async () => {
  const port = new FakePort();
  const source = new UnderFrequencySource(config, port, { log: recording().log });
  assert.deepEqual(await feed(source, [[0, 60.0], [1, 59.65], [2, 59.8], [3, 59.95], [62, 60.0], [63, 60.0]]), ['hold', 'trip', 'hold', 'hold', 'hold', 'release']);
  assert.deepEqual(port.calls, [
    [
      'request',
      {
        program: 'under-frequency',
        target: { shedMw: 25 },
        startMs: T0 + 1000,
        endMs: T0 + 1000 + 3_600_000,
        allowAi: true,
        externalId: `under-frequency:${T0 + 1000}`,
        requestedBy: 'under-frequency',
        reason: 'meter frequency 59.65 Hz below 59.7 Hz',
      },
    ],
    ['end', 'ev-1', 'frequency at or above 59.9 Hz for 60 s'],
  ]);
  assert.equal(source.tripped, false);
});

test('trigger parameters and priority come from the configuration', async () => {
  const port = new FakePort();
  const source = new UnderFrequencySource(checkUnderFrequencyConfig({ shedMw: 5, maxDurationMs: 600_000, priority: 120, trigger: { tripHz: 59.8, tripCount: 2, releaseHoldMs: 0 } }), port, { log: recording().log });
  assert.deepEqual(await feed(source, [[0, 59.75], [1, 59.75], [2, 59.95]]), ['hold', 'trip', 'release']);
  const signal = port.calls[0]?.[1] as CurtailSignal;
  assert.deepEqual([signal.priority, signal.allowAi, signal.reason], [120, false, 'meter frequency 59.75 Hz below 59.8 Hz for 2 readings']);
});

test('an unusable meter is logged once when it goes and once when it comes back; it never trips', async () => {
  const port = new FakePort();
  const rec = recording();
  const source = new UnderFrequencySource(config, port, { log: rec.log });
  assert.deepEqual(await feed(source, [[0, 60], [1, 0], [2, null], [3, Number.NaN], [4, 60], [5, null], [6, 60]]), ['hold', 'hold?', 'hold?', 'hold?', 'hold', 'hold?', 'hold']);
  assert.equal(port.calls.length, 0);
  assert.equal(rec.count('meter frequency unusable (missing, implausible or out of order); the trigger holds'), 2);
  assert.equal(rec.count('meter frequency usable again'), 2);
});

test('an engine failure on trip rolls back, so the next low reading trips again; on release, the next healthy one releases', async () => {
  const port = new FakePort();
  const source = new UnderFrequencySource(checkUnderFrequencyConfig({ shedMw: 10, maxDurationMs: 600_000, trigger: { releaseHoldMs: 10_000 } }), port, { log: recording().log });
  port.failNext = 'request';
  await assert.rejects(source.onReading({ atMs: T0, hz: 59.5 }), /under-frequency trip at .* \(59\.5 Hz\): requesting the shed: engine busy/);
  assert.equal(source.tripped, false);
  assert.deepEqual(await feed(source, [[1, 59.5]]), ['trip']);
  assert.equal(source.eventId, 'ev-1');
  assert.deepEqual(await feed(source, [[2, 60]]), ['hold']);
  port.failNext = 'end';
  await assert.rejects(source.onReading({ atMs: T0 + 12_000, hz: 60 }), /ending engine event ev-1: engine busy/);
  assert.equal(source.tripped, true);
  assert.deepEqual(await feed(source, [[13, 60]]), ['release']);
  assert.deepEqual(port.calls.map((c) => c[0]), ['request', 'request', 'end', 'end']);
});

test('readings arriving together are stepped in order: one trip, one request', async () => {
  const port = new FakePort();
  const source = new UnderFrequencySource(config, port, { log: recording().log });
  const steps = await Promise.all([0, 1, 2].map((s) => source.onReading({ atMs: T0 + s * 1000, hz: 59.0 })));
  assert.deepEqual(steps.map((s) => s.action), ['trip', 'hold', 'hold']);
  assert.equal(port.calls.length, 1);
});

test('when the engine event is over while still tripped, the trigger re-arms and a low reading trips a new event', async () => {
  const port = new FakePort();
  const source = new UnderFrequencySource(config, port, { log: recording().log });
  await feed(source, [[0, 59.5]]);
  port.statuses.set('ev-1', 'done');
  assert.deepEqual(await feed(source, [[3600, 59.5]]), ['trip']);
  assert.equal(source.eventId, 'ev-2');
  assert.equal((port.calls[1]?.[1] as CurtailSignal).externalId, `under-frequency:${T0 + 3_600_000}`);
});

test('the configuration is checked: thresholds in order, no unknown keys', () => {
  assert.throws(() => checkUnderFrequencyConfig({ shedMw: 1, maxDurationMs: 600_000, trigger: { releaseHz: 59.5 } }), /tripHz ≤ releaseHz/);
  assert.throws(() => checkUnderFrequencyConfig({ shedMw: 0, maxDurationMs: 600_000 }), /\/shedMw/);
  assert.throws(() => checkUnderFrequencyConfig({ shedMw: 1, maxDurationMs: 600_000, trigger: { trip: 59 } }), /unknown key "trip"/);
});
