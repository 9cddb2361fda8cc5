import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { minerDevices } from '../../services/domain/devices.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import type { DeviceLogEntry, EventRecord } from '../../services/curtailment/event-record.ts';
import { heldDevices, type CurtailmentReads } from '../../services/api/curtailment-view.ts';
import { SiteViewer } from '../../services/api/site-view.ts';
import { SMALL_SITE, smallBatch } from '../support/api-harness.ts';

/**
 * Issue 10, finding 8: during `curtail --target-mw 20` the page showed blocks at 0.2 MW as
 * "Mining", 22,032 miners online and 0 sleeping, and no curtailed band. The site view now
 * says which event holds which block's devices off, moves their draw to the curtailed band,
 * and counts asleep miners as sleeping.
 */
const site = loadSiteFile(SMALL_SITE);
const NOW = 10_000_000;
const b1 = minerDevices(site).filter((m) => m.blockId === 'B1').map((m) => m.id);
const b2 = minerDevices(site).filter((m) => m.blockId === 'B2').map((m) => m.id);

function entry(deviceId: string, blockId: string, phase: 'shed' | 'restore', outcome: DeviceLogEntry['outcome']): DeviceLogEntry {
  return { deviceId, blockId, phase, action: phase === 'shed' ? 'sleep' : 'wake', expectedDeltaW: phase === 'shed' ? -3000 : 3000, sentAtMs: NOW - 5000, outcome } as DeviceLogEntry;
}

function record(devices: DeviceLogEntry[], status: EventRecord['status'] = 'meter-confirmed'): EventRecord {
  return {
    id: 'ev-test-1',
    program: 'operator',
    status,
    target: { targetMw: 0.02 },
    allowAi: false,
    baselineW: 80_000,
    baselineWindowMs: 60_000,
    timeline: [{ kind: 'plan-made', atMs: NOW - 6000, detail: '20 commands, expected 0.060 MW of 0.060 MW needed' }],
    meterSamples: [],
    devices,
  } as EventRecord;
}

const reads = (r: EventRecord): CurtailmentReads => ({ list: () => [{ id: r.id, status: r.status }], get: (id) => (id === r.id ? r : undefined) });

describe('site view during a curtailment event', () => {
  test('a block whose miners are all held off reads curtailed, by which event, with its draw in the curtailed band', () => {
    // Every B1 miner shed (acked); 2 of 4 B2 miners shed; one B2 shed failed (it never went off).
    const devices = [...b1.map((id) => entry(id, 'B1', 'shed', 'acked')), entry(b2[0]!, 'B2', 'shed', 'acked'), entry(b2[1]!, 'B2', 'shed', 'pending'), entry(b2[2]!, 'B2', 'shed', 'failed')];
    const live = new LiveState(site, { now: () => NOW });
    const viewer = new SiteViewer(site, live, reads(record(devices)));
    const applied = live.apply(smallBatch(site, { seq: 1, atMs: NOW, minerPowerW: 3000, sleeping: [...b1, b2[0]!] }));
    const view = viewer.view(NOW);
    // The history follows too, by whole blocks: B1's 16 asleep × 20 W = 320 W is curtailed;
    // B2 (part held) stays mining: 1 asleep × 20 W + 3 × 3000 W = 9020 W.
    const stateW = (state: string) => applied.points.find((p) => p.measurement === 'site_state' && p.tags.state === state)?.fields.power_w;
    assert.equal(stateW('curtailed'), 320);
    assert.equal(stateW('mining'), 9020);

    const v1 = view.blocks.find((b) => b.id === 'B1')!;
    const v2 = view.blocks.find((b) => b.id === 'B2')!;
    assert.equal(v1.state, 'mining', 'the site file state stays');
    assert.equal(v1.stateNow, 'curtailed');
    assert.deepEqual(v1.curtailment, [{ eventId: 'ev-test-1', status: 'meter-confirmed', devicesHeld: 16 }]);
    assert.equal(v2.stateNow, 'mining', 'a part held off leaves the block mining');
    assert.deepEqual(v2.curtailment, [{ eventId: 'ev-test-1', status: 'meter-confirmed', devicesHeld: 2 }]);

    // Paper: B1 16 asleep × 20 W = 320 W, all curtailed. B2: b2[0] asleep 20 W + b2[1] still
    // mining 3000 W are held = 3020 W curtailed; b2[2], b2[3] mining 2 × 3000 W = 6000 W mining.
    // 320 + 3020 = 3340 W; MW figures are given to the kW: 0.003.
    assert.equal(view.totals.powerByStateMw.curtailed, 0.003);
    assert.equal(view.totals.powerByStateMw.mining, 0.006);
    // Asleep miners are sleeping, not online: B1 16 + B2 1 asleep; B2 3 and nothing else online.
    assert.equal(view.totals.miners.sleeping, 17);
    assert.equal(view.totals.miners.online, 3);
    assert.equal(view.curtailment.inForce, true);
    assert.equal(view.curtailment.events[0]?.eventId, 'ev-test-1');
    assert.equal(view.curtailment.events[0]?.devicesHeld, 18);
    assert.equal(view.curtailment.events[0]?.targetMw, 0.02);
    assert.match(view.curtailment.events[0]?.note ?? '', /20 commands/);
  });

  test('an unreachable target: the floor the event holds at and why are in the view', () => {
    const devices = b1.map((id) => entry(id, 'B1', 'shed', 'acked'));
    const r = record(devices, 'shedding');
    // The engine's floor (issue 10, finding 8): 27.1 kW the AI pod may not give up.
    const held: EventRecord = { ...r, floorW: 27_100, timeline: [...r.timeline, { kind: 'floor', atMs: NOW - 1000, detail: 'AI pod B3 may not be capped' }] };
    const live = new LiveState(site, { now: () => NOW });
    live.apply(smallBatch(site, { seq: 1, atMs: NOW, sleeping: b1 }));
    const ev = new SiteViewer(site, live, reads(held)).view(NOW).curtailment.events[0]!;
    assert.equal(ev.floorMw, 0.0271);
    assert.equal(ev.floorReason, 'AI pod B3 may not be capped');
    const none = new SiteViewer(site, live, reads(r)).view(NOW).curtailment.events[0]!;
    assert.equal(none.floorMw, null);
    assert.equal(none.floorReason, null);
  });

  test('restored devices are no longer held; a done event is not in force; a failed restore stays held', () => {
    const shed = b1.map((id) => entry(id, 'B1', 'shed', 'acked'));
    const restored = [...shed, ...b1.slice(1).map((id) => entry(id, 'B1', 'restore', 'acked')), entry(b1[0]!, 'B1', 'restore', 'failed')];
    assert.deepEqual([...heldDevices(record(restored, 'restoring')).keys()], [b1[0]]);

    const live = new LiveState(site, { now: () => NOW });
    live.apply(smallBatch(site, { seq: 1, atMs: NOW, minerPowerW: 3000 }));
    const done = new SiteViewer(site, live, reads(record(restored.filter((d) => d.outcome !== 'failed'), 'done'))).view(NOW);
    assert.equal(done.curtailment.inForce, false);
    assert.ok(done.blocks.every((b) => b.stateNow === b.state && b.curtailment.length === 0));
    assert.equal(done.totals.powerByStateMw.curtailed, null, 'no curtailed band without curtailment');
    assert.equal(done.totals.powerByStateMw.mining, 0.06);
  });
});
