import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { EventRecord, EventStatus } from '../../services/curtailment/event-record.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { engineHarness, HARNESS_SITE, type Harness } from '../support/engine-harness.ts';
import { until } from '../support/until.ts';

/**
 * The engine's fast sleep plan (issue 15): cheap Braiins S21s (one exchange, 17.5 J/TH) are
 * slept first to reach the target; once the meter confirms, the swap sleeps the dear and
 * inefficient Antminer S19j-Pros (web UI, 29.5 J/TH) and only then wakes the S21s they cover.
 */
const SITE: SiteFile = {
  ...HARNESS_SITE,
  blocks: [
    { ...HARNESS_SITE.blocks[0]!, id: 'B1', name: 'S21 Braiins', miners: [{ model: 'S21', count: 40, firmware: 'braiins', network: { cidr: '127.70.0.0/24', port: 4028 } }] },
    { ...HARNESS_SITE.blocks[1]!, id: 'B2', name: 'S19j Antminer', miners: [{ model: 'S19j-Pro', count: 40, firmware: 'antminer', network: { cidr: '127.70.1.0/24', port: 4028 } }] },
  ],
} as SiteFile;

let h: Harness | undefined;
let ticker: NodeJS.Timeout | undefined;
afterEach(async () => {
  if (ticker) clearInterval(ticker);
  await h?.close();
  h = undefined;
});

async function start(extra: Parameters<typeof engineHarness>[0] = {}): Promise<Harness> {
  h = await engineHarness(extra, SITE);
  h.tick();
  ticker = setInterval(() => h!.tick(), 40);
  return h;
}

const reach = (eventId: string, s: EventStatus): Promise<EventRecord> =>
  until(`${eventId} ${s}`, () => (h!.engine.get(eventId)?.status === s ? h!.engine.get(eventId) : undefined), 10_000, 20);

describe('curtailment engine: fast sleep plan, then the swap toward least efficient', () => {
  it('sleeps the cheap miners first, then swaps them for the inefficient ones without losing the shed', async () => {
    await start();
    const baselineW = h!.meterW();
    const now = Date.now();
    const { eventId } = await h!.engine.request({ program: 'price-strike', target: { shedMw: 0.1 }, startMs: now, endMs: now + 3_600_000, requestedBy: 'test' });
    await reach(eventId, 'meter-confirmed');
    // 100 kW over S21 drops of 3475 W: 29 Braiins sleeps, nothing from B2.
    const first = h!.hub.commands('shed').slice(0, 29);
    assert.ok(first.every((c) => c.deviceId.startsWith('B1-')), JSON.stringify(first.map((c) => c.deviceId)));
    // The swap: 29 × 3475 = 100,775 W to cover with S19j-Pro drops of 3043 W → 34 sleeps (33 cover
    // 100,419 W, short of the 29th S21), then all 29 S21s wake.
    await until('the swap done', () => (h!.hub.asleep.size > 0 && [...h!.hub.asleep].every((id) => id.startsWith('B2-')) ? true : undefined), 10_000, 20);
    assert.equal(h!.hub.asleep.size, 34);
    assert.equal(h!.hub.commands('restore').length, 29);
    h!.tick();
    assert.ok(h!.meterW() <= baselineW - 100_000, `meter ${h!.meterW()} W, baseline ${baselineW} W`);
    const rec = h!.engine.get(eventId)!;
    assert.equal(rec.status, 'meter-confirmed');
    assert.ok(rec.timeline.some((e) => /swap toward least efficient first: 34/.test(e.detail ?? '')));
    await h!.engine.end(eventId, 'test over');
    await until('closed', () => (h!.engine.get(eventId)?.status === 'done' ? true : undefined), 10_000, 20);
    assert.deepEqual([...h!.hub.asleep], []);
    // The 29 swapped S21s were woken once (by the swap), not again by the restore.
    assert.equal(h!.hub.commands('restore').filter((c) => c.deviceId.startsWith('B1-')).length, 29);
  });

  it("sleepPlan 'efficient': least efficient first, no swap", async () => {
    await start({ sleepPlan: 'efficient' });
    const now = Date.now();
    const { eventId } = await h!.engine.request({ program: 'price-strike', target: { shedMw: 0.1 }, startMs: now, endMs: now + 3_600_000, requestedBy: 'test' });
    await reach(eventId, 'meter-confirmed');
    const shed = h!.hub.commands('shed');
    assert.equal(shed.length, 33);
    assert.ok(shed.every((c) => c.deviceId.startsWith('B2-')));
    assert.equal(h!.hub.commands('restore').length, 0);
  });
});
