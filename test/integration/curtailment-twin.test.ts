import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { curtailPlatform, until, type CurtailPlatform } from '../support/curtail-platform.ts';

/**
 * Curtailment on the site twin, end to end: the operator asks through the API, the engine
 * plans and sends commands through the queue and the agent's command channel, the twin's
 * miners sleep, and the event is confirmed when the twin's revenue meter shows the target.
 */

describe('curtailment on the twin', { timeout: 300_000 }, () => {
  let c: CurtailPlatform;
  before(async () => {
    // The plain least-efficient-first order, which the first test checks; the default fast
    // plan and its swap are tested in curtailment-engine-swap and curtailment-agents-per-hall.
    c = await curtailPlatform({ curtailment: { sleepPlan: 'efficient' } });
  });
  after(() => c?.close());

  it('an event with a target is met on the revenue meter, exported, then restored', async () => {
    const before = c.p.twin!.siteLoadW();
    const res = await c.api('POST', '/api/curtailment/events', { shedMw: 2, durationMs: 20_000, reason: 'test: shed 2 MW' });
    assert.equal(res.statusCode, 202, res.body);
    const { eventId } = res.json() as { eventId: string };
    const confirmed = await c.until(eventId, ['meter-confirmed'], 60_000);
    const target = confirmed.baselineW! - 2e6;
    assert.ok(c.p.twin!.siteLoadW() <= target + Math.max(0.01 * confirmed.baselineW!, 50_000), `twin load ${c.p.twin!.siteLoadW()} W vs target ${target} W`);
    assert.ok(before - c.p.twin!.siteLoadW() >= 1.9e6, 'the twin really shed about 2 MW');
    const kinds = new Set(confirmed.timeline.map((e) => e.kind));
    for (const k of ['signal-received', 'plan-made', 'first-command', 'last-command', 'ack', 'meter-confirmed'] as const) assert.ok(kinds.has(k), `timeline has ${k}`);
    // Least efficient first: the plan sleeps S19j Pros (29.5 J/TH) before anything else.
    const shedIds = confirmed.devices.filter((d) => d.phase === 'shed').map((d) => d.deviceId);
    assert.ok(shedIds.length > 0 && shedIds.slice(0, 100).every((id) => id.startsWith('B1-m') && Number(id.slice(4)) <= 400), `first shed devices: ${shedIds.slice(0, 5).join(', ')}`);

    const done = await c.until(eventId, ['done'], 90_000);
    // A wake that timed out is tried again in a later round; what counts is each device's last.
    const lastRestore = new Map(done.devices.filter((d) => d.phase === 'restore').map((d) => [d.deviceId, d]));
    assert.ok(lastRestore.size > 0 && [...lastRestore.values()].every((d) => d.outcome === 'acked'), 'every shed miner woken');
    assert.deepEqual(shedIds.filter((id) => !lastRestore.has(id)), [], 'a restore for every device shed');
    const csv = await c.api('GET', `/api/curtailment/events/${eventId}?format=csv`);
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /text\/csv/);
    assert.match(csv.body, /^meter_confirmed_utc,\d{4}-/m);
    assert.match(csv.body, /^status,done$/m);
    assert.ok(csv.body.split('\n').length > shedIds.length, 'one row per device command at least');
    const json = (await c.api('GET', `/api/curtailment/events/${eventId}`)).json() as { status: string; meterSamples: unknown[] };
    assert.equal(json.status, 'done');
    assert.ok(json.meterSamples.length > 10);
  });

  it('with 5% of miners not answering, the shed is re-planned around them and the target is still met', async () => {
    // Make 5% of the fleet unreachable, the least efficient ones included (first in the plan).
    // The event is asked for at once: the agent polls on while commands run, so a miner dead
    // for a whole poll cycle is known offline and never planned. Failed miners' shares are
    // re-planned as their commands time out, so the event lasts long enough to confirm.
    await until('steady load after the previous restore', () => (c.p.curtailment.list(10).every((e) => e.status === 'done') ? true : undefined), 30_000);
    const ids = c.p.twin!.miners.map((m) => m.id);
    const dead = ids.filter((_id, i) => i % 20 === 0);
    for (const id of dead) c.p.twin!.minerById(id)!.miner.reachable = false;
    try {
      const res = await c.api('POST', '/api/curtailment/events', { shedMw: 2, durationMs: 45_000, reason: 'test: 5% dead' });
      assert.equal(res.statusCode, 202, res.body);
      const { eventId } = res.json() as { eventId: string };
      const confirmed = await c.until(eventId, ['meter-confirmed'], 90_000);
      const failed = confirmed.devices.filter((d) => d.phase === 'shed' && d.outcome === 'failed').map((d) => d.deviceId);
      assert.ok(failed.length > 0, 'some planned miners did not answer');
      assert.ok(failed.every((id) => dead.includes(id)), 'only the unreachable ones failed');
      const acked = confirmed.devices.filter((d) => d.phase === 'shed' && d.outcome === 'acked');
      assert.ok(acked.every((d) => !dead.includes(d.deviceId)));
      await c.until(eventId, ['done'], 90_000);
    } finally {
      for (const id of dead) c.p.twin!.minerById(id)!.miner.reachable = true;
    }
  });

  it('a dry-run preview plans without sending anything', async () => {
    const res = await c.api('POST', '/api/curtailment/preview', { shedMw: 1 });
    assert.equal(res.statusCode, 200, res.body);
    const plan = res.json() as { commands: unknown[]; expectedShedW: number };
    assert.ok(plan.commands.length > 0 && plan.expectedShedW >= 1e6);
    const bad = await c.api('POST', '/api/curtailment/events', { shedMw: 1, durationMs: 10_000, reason: 'x', colour: 'red' });
    assert.equal(bad.statusCode, 400);
  });

  it('switchyard curtail prints the event id and follows it to meter confirmation', async () => {
    await until('the previous events to close', () => (c.p.curtailment.list(10).every((e) => ['done', 'aborted', 'failed'].includes(e.status)) ? true : undefined), 60_000);
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['services/cli/bin.js', 'curtail', '--shed-mw', '1', '--for', '20s', '--url', c.p.listening.url, '--token', c.admin, '--wait', '60s'], { timeout: 90_000 });
    const eventId = stdout.trim();
    assert.match(eventId, /^ev-\d{8}-\d{6}-[0-9a-f]{8}$/);
    assert.match(stderr, /meter-confirmed/);
    assert.match(stderr, /signal → first command [\d.]+ s, .*meter confirmed [\d.]+ s/);
    assert.ok(['meter-confirmed', 'restoring', 'done'].includes(c.p.curtailment.status(eventId)!));
  });

  it('a higher-priority event keeps what a lower-priority one shed when that one ends first', async () => {
    await until('the previous events to close', () => (c.p.curtailment.list(10).every((e) => ['done', 'aborted', 'failed'].includes(e.status)) ? true : undefined), 90_000);
    const low = await c.api('POST', '/api/curtailment/events', { shedMw: 1.5, durationMs: 120_000, reason: 'test: low priority' });
    const lowId = (low.json() as { eventId: string }).eventId;
    await c.until(lowId, ['meter-confirmed'], 60_000);
    const now = Date.now();
    const high = await c.api('POST', '/api/curtailment/dispatch', { program: 'ERCOT ERS (test)', shedMw: 1, startMs: now, endMs: now + 120_000 });
    const highId = (high.json() as { eventId: string }).eventId;
    const confirmed = await c.until(highId, ['meter-confirmed'], 60_000);
    assert.ok(confirmed.timeline.some((e) => /adopted \d+ devices shed by lower-priority events/.test(e.detail ?? '')));
    const target = confirmed.baselineW! - 1e6;
    await c.p.curtailment.end(lowId, 'test: the low-priority event ends first');
    await c.until(lowId, ['done'], 60_000);
    // Devices whose shed failed (the miners not answering since the test before) get a wake
    // anyway, as a timed-out sleep may have landed; every device that acked its shed was adopted.
    const lowRecord = c.p.curtailment.get(lowId)!;
    const ackedShed = new Set(lowRecord.devices.filter((d) => d.phase === 'shed' && d.outcome === 'acked').map((d) => d.deviceId));
    const restoredByLow = lowRecord.devices.filter((d) => d.phase === 'restore' && ackedShed.has(d.deviceId)).length;
    assert.equal(restoredByLow, 0, 'nothing woken: the dispatch event adopted every device the operator event shed');
    assert.ok(c.p.twin!.siteLoadW() <= target + 0.011 * confirmed.baselineW!, 'the dispatch target still holds');
    await c.p.curtailment.end(highId, 'test: done');
    const done = await c.until(highId, ['done'], 90_000);
    assert.ok(done.devices.filter((d) => d.phase === 'restore' && d.outcome === 'acked').length > 0, 'the dispatch event restores what it adopted');
  });
});
