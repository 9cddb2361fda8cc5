import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MeterBaseline, settledMeanW } from '../../services/curtailment/baseline.ts';
import type { EventRecord, EventStatus, MeterSample } from '../../services/curtailment/event-record.ts';
import { engineHarness, reachStatus, type Harness } from '../support/engine-harness.ts';
import { until } from '../support/until.ts';

/**
 * An event's baseline is the site at rest: revenue-meter samples taken while another event's
 * commands move load, and for a settle time after, are left out; an event that starts while
 * another is shedding shares that one's baseline. Meter series are written by hand.
 */

const S = 1000;
/** Every 10 s from 0 to 590 s: 10 MW at rest, 8 MW while shed (200–290 s), waking back up 300–390 s, at rest again from 400 s. */
const series = Array.from({ length: 60 }, (_, i) => {
  const atMs = i * 10 * S;
  const loadW = atMs < 200 * S ? 10e6 : atMs < 300 * S ? 8e6 : atMs < 400 * S ? 8e6 + ((atMs - 300 * S) / (100 * S)) * 2e6 : 10e6;
  return { atMs, loadW };
});

describe('baseline: settled meter samples', () => {
  it('leaves out samples during the commands and for the settle time after them', () => {
    // Commands from 200 s to 300 s (the restore's last ack); settle 60 s: 200–359 s are out.
    const moves = [{ fromMs: 200 * S, toMs: 300 * S }];
    // Window 600 s before 600 s: 0–190 s (20 × 10 MW) and 360–590 s (24 samples: 360–390 s waking, then 10 MW).
    const waking = [360, 370, 380, 390].map((t) => 8e6 + ((t - 300) / 100) * 2e6);
    const expected = (20 * 10e6 + waking.reduce((s, x) => s + x, 0) + 20 * 10e6) / 44;
    assert.equal(settledMeanW(series, moves, 600 * S, 600 * S, 60 * S), expected);
    // With a 120 s settle (the default) the wake-up is out entirely: the site at rest.
    assert.equal(settledMeanW(series, moves, 600 * S, 600 * S, 120 * S), 10e6);
    // Everything before ignored moves would be a lower baseline: the fault this fixes.
    assert.ok(settledMeanW(series, [], 600 * S, 600 * S, 120 * S)! < 9.7e6);
    // Right after the restore nothing in a short window is settled: no baseline from the meter.
    assert.equal(settledMeanW(series, moves, 390 * S, 150 * S, 120 * S), null);
  });

  it('commands close together make one move; the ring keeps its window', () => {
    const b = new MeterBaseline(600 * S, 120 * S);
    for (const s of series) {
      if (s.atMs === 200 * S || s.atMs === 250 * S || s.atMs === 300 * S) b.noteCommands(s.atMs);
      b.add(s);
    }
    assert.equal(b.meanW(600 * S, 600 * S), 10e6);
    assert.equal(b.since(500 * S).length, 10);
    // 30 minutes of rest later the move and the old samples are gone.
    for (let t = 600; t <= 2400; t += 10) b.add({ atMs: t * S, loadW: 9e6 });
    assert.equal(b.since(0)[0]!.atMs, 1800 * S);
    assert.equal(b.meanW(2401 * S, 600 * S), 9e6);
  });
});

describe('baseline: events in the engine', () => {
  let h: Harness | undefined;
  let ticker: NodeJS.Timeout | undefined;
  afterEach(async () => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
    await h?.close();
    h = undefined;
  });
  const start = async () => {
    h = await engineHarness();
    h.tick();
    ticker = setInterval(() => h!.tick(), 40);
    return h;
  };
  const reach = (eventId: string, statuses: EventStatus[]): Promise<EventRecord> => reachStatus(h!, eventId, statuses);
  // The meter samples the engine holds for its baselines (fed by the ticker's readings).
  const heldSamples = (what: string, n: number, pred: (s: MeterSample) => boolean) =>
    until(what, () => ((h!.engine as unknown as { meter: MeterBaseline }).meter.since(0).filter(pred).length >= n ? true : undefined), 10_000, 20);
  const shed = (mw: number) => {
    const now = Date.now();
    return h!.engine.request({ program: 'operator', target: { shedMw: mw }, startMs: now, endMs: now + 3_600_000, requestedBy: 'test' });
  };

  it("an event right after another's restore is measured against the site before that one, not its wake-up", async () => {
    await start();
    const atRestW = h!.meterW();
    await heldSamples('the site at rest on the meter', 5, (s) => s.loadW === atRestW);
    const first = await shed(0.15);
    await reach(first.eventId, ['meter-confirmed']);
    await h!.engine.end(first.eventId, 'test');
    await reach(first.eventId, ['done']);
    // The hand-written wake-up: miners acknowledged the wake but draw 300 kW less while booting.
    h!.otherLoadW -= 300_000;
    await heldSamples('the wake-up on the meter', 5, (s) => s.loadW < atRestW - 100_000);
    const second = await shed(0.15);
    const rec = h!.engine.get(second.eventId)!;
    assert.ok(rec.meterSamples.some((s) => s.loadW < atRestW - 100_000), 'the record keeps the disturbed samples too');
    assert.equal(rec.baselineW, atRestW);
    await reach(second.eventId, ['meter-confirmed']);
  });

  it('an event that starts while another is shedding shares its baseline', async () => {
    await start();
    const atRestW = h!.meterW();
    await heldSamples('the site at rest on the meter', 5, (s) => s.loadW === atRestW);
    const first = await shed(0.15);
    const a = await reach(first.eventId, ['meter-confirmed']);
    await heldSamples('the first shed on the meter', 3, (s) => s.loadW < a.baselineW! - 100_000);
    const second = await shed(0.3);
    const b = h!.engine.get(second.eventId)!;
    assert.ok(b.meterSamples.some((s) => s.loadW < a.baselineW! - 100_000), 'the meter before it shows the first event shed');
    assert.equal(b.baselineW, a.baselineW);
    // 0.3 MW below the shared baseline: the second sheds about 0.15 MW more.
    await reach(second.eventId, ['meter-confirmed']);
    assert.ok(h!.meterW() <= a.baselineW! - 0.3e6 + Math.max(0.01 * a.baselineW!, 50_000));
  });
});
