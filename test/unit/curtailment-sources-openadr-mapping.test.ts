import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BEGINNING_OF_TIME_MS,
  buildOptOutReport,
  buildUsageReport,
  enginePriority,
  intervalAt,
  mapEvent,
  resolveIntervals,
  type MapContext,
} from '../../services/curtailment/sources/openadr/mapping.ts';
import type { Event } from '../../services/curtailment/sources/openadr/vtn-schema.ts';

const MIN = 60_000;
const T0 = Date.UTC(2025, 7, 20, 20, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const ctx = (over: Partial<MapContext> = {}): MapContext => ({
  nowMs: T0 - 10 * MIN,
  firstSeenMs: T0 - 10 * MIN,
  program: { programName: 'ERCOT-ERS', payloadDescriptors: null },
  requestedBy: 'openadr:vtn.example',
  allowAi: false,
  openEndedMaxMs: 86_400_000,
  ...over,
});

function event(over: Partial<Event> = {}): Event {
  return {
    id: 'ev-1',
    programID: 'p-1',
    eventName: 'shed',
    priority: null,
    intervalPeriod: { start: iso(T0), duration: 'PT30M' },
    payloadDescriptors: [{ payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KW' }],
    intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [12_500] }] }],
    ...over,
  };
}

test('IMPORT_CAPACITY_LIMIT in kW becomes a site target in MW over the interval period', () => {
  const m = mapEvent(event(), ctx());
  assert.equal(m.kind, 'signal');
  if (m.kind !== 'signal') return;
  assert.deepEqual(m.signal, {
    program: 'openadr',
    programName: 'ERCOT-ERS',
    target: { targetMw: 12.5 },
    startMs: T0,
    endMs: T0 + 30 * MIN,
    allowAi: false,
    externalId: 'openadr:ev-1',
    requestedBy: 'openadr:vtn.example',
    reason: 'OpenADR event shed: IMPORT_CAPACITY_LIMIT 12500 kW (interval 0)',
  });
  assert.deepEqual(m.basis, { payloadType: 'IMPORT_CAPACITY_LIMIT', valueKw: 12_500, intervalId: 0, openEnded: false });
});

test('DISPATCH_SETPOINT is a target; a negative DISPATCH_SETPOINT_RELATIVE is load to shed', () => {
  const setpoint = mapEvent(event({ payloadDescriptors: null, intervals: [{ id: 0, payloads: [{ type: 'DISPATCH_SETPOINT', values: [0] }] }] }), ctx());
  assert.deepEqual(setpoint.kind === 'signal' && setpoint.signal.target, { targetMw: 0 });
  const relative = mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'DISPATCH_SETPOINT_RELATIVE', values: [-7500] }] }] }), ctx());
  assert.deepEqual(relative.kind === 'signal' && relative.signal.target, { shedMw: 7.5 });
  const up = mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'DISPATCH_SETPOINT_RELATIVE', values: [500] }] }] }), ctx());
  assert.deepEqual(up, { kind: 'rejected', reason: 'interval 0: DISPATCH_SETPOINT_RELATIVE of +500 kW asks for more load, not less' });
  const zero = mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'DISPATCH_SETPOINT_RELATIVE', values: [0] }] }] }), ctx());
  assert.deepEqual(zero, { kind: 'inactive', reason: 'no interval asks for a reduction' });
});

test('several intervals: one engine event from the first not-ended interval to the last, at the strictest target', () => {
  const e = event({
    intervals: [
      { id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [5000] }] },
      { id: 1, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [10_000] }] },
      { id: 2, intervalPeriod: { duration: 'PT1H' }, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [8000] }] },
    ],
  });
  const before = mapEvent(e, ctx());
  assert.ok(before.kind === 'signal');
  assert.deepEqual([before.signal.target, before.signal.startMs, before.signal.endMs], [{ targetMw: 5 }, T0, T0 + 120 * MIN]);
  // Once interval 0 has ended it no longer counts.
  const later = mapEvent(e, ctx({ nowMs: T0 + 45 * MIN }));
  assert.ok(later.kind === 'signal');
  assert.deepEqual([later.signal.target, later.signal.startMs, later.signal.endMs, later.basis.intervalId], [{ targetMw: 8 }, T0 + 30 * MIN, T0 + 120 * MIN, 2]);
  assert.deepEqual(mapEvent(e, ctx({ nowMs: T0 + 120 * MIN })), { kind: 'inactive', reason: `ended ${iso(T0 + 120 * MIN)}` });
  // Several values in one payload are sub-intervals: the strictest holds.
  const sub = mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [9000, 6000, 7000] }] }] }), ctx());
  assert.deepEqual(sub.kind === 'signal' && sub.signal.target, { targetMw: 6 });
});

test('interval timing follows the User Guide: own periods override, later intervals follow on, absolute starts leave gaps', () => {
  const e = event({
    intervals: [
      { id: 10, payloads: [] },
      { id: 11, intervalPeriod: { duration: 'PT15M' }, payloads: [] },
      { id: 12, intervalPeriod: { start: iso(T0 + 2 * 60 * MIN) }, payloads: [] },
      { id: 13, payloads: [] },
    ],
  });
  assert.deepEqual(
    resolveIntervals(e).map((r) => [r.id, r.startMs - T0, r.endMs - T0]),
    [
      [10, 0, 30 * MIN],
      [11, 30 * MIN, 45 * MIN],
      [12, 120 * MIN, 150 * MIN],
      [13, 150 * MIN, 180 * MIN],
    ],
  );
  // No event period: every interval carries its own.
  assert.throws(() => resolveIntervals(event({ intervalPeriod: null, intervals: [{ id: 0, payloads: [] }] })), /interval 0 has no start and the event has no intervalPeriod/);
  // A missing duration is the specification's default PT0S: nothing to do.
  assert.deepEqual(mapEvent(event({ intervalPeriod: { start: iso(T0) } }), ctx()), { kind: 'inactive', reason: 'its intervals have no duration' });
  // A 3.1 event.duration shorter than the intervals cuts them.
  assert.deepEqual(resolveIntervals(event({ duration: 'PT10M' })).map((r) => r.endMs - T0), [10 * MIN]);
});

test('"do it now": start 0001-01-01 with P9999Y starts when first seen and is held for openEndedMaxMs', () => {
  const e = event({ intervalPeriod: { start: '0001-01-01', duration: 'P9999Y' } });
  assert.equal(resolveIntervals(e)[0]?.startMs, BEGINNING_OF_TIME_MS);
  const seen = T0 + 5 * MIN;
  const m = mapEvent(e, ctx({ nowMs: seen + MIN, firstSeenMs: seen, openEndedMaxMs: 4 * 60 * MIN }));
  assert.ok(m.kind === 'signal');
  assert.deepEqual([m.signal.startMs, m.signal.endMs, m.basis.openEnded], [seen, seen + 4 * 60 * MIN, true]);
  // Cancellation (User Guide 7.9): a window of no duration at the beginning of time.
  assert.deepEqual(mapEvent(event({ intervalPeriod: { start: '0001-01-01', duration: 'PT0S' } }), ctx()).kind, 'inactive');
});

test('unknown payload types reject the whole event with a reason that names them; an export limit may ride along', () => {
  const price = mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.2] }, { type: 'IMPORT_CAPACITY_LIMIT', values: [1] }] }] }), ctx());
  assert.equal(price.kind, 'rejected');
  assert.match(price.kind === 'rejected' ? price.reason : '', /^payload type PRICE not acted on; this VEN acts on IMPORT_CAPACITY_LIMIT, DISPATCH_SETPOINT \(kW: site load limit\) and DISPATCH_SETPOINT_RELATIVE \(negative kW: load to shed\)$/);
  const two = mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'SIMPLE', values: [1] }, { type: 'LOAD_SHED', values: [-1] }] }] }), ctx());
  assert.match(two.kind === 'rejected' ? two.reason : '', /^payload types LOAD_SHED, SIMPLE not acted on/);
  const doe = mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [10] }, { type: 'EXPORT_CAPACITY_LIMIT', values: [4] }] }] }), ctx());
  assert.deepEqual(doe.kind === 'signal' && doe.signal.target, { targetMw: 0.01 });
  assert.deepEqual(mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'EXPORT_CAPACITY_LIMIT', values: [4] }] }] }), ctx()), {
    kind: 'rejected',
    reason: 'no curtailment payload (got EXPORT_CAPACITY_LIMIT); this VEN acts on IMPORT_CAPACITY_LIMIT, DISPATCH_SETPOINT (kW: site load limit) and DISPATCH_SETPOINT_RELATIVE (negative kW: load to shed)',
  });
  const mixed = mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [10] }] }, { id: 1, payloads: [{ type: 'DISPATCH_SETPOINT_RELATIVE', values: [-4] }] }] }), ctx());
  assert.equal(mixed.kind, 'rejected');
});

test('values and units are checked: kW only, numbers only, no negative limits, zoned start times', () => {
  const kwh = mapEvent(event({ payloadDescriptors: [{ payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KWH' }] }), ctx());
  assert.deepEqual(kwh, { kind: 'rejected', reason: 'IMPORT_CAPACITY_LIMIT is in KWH; this VEN reads power in KW' });
  // The program's descriptor applies when the event has none; none at all means KW.
  const programKwh = mapEvent(event({ payloadDescriptors: null }), ctx({ program: { programName: 'x', payloadDescriptors: [{ payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KWH' }] } }));
  assert.equal(programKwh.kind, 'rejected');
  assert.equal(mapEvent(event({ payloadDescriptors: null }), ctx({ program: undefined })).kind, 'signal');
  const reject = (values: unknown[]) => mapEvent(event({ intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values }] }] }), ctx());
  assert.deepEqual(reject(['12']), { kind: 'rejected', reason: 'interval 0: IMPORT_CAPACITY_LIMIT value "12" is not a number' });
  assert.deepEqual(reject([]), { kind: 'rejected', reason: 'interval 0: IMPORT_CAPACITY_LIMIT has no values' });
  assert.deepEqual(reject([-1]), { kind: 'rejected', reason: 'interval 0: IMPORT_CAPACITY_LIMIT of -1 kW is negative' });
  const local = mapEvent(event({ intervalPeriod: { start: '2025-08-20T20:00:00', duration: 'PT1H' } }), ctx());
  assert.deepEqual(local, { kind: 'rejected', reason: 'start "2025-08-20T20:00:00" has no time zone (Z or an offset)' });
  const badDuration = mapEvent(event({ intervalPeriod: { start: iso(T0), duration: '30 minutes' } }), ctx());
  assert.match(badDuration.kind === 'rejected' ? badDuration.reason : '', /^interval 0: ISO 8601 duration "30 minutes": not of the form/);
  const offset = mapEvent(event({ intervalPeriod: { start: '2025-08-20T15:00:00-05:00', duration: 'PT1H' } }), ctx());
  assert.equal(offset.kind === 'signal' && offset.signal.startMs, T0);
});

test('OpenADR priority (0 most urgent) maps into the engine band above the OpenADR default', () => {
  assert.equal(enginePriority(null), undefined);
  assert.equal(enginePriority(undefined), undefined);
  assert.equal(enginePriority(0), 89);
  assert.equal(enginePriority(1), 88);
  assert.equal(enginePriority(9), 80);
  assert.equal(enginePriority(500), 80);
  const m = mapEvent(event({ priority: 0 }), ctx({ allowAi: true }));
  assert.ok(m.kind === 'signal');
  assert.equal(m.signal.priority, 89);
  assert.equal(m.signal.allowAi, true);
});

test('usage report: mean kW of the samples in each event interval; bad and outside samples dropped; empty intervals left out', () => {
  const e = event({ intervals: [0, 1, 2].map((id) => ({ id, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [1] }] })) });
  const r = buildUsageReport({
    event: e,
    intervals: resolveIntervals(e),
    samples: [
      { atMs: T0, loadW: 30_000_000 },
      { atMs: T0 + 29 * MIN, loadW: 10_000_000 },
      { atMs: T0 + 30 * MIN, loadW: 5_000_000 },
      { atMs: T0 + 31 * MIN, loadW: Number.NaN },
      { atMs: T0 + 32 * MIN, loadW: -5 },
      { atMs: T0 - MIN, loadW: 1 },
      { atMs: T0 + 90 * MIN, loadW: 1 },
    ],
    clientName: 'ven-1',
    resourceName: 'site-a',
  });
  assert.equal(r.samplesUsed, 3);
  assert.equal(r.samplesDropped, 4);
  assert.deepEqual(r.intervalsWithoutSamples, [2]);
  assert.deepEqual(r.report, {
    programID: 'p-1',
    eventID: 'ev-1',
    clientName: 'ven-1',
    reportName: 'usage ev-1',
    payloadDescriptors: [{ payloadType: 'USAGE', readingType: 'MEAN', units: 'KW' }],
    resources: [
      {
        resourceName: 'site-a',
        intervals: [
          { id: 0, intervalPeriod: { start: iso(T0), duration: 'PT30M' }, payloads: [{ type: 'USAGE', values: [20_000] }] },
          { id: 1, intervalPeriod: { start: iso(T0 + 30 * MIN), duration: 'PT30M' }, payloads: [{ type: 'USAGE', values: [5000] }] },
        ],
      },
    ],
  });
  // An open-ended "do it now" interval is reported over the span its samples cover.
  const open = event({ intervalPeriod: { start: '0001-01-01', duration: 'P9999Y' } });
  const o = buildUsageReport({ event: open, intervals: resolveIntervals(open), samples: [{ atMs: T0, loadW: 1000 }, { atMs: T0 + 5 * MIN, loadW: 3000 }], clientName: 'v', resourceName: 's' });
  assert.deepEqual(o.report.resources[0]?.intervals, [{ id: 0, intervalPeriod: { start: iso(T0), duration: 'PT5M' }, payloads: [{ type: 'USAGE', values: [2] }] }]);
});

test('opt-out report: OPERATING_STATE RUNNING_OPTED_OUT at the moment of opting out, on the current interval', () => {
  const e = event({ intervals: [0, 1].map((id) => ({ id, payloads: [] })) });
  const at = T0 + 40 * MIN;
  assert.equal(intervalAt(resolveIntervals(e), at)?.id, 1);
  assert.equal(intervalAt(resolveIntervals(e), T0 - MIN)?.id, 0);
  assert.equal(intervalAt(resolveIntervals(e), T0 + 5 * 60 * MIN)?.id, 1);
  assert.deepEqual(buildOptOutReport({ event: e, clientName: 'ven-1', resourceName: 'site-a', atMs: at, intervalId: 1 }), {
    programID: 'p-1',
    eventID: 'ev-1',
    clientName: 'ven-1',
    reportName: 'opt-out ev-1',
    payloadDescriptors: [{ payloadType: 'OPERATING_STATE' }],
    resources: [{ resourceName: 'site-a', intervals: [{ id: 1, intervalPeriod: { start: iso(at), duration: 'PT0S' }, payloads: [{ type: 'OPERATING_STATE', values: ['RUNNING_OPTED_OUT'] }] }] }],
  });
});
