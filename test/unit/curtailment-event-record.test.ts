import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, ValidationError } from '../../services/domain/schema.ts';
import {
  addMeterSamples,
  addTimeline,
  baselineW,
  canTransition,
  EventRecord,
  EventRecordError,
  EventStatus,
  logCommands,
  newEventRecord,
  recordAcks,
  transition,
  withBaseline,
} from '../../services/curtailment/event-record.ts';
import { curtailedByInterval, roundMicro } from '../../services/curtailment/event-intervals.ts';
import { toCsv } from '../../services/curtailment/event-csv.ts';

const MIN = 60_000;
const T0 = Date.UTC(2025, 6, 1, 18, 0, 0);
const MW = 1e6;

/** Meter: 10 MW before the signal (10.0, 10.2, 9.8), then down to 4 MW, back up to 11 MW by the end. */
const samples = [
  [-15, 10],
  [-10, 10.2],
  [-5, 9.8],
  [0, 10],
  [1, 6],
  [2, 4],
  [5, 4],
  [7, 4],
  [8, 8],
  [10, 11],
].map(([min, mw]) => ({ atMs: T0 + min! * MIN, loadW: mw! * MW }));

function fullRecord(): EventRecord {
  let r = newEventRecord({
    id: 'ev-2025-07-01-a',
    program: 'grid-dispatch',
    programName: 'ERCOT ERS-10, "test"',
    target: { targetMw: 6 },
    allowAi: false,
    signalAtMs: T0,
    requestedStartMs: T0,
    requestedEndMs: T0 + 30 * MIN,
  });
  r = addMeterSamples(r, samples);
  r = withBaseline(r);
  r = addTimeline(r, [{ kind: 'plan-made', atMs: T0 + 120 }]);
  r = logCommands(
    r,
    'shed',
    [
      { deviceId: 'm2', blockId: 'B1', action: 'sleep', expectedDeltaW: -3043 },
      { deviceId: 'm3', blockId: 'B1', action: 'set-power-target', targetW: 2096, expectedDeltaW: -914 },
    ],
    T0 + 200,
  );
  r = transition(r, 'shedding', T0 + 200);
  r = addTimeline(r, [{ kind: 'last-command', atMs: T0 + 250 }]);
  r = recordAcks(r, [
    { deviceId: 'm2', atMs: T0 + 900, ok: true },
    { deviceId: 'm3', atMs: T0 + 1200, ok: false, error: 'timeout, after 2 tries' },
  ]);
  r = transition(r, 'meter-confirmed', T0 + 2 * MIN);
  r = transition(r, 'restoring', T0 + 7 * MIN);
  r = logCommands(r, 'restore', [{ deviceId: 'm2', blockId: 'B1', action: 'wake', expectedDeltaW: 3043 }], T0 + 7 * MIN);
  r = recordAcks(r, [{ deviceId: 'm2', atMs: T0 + 7 * MIN + 500, ok: true }]);
  return transition(r, 'done', T0 + 10 * MIN);
}

test('a full event builds a record that passes its own schema', () => {
  const r = fullRecord();
  assert.equal(check(EventRecord, structuredClone(r), 'event record').status, 'done');
  assert.equal(r.baselineW, 10 * MW);
  assert.deepEqual(
    r.timeline.map((e) => [e.kind, e.atMs - T0, e.deviceId ?? '']),
    [
      ['signal-received', 0, ''],
      ['plan-made', 120, ''],
      ['first-command', 200, ''],
      ['last-command', 250, ''],
      ['ack', 900, 'm2'],
      ['ack', 1200, 'm3'],
      ['meter-confirmed', 2 * MIN, ''],
      ['restore-start', 7 * MIN, ''],
      ['ack', 7 * MIN + 500, 'm2'],
      ['restore-end', 10 * MIN, ''],
    ],
  );
  assert.deepEqual(
    r.devices.map((d) => [d.deviceId, d.phase, d.outcome, d.error ?? '']),
    [
      ['m2', 'shed', 'acked', ''],
      ['m3', 'shed', 'failed', 'timeout, after 2 tries'],
      ['m2', 'restore', 'acked', ''],
    ],
  );
  assert.throws(() => check(EventRecord, { ...structuredClone(r), extra: 1 }, 'event record'), ValidationError);
  assert.throws(() => check(EventRecord, { ...structuredClone(r), target: { targetMw: 1, shedMw: 1 } }, 'event record'), ValidationError);
});

/**
 * The status rules, found by trying every move with transition() itself (no copy of the table):
 * the graph of moves it accepts must have the properties an event's life needs.
 */
function acceptedMoves(): Map<EventStatus, Set<EventStatus>> {
  const all = EventStatus.anyOf.map((s) => s.const) as EventStatus[];
  const base = newEventRecord({ id: 'ev1', program: 'operator', target: { shedMw: 5 }, allowAi: false, signalAtMs: T0 });
  const moves = new Map<EventStatus, Set<EventStatus>>();
  for (const from of all) {
    moves.set(from, new Set());
    for (const to of all) {
      const r = { ...base, status: from };
      let accepted: boolean;
      try {
        assert.equal(transition(r, to, T0 + 1).status, to);
        accepted = true;
      } catch (e) {
        assert.ok(e instanceof EventRecordError && e.code === 'E_EVENT_TRANSITION', `${from} → ${to}: ${String(e)}`);
        assert.match(e.message, new RegExp(`^event ev1: cannot go from ${from} to ${to} \\(from ${from}: `));
        accepted = false;
      }
      assert.equal(canTransition(from, to), accepted, `canTransition(${from}, ${to}) disagrees with transition()`);
      if (accepted) moves.get(from)!.add(to);
    }
  }
  return moves;
}

const FINAL: EventStatus[] = ['done', 'aborted', 'failed'];
const reachable = (moves: Map<EventStatus, Set<EventStatus>>, from: EventStatus, avoiding?: EventStatus) => {
  const seen = new Set<EventStatus>([from]);
  const queue = [from];
  while (queue.length > 0) for (const to of moves.get(queue.shift()!) ?? []) if (to !== avoiding && !seen.has(to)) seen.add(to), queue.push(to);
  return seen;
};

test('status rules: every event can end, and an ended event stays ended', () => {
  const moves = acceptedMoves();
  for (const status of FINAL) assert.deepEqual([...moves.get(status)!], [], `${status} is final`);
  assert.throws(() => transition({ ...newEventRecord({ id: 'ev1', program: 'operator', target: { shedMw: 5 }, allowAi: false, signalAtMs: T0 }), status: 'done' }, 'shedding', T0), /\(from done: none, it is final\)/);
  for (const status of moves.keys()) {
    if (FINAL.includes(status)) continue;
    assert.ok(moves.get(status)!.has('failed'), `a failure can be recorded while ${status}`);
    assert.ok(FINAL.some((f) => reachable(moves, status).has(f)), `${status} can end`);
  }
  // Every status is reachable from a new event, and none leads back to planned.
  assert.deepEqual([...reachable(moves, 'planned')].sort(), [...moves.keys()].sort());
  for (const [from, to] of moves) assert.ok(!to.has('planned'), `${from} → planned`);
});

test('status rules: an event is done only after restoring, confirmed only after shedding, aborted only before restoring', () => {
  const moves = acceptedMoves();
  // With restoring taken out, done cannot be reached: devices are woken before an event is done.
  assert.ok(!reachable(moves, 'planned', 'restoring').has('done'));
  assert.ok(moves.get('restoring')!.has('done'));
  // The meter confirms a shed only after commands went out.
  for (const [from, to] of moves) if (to.has('meter-confirmed')) assert.equal(from, 'shedding', `${from} → meter-confirmed`);
  // A shortfall after confirmation sheds again; an event that ends before the meter confirms restores at once.
  assert.ok(moves.get('meter-confirmed')!.has('shedding'));
  assert.ok(moves.get('shedding')!.has('restoring'));
  // An abort stops a plan or a shed; once restoring, the way out is finishing (or failing).
  for (const status of ['planned', 'shedding', 'meter-confirmed'] as const) assert.ok(moves.get(status)!.has('aborted'), `abort while ${status}`);
  assert.ok(!moves.get('restoring')!.has('aborted'));
  // Nothing skips the shed: a planned event cannot be confirmed, restored or done.
  for (const to of ['meter-confirmed', 'restoring', 'done'] as const) assert.ok(!moves.get('planned')!.has(to), `planned → ${to}`);
});

test('transitions write their timeline entries; re-shedding does not write a second first-command', () => {
  let r = newEventRecord({ id: 'ev1', program: 'price-strike', target: { shedMw: 5 }, allowAi: false, signalAtMs: T0 });
  r = transition(r, 'shedding', T0 + 1);
  r = transition(r, 'meter-confirmed', T0 + 2);
  r = transition(r, 'shedding', T0 + 3);
  r = transition(r, 'meter-confirmed', T0 + 4);
  r = transition(r, 'aborted', T0 + 5, 'admin abort');
  assert.deepEqual(
    r.timeline.map((e) => [e.kind, e.atMs - T0]),
    [
      ['signal-received', 0],
      ['first-command', 1],
      ['meter-confirmed', 2],
      ['meter-confirmed', 4],
      ['aborted', 5],
    ],
  );
  assert.equal(r.timeline.at(-1)?.detail, 'admin abort');
});

test('baseline: mean revenue-meter load over the window before the signal', () => {
  assert.equal(baselineW(samples, T0, 15 * MIN), 10 * MW);
  assert.equal(baselineW(samples, T0, 10 * MIN), 10 * MW, 'window [T0−10 min, T0): 10.2 and 9.8 MW');
  assert.equal(baselineW(samples, T0, 5 * MIN), 9.8 * MW);
  assert.throws(() => baselineW(samples, T0 - 20 * MIN, 5 * MIN), (e: unknown) => e instanceof EventRecordError && e.code === 'E_EVENT_BASELINE');
});

test('acks must match a pending command; bad samples and times are rejected', () => {
  const r = fullRecord();
  assert.throws(() => recordAcks(r, [{ deviceId: 'm9', atMs: T0, ok: true }]), /m9, which has no pending command/);
  assert.throws(() => addMeterSamples(r, [{ atMs: T0, loadW: Number.NaN }]), RangeError);
  assert.throws(() => addTimeline(r, [{ kind: 'plan-made', atMs: 1.5 }]), RangeError);
  // Samples arriving out of order are kept in time order.
  const s = addMeterSamples(newEventRecord({ id: 'x', program: 'operator', target: { shedMw: 1 }, allowAi: false, signalAtMs: T0 }), [samples[3]!, samples[0]!]);
  assert.deepEqual(s.meterSamples.map((m) => m.atMs), [T0 - 15 * MIN, T0]);
});

test('curtailed MW and MWh per interval, by the trapezoid rule clipped at 0', () => {
  const r = fullRecord();
  // 18:00–18:05, curtailment 0→4→6→6 MW at 0, 1, 2, 5 min: 2 + 5 + 18 = 25 MW·min.
  // 18:05–18:10, 6→6→2 MW at 5, 7, 8 min, then the load crosses the baseline at 9⅓ min:
  // 12 + 4 + ½·2·(4/3) = 17⅓ MW·min (at 10 min the load is 1 MW above baseline: clipped).
  assert.deepEqual(curtailedByInterval(r, 5), [
    { startMs: T0, endMs: T0 + 5 * MIN, coveredMs: 5 * MIN, curtailedMw: 5, curtailedMwh: 0.416667 },
    { startMs: T0 + 5 * MIN, endMs: T0 + 10 * MIN, coveredMs: 5 * MIN, curtailedMw: 3.466667, curtailedMwh: 0.288889 },
  ]);
  // 3-minute intervals cut the samples (load interpolated at 3, 6, 9 min) and add up to the same 42⅓ MW·min.
  assert.deepEqual(curtailedByInterval(r, 3), [
    { startMs: T0, endMs: T0 + 3 * MIN, coveredMs: 3 * MIN, curtailedMw: 4.333333, curtailedMwh: 0.216667 },
    { startMs: T0 + 3 * MIN, endMs: T0 + 6 * MIN, coveredMs: 3 * MIN, curtailedMw: 6, curtailedMwh: 0.3 },
    { startMs: T0 + 6 * MIN, endMs: T0 + 9 * MIN, coveredMs: 3 * MIN, curtailedMw: 3.75, curtailedMwh: 0.1875 },
    { startMs: T0 + 9 * MIN, endMs: T0 + 12 * MIN, coveredMs: 1 * MIN, curtailedMw: 0.027778, curtailedMwh: 0.001389 },
  ]);
  const [only] = curtailedByInterval(r, 15);
  assert.deepEqual(only, { startMs: T0, endMs: T0 + 15 * MIN, coveredMs: 10 * MIN, curtailedMw: 2.822222, curtailedMwh: 0.705556 });
});

test('curtailment needs a baseline and a whole number of minutes; no samples, no intervals', () => {
  const bare = newEventRecord({ id: 'x', program: 'operator', target: { shedMw: 1 }, allowAi: false, signalAtMs: T0 });
  assert.throws(() => curtailedByInterval(bare, 5), /no baseline/);
  assert.deepEqual(curtailedByInterval({ ...bare, baselineW: 1 }, 5), []);
  assert.throws(() => curtailedByInterval(fullRecord(), 0), RangeError);
  // A running event is measured up to its last sample.
  const running = { ...fullRecord(), timeline: fullRecord().timeline.filter((e) => e.kind !== 'restore-end') };
  assert.equal(curtailedByInterval(running, 5).length, 2);
});

const EXPECTED_CSV = `field,value
event_id,ev-2025-07-01-a
program,grid-dispatch
program_name,"ERCOT ERS-10, ""test"""
reason,
status,done
target_mw,6
shed_mw,
allow_ai,false
requested_start_utc,2025-07-01T18:00:00.000Z
requested_end_utc,2025-07-01T18:30:00.000Z
baseline_mw,10
baseline_window_ms,900000
interval_minutes,5
signal_received_utc,2025-07-01T18:00:00.000Z
plan_made_utc,2025-07-01T18:00:00.120Z
first_command_utc,2025-07-01T18:00:00.200Z
last_command_utc,2025-07-01T18:00:00.250Z
meter_confirmed_utc,2025-07-01T18:02:00.000Z
restore_start_utc,2025-07-01T18:07:00.000Z
restore_end_utc,2025-07-01T18:10:00.000Z
aborted_utc,
failed_utc,
acks,3
last_ack_utc,2025-07-01T18:07:00.500Z

interval_start_utc,interval_end_utc,covered_ms,curtailed_mw,curtailed_mwh
2025-07-01T18:00:00.000Z,2025-07-01T18:05:00.000Z,300000,5,0.416667
2025-07-01T18:05:00.000Z,2025-07-01T18:10:00.000Z,300000,3.466667,0.288889

device_id,block_id,phase,action,target_w,expected_delta_w,sent_utc,ack_utc,outcome,error
m2,B1,shed,sleep,,-3043,2025-07-01T18:00:00.200Z,2025-07-01T18:00:00.900Z,acked,
m3,B1,shed,set-power-target,2096,-914,2025-07-01T18:00:00.200Z,2025-07-01T18:00:01.200Z,failed,"timeout, after 2 tries"
m2,B1,restore,wake,,3043,2025-07-01T18:07:00.000Z,2025-07-01T18:07:00.500Z,acked,

meter_utc,load_mw
2025-07-01T17:45:00.000Z,10
2025-07-01T17:50:00.000Z,10.2
2025-07-01T17:55:00.000Z,9.8
2025-07-01T18:00:00.000Z,10
2025-07-01T18:01:00.000Z,6
2025-07-01T18:02:00.000Z,4
2025-07-01T18:05:00.000Z,4
2025-07-01T18:07:00.000Z,4
2025-07-01T18:08:00.000Z,8
2025-07-01T18:10:00.000Z,11
`;

test('settlement CSV: header, intervals, devices, meter samples', () => {
  assert.equal(toCsv(fullRecord()), EXPECTED_CSV);
});

/** RFC 4180 reader for the round-trip check: sections split on blank lines. */
function parseCsv(text: string): string[][][] {
  const sections: string[][][] = [[]];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n') {
      row.push(cell);
      if (row.length === 1 && row[0] === '') sections.push([]);
      else sections.at(-1)!.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  return sections;
}

test('the CSV round-trips every value exactly', () => {
  // Awkward numbers: a baseline and loads that are not round MW.
  let r = newEventRecord({ id: 'ev-odd', program: 'openadr', reason: 'line 1\nline "2"', target: { shedMw: 1.2345678 }, allowAi: true, signalAtMs: T0 + 7 });
  r = addMeterSamples(r, [
    { atMs: T0 - MIN, loadW: 12_345_678.4 },
    { atMs: T0 + 7, loadW: 12_345_678.4 },
    { atMs: T0 + 61_234, loadW: 11_111_111.1 },
    { atMs: T0 + 9 * MIN + 1, loadW: 10_000_001 },
  ]);
  r = withBaseline(r);
  r = logCommands(r, 'shed', [{ deviceId: 'g1', blockId: 'A1', action: 'gpu-power-cap', targetW: 7123.5, expectedDeltaW: -2876.5 }], T0 + 9);
  const [head, intervals, devices] = parseCsv(toCsv(r));
  const field = new Map(head!.slice(1).map(([k, v]) => [k, v]));
  assert.equal(field.get('reason'), 'line 1\nline "2"');
  assert.equal(Number(field.get('shed_mw')), 1.2345678);
  assert.equal(Number(field.get('baseline_mw')), roundMicro(r.baselineW! / 1e6));
  assert.equal(field.get('baseline_mw'), '12.345678');
  assert.equal(Date.parse(field.get('signal_received_utc')!), T0 + 7);
  const expected = curtailedByInterval(r, 5);
  assert.equal(intervals!.length - 1, expected.length);
  expected.forEach((e, i) => {
    const [start, end, covered, mw, mwh] = intervals![i + 1]!;
    assert.deepEqual(
      { startMs: Date.parse(start!), endMs: Date.parse(end!), coveredMs: Number(covered), curtailedMw: Number(mw), curtailedMwh: Number(mwh) },
      e,
    );
    assert.ok(e.curtailedMwh > 0);
  });
  const [, d] = devices!;
  assert.equal(Number(d![4]), 7123.5);
  assert.equal(Number(d![5]), -2876.5);
  assert.equal(Date.parse(d![6]!), T0 + 9);
});
