// The OpenADR 3 VEN against a VTN on loopback (test/support/openadr-vtn.ts): tokens, polling,
// event → engine request, deletion and cancellation → end, opt-out and usage reports, and the
// VTN going away and coming back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { EventStatus } from '../../services/curtailment/event-record.ts';
import type { CurtailSignal, CurtailmentPort } from '../../services/curtailment/signal.ts';
import { OpenAdrVen } from '../../services/curtailment/sources/openadr/client.ts';
import { checkOpenAdrVenConfig, type OpenAdrVenConfig } from '../../services/curtailment/sources/openadr/config.ts';
import { startOpenAdrVtn, type OpenAdrVtn } from '../support/openadr-vtn.ts';
import { FakePort } from '../support/fake-port.ts';
import { until } from '../support/until.ts';

const CLIENT = { clientId: 'ven-client-1', clientSecret: 'ven-secret-1' };

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function recordingLog() {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { log, lines, count: (msg: string) => lines.filter((l) => l.msg === msg).length };
}

/** Waits for a condition (no fixed sleeps): checks every 5 ms up to `timeoutMs`. */
const waitFor = (what: string, cond: () => boolean, timeoutMs = 5000): Promise<true> => until(what, () => cond() || undefined, timeoutMs, 5);

let vtn: OpenAdrVtn;
const vens: OpenAdrVen[] = [];

before(async () => {
  vtn = await startOpenAdrVtn(CLIENT);
});

after(async () => {
  await Promise.all(vens.map((v) => v.stop()));
  await vtn.close();
});

function newVen(overrides: Partial<OpenAdrVenConfig> = {}) {
  const port = new FakePort({ idPrefix: 'engine-', reportStatus: false });
  const rec = recordingLog();
  const config = checkOpenAdrVenConfig({
    vtnUrl: vtn.url,
    ...CLIENT,
    venName: 'switchyard-test',
    siteId: 'site-a',
    pollIntervalMs: 20,
    maxBackoffMs: 80,
    requestTimeoutMs: 1000,
    ...overrides,
  });
  const ven = new OpenAdrVen(config, port, { log: rec.log });
  vens.push(ven);
  return { ven, port, ...rec };
}

const iso = (ms: number) => new Date(ms).toISOString();
let programSeq = 0;
/** Each test gets its own programs, so tests do not see each other's events. */
function programs() {
  programSeq++;
  const dr = vtn.addProgram({ programName: `ERCOT-DR-${programSeq}`, payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KW' }] });
  const other = vtn.addProgram({ programName: `tariff-${programSeq}` });
  return { dr, other, names: [dr.programName as string] };
}

function capacityEvent(programID: string, startMs: number, kw: number, extra: Record<string, unknown> = {}) {
  return vtn.addEvent({
    programID,
    eventName: 'capacity limit',
    priority: 1,
    intervalPeriod: { start: iso(startMs), duration: 'PT30M' },
    payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KW' }],
    intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [kw] }] }],
    ...extra,
  });
}

test('an IMPORT_CAPACITY_LIMIT event becomes exactly one engine request; deleting it ends the engine event', async () => {
  const { dr, other, names } = programs();
  const startMs = Date.now() + 60_000;
  const event = capacityEvent(dr.id, startMs, 12_000);
  capacityEvent(other.id, startMs, 1); // a program this VEN does not follow
  const { ven, port } = newVen({ programNames: names });
  ven.start();
  await waitFor('the engine request', () => port.requests.length === 1);
  const polled = ven.getHealth().polls;
  await waitFor('three more polls', () => ven.getHealth().polls >= polled + 3);
  assert.equal(port.requests.length, 1, 'one request per OpenADR event, however often it is polled');
  assert.deepEqual(port.requests[0], {
    program: 'openadr',
    programName: dr.programName,
    target: { targetMw: 12 },
    startMs,
    endMs: startMs + 30 * 60_000,
    priority: 88,
    allowAi: false,
    externalId: `openadr:${event.id}`,
    requestedBy: `openadr:${new URL(vtn.url).host}`,
    reason: `OpenADR event capacity limit: IMPORT_CAPACITY_LIMIT 12000 kW (interval 0)`,
  });
  assert.equal(ven.eventState(event.id)?.status, 'requested');
  assert.ok(vtn.requests.some((r) => r.path.endsWith('/events') && r.query.programID === dr.id && r.query.limit === '50'));
  assert.ok(!vtn.requests.some((r) => r.path.endsWith('/events') && r.query.programID === other.id), 'no events fetched for programs not followed');

  vtn.deleteEvent(event.id);
  await waitFor('the engine end', () => port.ends.length === 1);
  assert.equal(port.ends[0]?.eventId, 'engine-1');
  assert.match(port.ends[0]?.why ?? '', new RegExp(`OpenADR event ${event.id} was deleted by the VTN`));
  assert.equal(ven.eventState(event.id)?.status, 'ended');
  await ven.stop();
});

test('an event the VTN cancels by moving it to 0001-01-01 / PT0S (User Guide 7.9) ends the engine event', async () => {
  const { dr, names } = programs();
  const event = capacityEvent(dr.id, Date.now() - 60_000, 8000);
  const { ven, port } = newVen({ programNames: names });
  await ven.pollOnce();
  assert.equal(port.requests.length, 1);
  vtn.updateEvent(event.id, { intervalPeriod: { start: '0001-01-01', duration: 'PT0S' } });
  await ven.pollOnce();
  assert.equal(port.ends.length, 1);
  assert.match(port.ends[0]?.why ?? '', /cancelled by the VTN/);
});

test('an expired token (401) makes the VEN fetch a new one and retry, without failing the poll', async () => {
  const { dr, names } = programs();
  capacityEvent(dr.id, Date.now() + 60_000, 5000);
  const { ven, port, count } = newVen({ programNames: names });
  const issued = vtn.tokensIssued;
  await ven.pollOnce();
  assert.equal(vtn.tokensIssued, issued + 1);
  await ven.pollOnce();
  assert.equal(vtn.tokensIssued, issued + 1, 'the token is reused while valid');
  const before401 = vtn.requests.length;
  vtn.expireTokens();
  await ven.pollOnce();
  assert.equal(vtn.tokensIssued, issued + 2);
  const since = vtn.requests.slice(before401);
  assert.equal(since[0]?.status, 401);
  assert.ok(since.slice(1).every((r) => r.status < 300));
  assert.equal(ven.getHealth().consecutiveFailures, 0);
  assert.equal(count('OpenADR VTN refused our token; fetching a new one'), 1);
  assert.equal(port.requests.length, 1);
});

test('a VTN that answers an expired token with 403 (as openadr3.yaml lists) gets a new token too', async () => {
  const strict = await startOpenAdrVtn({ ...CLIENT, authFailureStatus: 403 });
  try {
    const port = new FakePort({ idPrefix: 'engine-', reportStatus: false });
    const ven = new OpenAdrVen(checkOpenAdrVenConfig({ vtnUrl: strict.url, ...CLIENT, venName: 'v', siteId: 's' }), port, { log: recordingLog().log });
    await ven.pollOnce();
    strict.expireTokens();
    await ven.pollOnce();
    assert.equal(strict.tokensIssued, 2);
    // token, programs; programs (403), token, programs
    assert.deepEqual(strict.requests.map((r) => r.status), [200, 200, 403, 200, 200]);
    // Refused again with a fresh token: that is not a token problem, and the poll fails.
    strict.refuseAll(true);
    await assert.rejects(ven.pollOnce(), /listing OpenADR programs: GET .*\/programs\?skip=0&limit=50 answered HTTP 403 \(Forbidden: this client may not read this\)/);
    assert.equal(strict.tokensIssued, 3);
  } finally {
    await strict.close();
  }
});

test('wrong client credentials fail the poll with the VTN\'s OAuth2 error', async () => {
  const { ven } = newVen({ clientSecret: 'wrong' });
  await assert.rejects(ven.pollOnce(), /fetching an OAuth2 token from .*\/auth\/token: HTTP 401 \(invalid_client\)/);
  assert.equal(ven.getHealth().online, false);
});

test('the VTN going away is logged once and polled with backoff; coming back is logged once and events flow again', async () => {
  const { dr, names } = programs();
  const { ven, port, count } = newVen({ programNames: names });
  ven.start();
  await waitFor('the first successful poll', () => ven.getHealth().online === true);
  await vtn.down();
  try {
    await waitFor('four failed polls', () => ven.getHealth().consecutiveFailures >= 4);
  } finally {
    await vtn.up();
  }
  assert.equal(count('OpenADR VTN unreachable; polling with backoff'), 1);
  assert.match(ven.getHealth().lastError ?? '', /listing OpenADR programs/);
  await waitFor('the VEN to see the VTN again', () => ven.getHealth().online === true);
  assert.equal(count('OpenADR VTN reachable again'), 1);
  assert.equal(count('OpenADR VTN connected'), 1);
  const event = capacityEvent(dr.id, Date.now() + 60_000, 3000);
  await waitFor('the event after recovery', () => port.requests.length === 1);
  assert.equal(port.requests[0]?.externalId, `openadr:${event.id}`);
  await ven.stop();
});

test('a VTN that accepts the connection and never answers times out per request', async () => {
  const { ven } = newVen({ requestTimeoutMs: 100 });
  await ven.pollOnce();
  vtn.hang(true);
  try {
    await assert.rejects(ven.pollOnce(), /listing OpenADR programs .*: no answer within 100 ms/);
  } finally {
    vtn.hang(false);
  }
  assert.equal(ven.getHealth().online, false);
  await ven.pollOnce();
  assert.equal(ven.getHealth().online, true);
});

test('an event with a payload type the VEN does not act on is ignored, with one clear log line', async () => {
  const { dr, names } = programs();
  const event = vtn.addEvent({
    programID: dr.id,
    eventName: 'price',
    intervalPeriod: { start: iso(Date.now() + 60_000), duration: 'PT1H' },
    payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
    intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.17] }] }],
  });
  const { ven, port, lines } = newVen({ programNames: names });
  for (let i = 0; i < 3; i++) await ven.pollOnce();
  assert.equal(port.requests.length, 0);
  const ignored = lines.filter((l) => l.msg === 'OpenADR event ignored');
  assert.equal(ignored.length, 1);
  assert.equal(ignored[0]?.eventId, event.id);
  assert.match(String(ignored[0]?.reason), /payload type PRICE not acted on; this VEN acts on IMPORT_CAPACITY_LIMIT, DISPATCH_SETPOINT/);
  assert.equal(ven.eventState(event.id)?.status, 'rejected');
});

test('usage report: mean kW per event interval, in the specification\'s report shape', async () => {
  const { dr, names } = programs();
  const startMs = Date.UTC(2025, 6, 1, 18, 0, 0);
  const event = vtn.addEvent({
    programID: dr.id,
    eventName: 'dispatch',
    intervalPeriod: { start: iso(startMs), duration: 'PT15M' },
    payloadDescriptors: [{ payloadType: 'DISPATCH_SETPOINT', units: 'KW' }],
    intervals: [
      { id: 7, payloads: [{ type: 'DISPATCH_SETPOINT', values: [20_000] }] },
      { id: 8, payloads: [{ type: 'DISPATCH_SETPOINT', values: [10_000] }] },
    ],
  });
  // The event is over by "now" for this VEN: it is seen but not requested; a report still works.
  const { ven } = newVen({ programNames: names });
  await ven.pollOnce();
  const min = 60_000;
  const result = await ven.reportUsage(event.id, [
    { atMs: startMs + 1 * min, loadW: 21_000_000 },
    { atMs: startMs + 10 * min, loadW: 19_000_000 },
    { atMs: startMs + 16 * min, loadW: 10_500_000 },
    { atMs: startMs + 20 * min, loadW: Number.NaN },
    { atMs: startMs + 40 * min, loadW: 30_000_000 },
  ]);
  assert.deepEqual({ ...result, reportId: typeof result.reportId }, { reportId: 'string', samplesUsed: 3, samplesDropped: 2, intervalsWithoutSamples: [] });
  const stored = vtn.reports().at(-1) as Record<string, unknown>;
  assert.equal(stored.id, result.reportId);
  assert.deepEqual(
    { programID: stored.programID, eventID: stored.eventID, clientName: stored.clientName, reportName: stored.reportName, payloadDescriptors: stored.payloadDescriptors, resources: stored.resources },
    {
      programID: dr.id,
      eventID: event.id,
      clientName: 'switchyard-test',
      reportName: `usage ${event.id}`,
      payloadDescriptors: [{ payloadType: 'USAGE', readingType: 'MEAN', units: 'KW' }],
      resources: [
        {
          resourceName: 'site-a',
          intervals: [
            { id: 7, intervalPeriod: { start: iso(startMs), duration: 'PT15M' }, payloads: [{ type: 'USAGE', values: [20_000] }] },
            { id: 8, intervalPeriod: { start: iso(startMs + 15 * min), duration: 'PT15M' }, payloads: [{ type: 'USAGE', values: [10_500] }] },
          ],
        },
      ],
    },
  );
  await assert.rejects(ven.reportUsage(event.id, [{ atMs: startMs - min, loadW: 1 }]), /none of the 1 samples is a valid reading inside the event's intervals/);
  await assert.rejects(ven.reportUsage('event-nope', []), /has not seen that event/);
});

test('opting out ends our engine event, posts an OPERATING_STATE RUNNING_OPTED_OUT report, and the event is not requested again', async () => {
  const { dr, names } = programs();
  const startMs = Date.now() - 5 * 60_000;
  const event = capacityEvent(dr.id, startMs, 4000);
  const { ven, port } = newVen({ programNames: names });
  await ven.pollOnce();
  assert.equal(port.requests.length, 1);
  const before = Date.now();
  const { reportId } = await ven.optOut(event.id, 'hashprice too high to curtail');
  assert.deepEqual(port.ends, [{ eventId: 'engine-1', why: `opted out of OpenADR event ${event.id}: hashprice too high to curtail` }]);
  const stored = vtn.reports().find((r) => r.id === reportId) as Record<string, unknown> & { resources: Array<{ intervals: Array<{ intervalPeriod: { start: string } }> }> };
  const at = Date.parse(stored.resources[0]?.intervals[0]?.intervalPeriod.start ?? '');
  assert.ok(at >= before - 1 && at <= Date.now());
  assert.deepEqual(stored.payloadDescriptors, [{ payloadType: 'OPERATING_STATE' }]);
  assert.deepEqual(stored.resources, [
    { resourceName: 'site-a', intervals: [{ id: 0, intervalPeriod: { start: iso(at), duration: 'PT0S' }, payloads: [{ type: 'OPERATING_STATE', values: ['RUNNING_OPTED_OUT'] }] }] },
  ]);
  await ven.pollOnce();
  await ven.pollOnce();
  assert.equal(port.requests.length, 1);
  assert.equal(port.ends.length, 1, 'a later deletion does not end it twice');
  vtn.deleteEvent(event.id);
  await ven.pollOnce();
  assert.equal(port.ends.length, 1);
  assert.equal(ven.eventState(event.id)?.status, 'opted-out');
});

test('a followed program the VTN does not offer is logged once', async () => {
  const { ven, count } = newVen({ programNames: ['no-such-program'] });
  await ven.pollOnce();
  await ven.pollOnce();
  assert.equal(count('OpenADR program not offered by the VTN'), 1);
});

test('an event that does not match the specification is skipped with one log line; the rest of the poll goes on', async () => {
  const { dr, names } = programs();
  const bad = capacityEvent(dr.id, Date.now() + 60_000, 1000);
  vtn.updateEvent(bad.id, { intervals: [{ id: 'zero', payloads: [] }] });
  const good = capacityEvent(dr.id, Date.now() + 60_000, 2000);
  const { ven, port, lines } = newVen({ programNames: names });
  await ven.pollOnce();
  await ven.pollOnce();
  assert.deepEqual(port.requests.map((r) => r.externalId), [`openadr:${good.id}`]);
  const warned = lines.filter((l) => l.msg === 'OpenADR event does not match the specification; ignored');
  assert.equal(warned.length, 1);
  assert.equal(warned[0]?.eventId, bad.id);
  assert.match(JSON.stringify(warned[0]?.issues), /\/intervals\/0\/id must be integer/);
});
