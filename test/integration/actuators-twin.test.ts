import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { ActuatorRunner } from '../../agents/drivers/actuator-runner.ts';
import { CoilConnection } from '../../agents/drivers/modbus/coils.ts';
import { loadProfile } from '../../agents/drivers/snmp/profile.ts';
import { SnmpClient } from '../../agents/drivers/snmp/session.ts';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import { actuatorLayout } from '../../services/domain/actuators.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin, type Twin } from '../../simulations/site-twin/twin.ts';
import { until } from '../support/until.ts';

/**
 * Coarse actuators on the twin: the agent's actuator runner switches the twin's PDUs over SNMP
 * (one SET per PDU for all its outlets) and its relay module over Modbus (coils), and the
 * miners behind them really lose and regain power. Every PDU profile with outlet control is
 * exercised: APC rPDU2, Raritan PX2, ServerTech Sentry4 and Eaton ePDU.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const site = loadSiteFile(resolve(repoRoot, 'test/support/sites/actuated.yaml'));

describe('coarse actuators on the twin', { timeout: 60_000 }, () => {
  let twin: Twin;
  let runner: ActuatorRunner;
  before(async () => {
    const log = logger('twin');
    log.level = 'warn';
    twin = await startTwin(site, { minerPort: 0, meterPort: 0, tickMs: 100, log });
    runner = new ActuatorRunner({ actuators: twin.actuators!.actuators });
  });
  after(async () => {
    runner?.close();
    await twin?.stop();
  });

  const layout = () => actuatorLayout(site, new Set(twin.miners.map((m) => m.id)));
  const command = (deviceId: string, action: 'power-off' | 'power-on'): DeviceCommand => ({ deviceId, blockId: deviceId.startsWith('RELAY') ? 'B2' : 'B1', action, expectedDeltaW: 0 });

  test('power-off cuts the miners behind every outlet and coil to 0 W; the others run on', async () => {
    const channels = layout().channels;
    assert.equal(channels.length, 11);
    const loadBefore = twin.siteLoadW();
    const acks = await runner.run(channels.map((c) => command(c.id, 'power-off')), { deviceTimeoutMs: 2000, attempts: 2 });
    assert.deepEqual(acks.filter((a) => !a.ok), []);
    // One SET per PDU (two outlets each); the relay's coils 0, 1 and 3 are not contiguous: read, then one write.
    assert.deepEqual(runner.stats, { snmpSets: 4, coilWrites: 1, coilReads: 1 });
    const later = Date.now() + 1000;
    for (const c of channels) {
      for (const id of c.minerIds) {
        const m = twin.minerById(id)!.miner;
        assert.equal(m.hasPower, false, `${id} behind ${c.id} has no power`);
        assert.ok(m.powerAt(later) < 1, `${id} draws ${m.powerAt(later)} W`);
        assert.equal(m.answers(later), false, `${id} does not answer with its power cut`);
      }
    }
    const spared = twin.minerById('B2-m00004')!.miner;
    assert.ok(spared.hasPower && spared.powerAt(later) > 5000, 'B2-m00004 has no relay and keeps mining');
    // B1's 16 miners (54.24 kW × 1.05) and three of B2's (17.028 kW × 1.04): 74.7 kW at the revenue meter.
    await until('the revenue meter to show the cut', () => (twin.refresh(), twin.siteLoadW() < loadBefore - 74_000), 5000);
  });

  test('the PDUs and the relay report the outlets and coils off when read back', async () => {
    for (const pdu of twin.actuators!.actuators.pdus) {
      const control = loadProfile(pdu.profile).outletControl!;
      const client = new SnmpClient({ host: pdu.host, port: pdu.port, community: pdu.community ?? 'private' });
      try {
        const prefix = control.indexPrefix.map((n) => `.${n}`).join('');
        const vbs = await client.get(pdu.outlets.map((o) => `${control.state.oid}${prefix}.${o.outlet}`));
        assert.deepEqual(vbs.map((v) => v.value), pdu.outlets.map(() => control.state.off), `${pdu.id} (${pdu.profile}) outlets read off`);
      } finally {
        client.close();
      }
    }
    const relay = twin.actuators!.actuators.relays[0]!;
    const conn = new CoilConnection(relay.host, relay.port);
    try {
      // Coil 2 has nothing behind it and was written back as read (off).
      assert.deepEqual(await conn.readCoils(relay.unitId, 0, 4, 2000), [false, false, false, false]);
      await assert.rejects(conn.readCoils(relay.unitId, 16, 1, 2000), /exception|illegal|address/i, 'a 16-coil module has no coil 16');
    } finally {
      conn.close();
    }
  });

  test('power-on brings every miner back: it cold-boots, then mines', async () => {
    const channels = layout().channels;
    const acks = await runner.run(channels.map((c) => command(c.id, 'power-on')), { deviceTimeoutMs: 2000, attempts: 2 });
    assert.deepEqual(acks.filter((a) => !a.ok), []);
    for (const c of channels) {
      assert.equal(twin.actuators!.channelOn(c.id), true);
      for (const id of c.minerIds) {
        const m = twin.minerById(id)!.miner;
        assert.equal(m.hasPower, true);
        assert.equal(m.mode, 'waking', `${id} boots`);
      }
    }
    // All of one PDU's outlets in one SET: its whole nameplate came on in one step.
    assert.equal(twin.actuators!.inrushPeakW('PDU-APC'), 4 * 3500);
  });

  test('a command for an outlet the agent does not have fails with the reason, the rest run', async () => {
    const acks = await runner.run([command('PDU-APC/o9', 'power-off'), command('PDU-APC/o1', 'power-on')], { deviceTimeoutMs: 2000, attempts: 1 });
    assert.equal(acks[0]!.ok, false);
    assert.match(acks[0]!.error ?? '', /no such PDU outlet or relay coil/);
    assert.equal(acks[1]!.ok, true);
  });
});
