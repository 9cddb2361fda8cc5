import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { curtailPlatform, until, type CurtailPlatform } from '../support/curtail-platform.ts';

/**
 * An emergency hard cut on the twin, end to end: the operator asks for 1.5 MW with
 * allowHardCut, the engine plans the fewest commands (the relay's contactors first, then PDU
 * outlets), the agent switches the twin's relay (Modbus coils) and PDUs (SNMP), the revenue
 * meter confirms, and at the end power comes back within each actuator's inrush limit and
 * every miner behind them boots and reports again before the event closes.
 *
 * Site: test/support/sites/curtail-actuated.yaml — RELAY-C1: 4 coils × 100 S19j Pro (306.8 kW
 * each, limit 350 kW a step, 1.5 s apart); PDU-01…08: 4 outlets × 25 miners (M60S 86.0 kW,
 * S19-XP 75.3 kW an outlet; limit 180 kW a step, 1 s apart).
 */
describe('curtailment hard cut on the twin', { timeout: 300_000 }, () => {
  let c: CurtailPlatform;
  before(async () => {
    c = await curtailPlatform({ sitePath: 'test/support/sites/curtail-actuated.yaml' });
  });
  after(() => c?.close());

  it('sheds 1.5 MW with 8 commands, confirms on the meter, restores within inrush limits, every miner back', async () => {
    const twin = c.p.twin!;
    const res = await c.api('POST', '/api/curtailment/events', { shedMw: 1.5, durationMs: 20_000, reason: 'test: emergency hard cut', allowHardCut: true });
    assert.equal(res.statusCode, 202, res.body);
    const { eventId } = res.json() as { eventId: string };
    const confirmed = await c.until(eventId, ['meter-confirmed'], 60_000);
    const shed = confirmed.devices.filter((d) => d.phase === 'shed');
    // Hand count: 4 coils = 4 × 306.8 = 1227.2 kW; 272.8 kW left, no channel covers it: the
    // largest outlets (M60S, 86.0 kW) three times → 14.8 kW left; the smallest outlet covering
    // that is an S19-XP outlet (75.3 kW). 4 + 3 + 1 = 8 commands (k largest: 4 + 4 is the least k
    // with a sum ≥ 1.5 MW).
    assert.deepEqual(shed.map((d) => d.action), new Array(8).fill('power-off'), shed.map((d) => d.deviceId).join(', '));
    assert.deepEqual(shed.slice(0, 4).map((d) => d.deviceId).sort(), ['RELAY-C1/c0', 'RELAY-C1/c1', 'RELAY-C1/c2', 'RELAY-C1/c3']);
    for (const d of shed) assert.equal(twin.actuators!.channelOn(d.deviceId), false, `${d.deviceId} is open on the twin`);
    assert.equal(twin.minerById('B1-m00001')!.miner.hasPower, false);

    const done = await c.until(eventId, ['done'], 180_000);
    const restores = done.devices.filter((d) => d.phase === 'restore');
    assert.deepEqual([...new Set(restores.map((d) => d.action))], ['power-on']);
    assert.ok(restores.every((d) => d.outcome === 'acked'), 'every outlet and coil closed');
    // Inrush: at most one contactor a step at the relay, two outlets a step at each PDU.
    assert.ok(twin.actuators!.inrushPeakW('RELAY-C1') <= 350_000, `relay inrush peak ${twin.actuators!.inrushPeakW('RELAY-C1')} W`);
    for (const pdu of twin.actuators!.actuators.pdus) assert.ok(twin.actuators!.inrushPeakW(pdu.id) <= 180_000, `${pdu.id} inrush peak ${twin.actuators!.inrushPeakW(pdu.id)} W`);
    const relayOns = twin.actuators!.switchOns().filter((s) => s.actuatorId === 'RELAY-C1').map((s) => s.atMs);
    // Steps at least the interval apart as the engine sends them; the SET/write reaches the twin
    // a few ms to a few hundred ms after (agent scheduling on a loaded machine).
    for (let i = 1; i < relayOns.length; i++) assert.ok(relayOns[i]! - relayOns[i - 1]! >= 1500 - 300, `relay steps ${relayOns.map((t) => t - relayOns[0]!).join(', ')} ms`);
    // Every miner behind a channel has power and reported again before the event closed.
    assert.ok(done.timeline.some((e) => e.kind === 'ack' && /reports again/.test(e.detail ?? '')), 'the record says the miners came back');
    const behind = shed.flatMap((d) => c.p.curtailment.hardCut.minersOf(d.deviceId));
    assert.equal(behind.length, 4 * 100 + 4 * 25);
    for (const id of behind) assert.equal(twin.minerById(id)!.miner.hasPower, true, id);
    await until('every miner behind to mine again', () => (behind.every((id) => twin.minerById(id)!.miner.mode === 'mining') ? true : undefined), 60_000);
  });
});
