import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { loadRelayProfile } from '../../agents/drivers/modbus/relay-profile.ts';
import { loadProfile, profileNames } from '../../agents/drivers/snmp/profile.ts';
import { actuatorLayout, expandMinerRefs, maxStepW } from '../../services/domain/actuators.ts';
import { minerDevices } from '../../services/domain/devices.ts';
import { parseSite, SiteFileError } from '../../services/domain/load-site.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const text = readFileSync(resolve(repoRoot, 'test/support/sites/actuated.yaml'), 'utf8');

describe('site file actuators', () => {
  test('ranges expand to the ids devices.ts gives, within one block', () => {
    assert.deepEqual(expandMinerRefs(['B1-m00009..B1-m00011', 'B2-m00001'], 'x'), ['B1-m00009', 'B1-m00010', 'B1-m00011', 'B2-m00001']);
    assert.throws(() => expandMinerRefs(['B1-m00001..B2-m00003'], 'x'), /within one block/);
    assert.throws(() => expandMinerRefs(['B1-m00005..B1-m00001'], 'x'), /backwards/);
  });

  test('the layout names every channel with the miners behind it', () => {
    const site = parseSite(text, 'actuated.yaml');
    const layout = actuatorLayout(site, new Set(minerDevices(site).map((d) => d.id)));
    assert.equal(layout.channels.length, 11);
    assert.deepEqual(layout.byId.get('PDU-EATON/o1')?.minerIds, ['B1-m00013', 'B1-m00014']);
    assert.equal(layout.channelOfMiner.get('B2-m00003')?.id, 'RELAY-B2/c3');
    assert.equal(layout.channelOfMiner.get('B2-m00004'), undefined);
    // 50 A × 240 V = 12 kW; 7.5 kW as given.
    assert.equal(maxStepW(layout.inrush.get('RELAY-B2')!), 12_000);
    assert.equal(maxStepW(layout.inrush.get('PDU-APC')!), 7_500);
  });

  test('unknown keys, unknown miners and a miner behind two outlets are errors with the place named', () => {
    assert.throws(() => parseSite(text.replace('profile: apc-rpdu2', 'profile: apc-rpdu2\n      outletz: 3'), 'a.yaml'), (e: unknown) => e instanceof SiteFileError && /outletz/.test(e.message));
    assert.throws(() => parseSite(text.replace('B1-m00015..B1-m00016', 'B1-m00015..B1-m00017'), 'a.yaml'), (e: unknown) => e instanceof SiteFileError && /PDU-EATON.*no miner "B1-m00017"/.test(e.message));
    assert.throws(() => parseSite(text.replace('[B1-m00013, B1-m00014]', '[B1-m00013, B1-m00001]'), 'a.yaml'), (e: unknown) => e instanceof SiteFileError && /B1-m00001 is already behind PDU-APC\/o1/.test(e.message));
    assert.throws(() => parseSite(text.replace('[B2-m00001]', '[B1-m00001]'), 'a.yaml'), (e: unknown) => e instanceof SiteFileError && /not in block B2/.test(e.message));
  });
});

describe('actuator profiles', () => {
  test('APC, Raritan, ServerTech and Eaton PDU profiles carry outlet control in one table, several outlets a SET', () => {
    const switched = profileNames().filter((n) => loadProfile(n).outletControl !== undefined);
    assert.deepEqual(switched, ['apc-rpdu2', 'eaton-epdu', 'raritan-px2', 'servertech-sentry4']);
    for (const name of switched) {
      const c = loadProfile(name).outletControl!;
      const entry = (oid: string) => oid.slice(0, oid.lastIndexOf('.'));
      assert.equal(entry(c.on.oid), entry(c.state.oid), `${name}: command and state in one table`);
      assert.ok(c.maxOutletsPerSet > 1, name);
      assert.notEqual(c.state.on, c.state.off, name);
    }
  });

  test('the generic relay profile loads', () => {
    const p = loadRelayProfile('generic-coils');
    assert.equal(p.maxCoilsPerWrite, 1968);
    assert.equal(p.onValue, true);
    assert.throws(() => loadRelayProfile('no-such-relay'), /no-such-relay/);
  });
});
