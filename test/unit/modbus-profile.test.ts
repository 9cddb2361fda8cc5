import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { decodeRegister } from '../../agents/drivers/modbus/decode.ts';
import { loadProfile, parseProfile, profileNames, type ModbusProfile, type RegisterDef } from '../../agents/drivers/modbus/profile.ts';
import { planReads } from '../../agents/drivers/modbus/read.ts';
import { IMAGE_FIRST, RegisterImage, writePm5340 } from '../../simulations/site-twin/meter-registers.ts';
import { requireFixtures } from '../support/fixtures.ts';

describe('every Modbus profile in agents/profiles/modbus', () => {
  const names = profileNames();
  test('there is at least one', () => assert.ok(names.length > 0));
  for (const name of names) {
    test(`${name} loads, validates and plans reads within Modbus limits`, () => {
      const profile = loadProfile(name);
      const plan = planReads(profile);
      assert.ok(plan.length > 0);
      for (const block of plan) {
        assert.ok(block.count >= 1 && block.count <= 125, `${block.function} ${block.start}+${block.count}`);
        for (const { def, offset } of block.defs) assert.ok(offset >= 0 && offset < block.count, def.metric);
      }
      assert.equal(
        plan.reduce((n, b) => n + b.defs.length, 0),
        profile.registers.length,
        'every register is read exactly once',
      );
    });
  }
});

describe('twin-pm5340 follows the register map used at Tether sites', () => {
  const csv = resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/fixtures/modbus/tether_register_maps_derived.csv');
  test('every PM5340 register of the fixture is in the profile, as float32 holding', { skip: requireFixtures(csv) }, () => {
    const profile = loadProfile('twin-pm5340');
    const rows = readFileSync(csv, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Schneider PowerLogic PM5340,'))
      .map((l) => l.split(','));
    assert.equal(rows.length, 47);
    for (const row of rows) {
      const register = Number(row[4]);
      const def = profile.registers.find((r) => r.register === register);
      assert.ok(def, `register ${register} (${row[3]}) is missing`);
      assert.equal(def.type, 'float32');
      assert.equal(def.function, 'holding');
      assert.equal(def.scale, (row[8] ?? '').includes('* 1000') ? 1000 : 1, `scale of ${def.metric}`);
    }
  });

  test('what the twin writes decodes to what it meant', () => {
    const profile = loadProfile('twin-pm5340');
    const image = new RegisterImage();
    writePm5340(image, { powerW: 12_345_678, nominalVoltageLlV: 13_800, powerFactor: 0.99, frequencyHz: 59.98, energyWh: 987_654_321, seed: 1, nowMs: 0 });
    const words: number[] = [];
    for (let r = IMAGE_FIRST; image.has(r); r++) words.push(image.word(r));
    const value = (metric: string) => {
      const def = profile.registers.find((r) => r.metric === metric) as RegisterDef;
      return decodeRegister(words, def.register - IMAGE_FIRST, def, profile);
    };
    assert.ok(Math.abs((value('power_w') as number) - 12_345_678) < 2, 'float32 kW holds ~7 digits');
    assert.equal(value('energy_wh'), 987_654_321);
    assert.ok(Math.abs((value('frequency_hz') as number) - 59.98) < 1e-4);
    assert.ok(Math.abs((value('voltage_ll_avg_v') as number) - 13_800) / 13_800 < 0.01);
    const phases = (value('power_a_w') as number) + (value('power_b_w') as number) + (value('power_c_w') as number);
    assert.ok(Math.abs(phases - 12_345_678) < 10);
    // Register 3034 is not in the map: Schneider's NaN, which the engine drops.
    assert.equal(decodeRegister(words, 3034 - IMAGE_FIRST, { metric: 'x_v', register: 3034, function: 'holding', type: 'float32', scale: 1, unit: 'V' }, profile), undefined);
  });
});

describe('decoding', () => {
  const profile = parseProfile(
    {
      make: 'Test',
      model: 'T1',
      notAvailable: { int16: [0x8000], int64: ['0x8000000000000000'] },
      registers: [{ metric: 'power_w', register: 0, type: 'int16', unit: 'W' }],
    },
    'inline',
  );
  const def = (type: RegisterDef['type'], extra: Partial<RegisterDef> = {}): RegisterDef => ({
    metric: 'power_w',
    register: 0,
    function: 'holding',
    type,
    scale: 1,
    unit: 'W',
    ...extra,
  });

  test('defaults are filled: holding, big word order, scale 1', () => {
    assert.equal(profile.wordOrder, 'big');
    assert.equal(profile.registers[0]?.function, 'holding');
    assert.equal(profile.registers[0]?.scale, 1);
  });

  test('integers, scale and word order', () => {
    assert.equal(decodeRegister([0xfffe], 0, def('int16'), profile), -2);
    assert.equal(decodeRegister([0xfffe], 0, def('uint16', { scale: 0.5 }), profile), 32767);
    assert.equal(decodeRegister([0x0001, 0x0002], 0, def('uint32'), profile), 0x00010002);
    assert.equal(decodeRegister([0x0002, 0x0001], 0, def('uint32', { wordOrder: 'little' }), profile), 0x00010002);
    assert.equal(decodeRegister([0, 0, 0x0001, 0x0000], 0, def('int64'), profile), 65536);
    assert.equal(decodeRegister([0x4048, 0xf5c3], 0, def('float32'), profile)?.toFixed(2), '3.14');
  });

  test('NaN, Infinity and the not-available sentinels are missing, never a number', () => {
    assert.equal(decodeRegister([0xffc0, 0x0000], 0, def('float32'), profile), undefined);
    assert.equal(decodeRegister([0x7f80, 0x0000], 0, def('float32'), profile), undefined);
    assert.equal(decodeRegister([0x8000], 0, def('int16'), profile), undefined);
    assert.equal(decodeRegister([0x8000, 0, 0, 0], 0, def('int64'), profile), undefined);
    assert.equal(decodeRegister([0x1234], 0, def('uint16', { notAvailable: [0x1234] }), profile), undefined);
  });

  test('bad profiles are refused with every problem named', () => {
    const bad = (registers: unknown[], extra: Record<string, unknown> = {}) => () => parseProfile({ make: 'm', model: 'x', registers, ...extra }, 'bad.yaml');
    assert.throws(bad([{ metric: 'power_w', register: 1, type: 'float32', unit: 'V' }]), /must end in _v/);
    assert.throws(
      bad([
        { metric: 'power_w', register: 1, type: 'float32', unit: 'W' },
        { metric: 'voltage_v', register: 2, type: 'float32', unit: 'V' },
      ]),
      /register 2 is also used by power_w/,
    );
    assert.throws(bad([{ metric: 'power_w', register: 1, type: 'float16', unit: 'W' }]), /bad\.yaml/);
    assert.throws(bad([{ metric: 'power_w', register: 1, type: 'float32', unit: 'W', colour: 'red' }]), /unknown key "colour"/);
    assert.throws(bad([]), /registers/);
  });

  test('a profile name cannot leave the profile folder', () => {
    assert.throws(() => loadProfile('../../etc/passwd'), /not a profile name/);
  });

  test('reads are grouped across small gaps and split at the size limit', () => {
    const p: ModbusProfile = parseProfile(
      {
        make: 'm',
        model: 'x',
        maxGapRegisters: 4,
        maxBlockRegisters: 10,
        registers: [
          { metric: 'a_w', register: 100, type: 'float32', unit: 'W' },
          { metric: 'b_w', register: 105, type: 'float32', unit: 'W' },
          { metric: 'c_w', register: 120, type: 'float32', unit: 'W' },
          { metric: 'd_w', register: 128, type: 'float32', unit: 'W' },
          { metric: 'e_w', register: 100, type: 'float32', unit: 'W', function: 'input' },
        ],
      },
      'inline',
    );
    assert.deepEqual(
      planReads(p).map((b) => `${b.function} ${b.start}+${b.count}`),
      ['holding 100+7', 'holding 120+2', 'holding 128+2', 'input 100+2'],
    );
  });
});
