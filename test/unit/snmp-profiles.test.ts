import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeValue, mapProfile, planRead, rowLabel } from '../../agents/drivers/snmp/map.ts';
import { loadProfile, parseProfile, profileNames, SnmpProfileError, type SnmpProfile } from '../../agents/drivers/snmp/profile.ts';
import { toReading } from '../../agents/drivers/snmp/read.ts';
import { Tag, type Varbind } from '../../agents/drivers/snmp/varbind.ts';
import { check } from '../../services/domain/schema.ts';
import { Reading } from '../../services/agent-contract/batch-schema.ts';

const int = (oid: string, value: number): Varbind => ({ oid, type: Tag.Integer, value });
const gauge = (oid: string, value: number): Varbind => ({ oid, type: Tag.Gauge32, value });

describe('SNMP profiles', () => {
  test('every profile in agents/profiles/snmp loads, validates and plans a read', () => {
    const names = profileNames();
    assert.ok(names.length >= 8, `only ${names.length} profiles`);
    const problems: string[] = [];
    for (const name of names) {
      try {
        const profile = loadProfile(name);
        const plan = planRead(profile);
        if (plan.get.length + plan.walk.length === 0) problems.push(`${name}: reads nothing`);
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    assert.deepEqual(problems, []);
  });

  test('unknown keys, bad units and duplicate OIDs are rejected with the profile named', () => {
    const base = { make: 'X', model: 'Y', mib: 'M', kind: 'pdu' };
    assert.throws(() => parseProfile({ ...base, scalars: [{ metric: 'power_w', oid: '1.3.6.1.4.1.1.0', type: 'integer', unit: 'W', scal: 2 }] }, 'x.yaml'), /x\.yaml.*unknown key "scal"/);
    assert.throws(() => parseProfile({ ...base, scalars: [{ metric: 'power', oid: '1.3.6.1.4.1.1.0', type: 'integer', unit: 'W' }] }, 'x.yaml'), /must end in _w/);
    assert.throws(
      () =>
        parseProfile(
          { ...base, scalars: [{ metric: 'power_w', oid: '1.3.6.1.4.1.1.0', type: 'integer', unit: 'W' }, { metric: 'energy_wh', oid: '1.3.6.1.4.1.1.0', type: 'integer', unit: 'Wh' }] },
          'x.yaml',
        ),
      (err: unknown) => err instanceof SnmpProfileError && /also used by power_w/.test(err.message),
    );
  });
});

describe('varbinds → metrics (pure)', () => {
  const profile = parseProfile(
    {
      make: 'Test',
      model: 'T',
      mib: 'TEST-MIB',
      kind: 'pdu',
      scalars: [
        { metric: 'current_a', oid: '1.3.6.1.4.1.9.1.1.1', scaleDigitsOid: '1.3.6.1.4.1.9.2.1.1', type: 'gauge', unit: 'A' },
        { metric: 'power_w', oid: '1.3.6.1.4.1.9.3.0', type: 'integer', unit: 'W', scale: 10 },
        { metric: 'energy_wh', oid: '1.3.6.1.4.1.9.4.0', type: 'integer', unit: 'Wh', scale: 100 },
        { metric: 'voltage_v', oid: '1.3.6.1.4.1.9.5.0', type: 'integer', unit: 'V' },
        { metric: 'runtime_s', oid: '1.3.6.1.4.1.9.6.0', type: 'timeticks', unit: 's', scale: 0.01 },
      ],
      tables: [
        { name: 'input', indexBase: [0, 1], columns: [{ metric: 'current_a', oid: '1.3.6.1.4.1.9.10.1.4', type: 'integer', unit: 'A', scale: 0.001 }] },
        { name: 'outlet', columns: [{ metric: 'on', oid: '1.3.6.1.4.1.9.11.1.5', type: 'integer', unit: '', map: { '1': 0, '2': 1 } }] },
      ],
    },
    'test profile',
  );

  test('the scale comes from a decimal-digits OID (Raritan: value × 10^-digits)', () => {
    const r = mapProfile(profile, [gauge('1.3.6.1.4.1.9.1.1.1', 12345), gauge('1.3.6.1.4.1.9.2.1.1', 3)], new Map());
    assert.equal(r.metrics.current_a, 12.345);
  });

  test('constant scales, tidy decimals, TimeTicks in seconds', () => {
    const r = mapProfile(profile, [int('1.3.6.1.4.1.9.3.0', 312), int('1.3.6.1.4.1.9.4.0', 48213), { oid: '1.3.6.1.4.1.9.6.0', type: Tag.TimeTicks, value: 216000 }], new Map());
    assert.equal(r.metrics.power_w, 3120);
    assert.equal(r.metrics.energy_wh, 4821300);
    assert.equal(r.metrics.runtime_s, 2160);
  });

  test('-1, noSuchObject, noSuchInstance and endOfMibView are missing metrics, never numbers', () => {
    const r = mapProfile(
      profile,
      [
        int('1.3.6.1.4.1.9.3.0', -1),
        { oid: '1.3.6.1.4.1.9.4.0', type: Tag.NoSuchObject, value: null },
        { oid: '1.3.6.1.4.1.9.5.0', type: Tag.NoSuchInstance, value: null },
        { oid: '1.3.6.1.4.1.9.6.0', type: Tag.EndOfMibView, value: null },
      ],
      new Map(),
    );
    assert.equal(r.metrics.power_w, undefined);
    assert.equal(r.metrics.energy_wh, undefined);
    assert.equal(r.metrics.voltage_v, undefined);
    assert.equal(r.metrics.runtime_s, undefined);
    assert.deepEqual(r.missing.sort(), ['energy_wh', 'power_w', 'runtime_s', 'voltage_v']);
  });

  test('a table with index base 0 (Eaton unit 0) numbers its rows from 1', () => {
    const walked = new Map([['1.3.6.1.4.1.9.10.1.4', [int('1.3.6.1.4.1.9.10.1.4.0.1', 6106), int('1.3.6.1.4.1.9.10.1.4.1.1', 5000)]]]);
    const r = mapProfile(profile, [], walked);
    assert.equal(r.metrics.input_1_1_current_a, 6.106);
    assert.equal(r.metrics.input_2_1_current_a, 5);
    const table = profile.tables[0];
    assert.ok(table);
    assert.equal(rowLabel(table, [0, 1]), '1_1');
    assert.equal(rowLabel(table, [0]), undefined, 'an index of the wrong length is no row');
  });

  test('enumerations map to numbers; an unknown state is a failure, not a value', () => {
    const walked = new Map([['1.3.6.1.4.1.9.11.1.5', [int('1.3.6.1.4.1.9.11.1.5.1', 2), int('1.3.6.1.4.1.9.11.1.5.2', 1), int('1.3.6.1.4.1.9.11.1.5.3', 7)]]]);
    const r = mapProfile(profile, [], walked);
    assert.equal(r.metrics.outlet_1_on, 1);
    assert.equal(r.metrics.outlet_2_on, 0);
    assert.equal(r.metrics.outlet_3_on, undefined);
    assert.match(r.failures.join('\n'), /outlet_3_on: .*value 7 is not one of 1, 2/);
  });

  test('a varbind of the wrong type is a failure naming the OID', () => {
    const def = profile.scalars[1];
    assert.ok(def);
    const d = decodeValue(def, { oid: '1.3.6.1.4.1.9.3.0', type: Tag.OctetString, value: Buffer.from('x') }, 'none', [-1]);
    assert.deepEqual(d, { failure: '1.3.6.1.4.1.9.3.0: expected integer, got OctetString' });
  });

  test('missing decimal digits make the metric a failure, not an unscaled number', () => {
    const r = mapProfile(profile, [gauge('1.3.6.1.4.1.9.1.1.1', 12345)], new Map());
    assert.equal(r.metrics.current_a, undefined);
    assert.match(r.failures.join('\n'), /current_a: .*no decimal-digits value/);
  });

  test('a reading is a valid batch Reading; an unreachable device is offline with no metrics', () => {
    const p: SnmpProfile = profile;
    const online = toReading('pdu-1', p, 1000, { metrics: { power_w: 3120 }, labels: {}, missing: ['energy_wh'], failures: [] });
    check(Reading, online, 'reading');
    assert.equal(online.status, 'online');
    const offline = toReading('pdu-1', p, 1000, new Error('reading test at 127.0.0.1:1: no reply'));
    check(Reading, offline, 'reading');
    assert.equal(offline.status, 'offline');
    assert.deepEqual(offline.metrics, {});
  });
});
