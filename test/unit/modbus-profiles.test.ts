import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { decodeRegister, decodeScaleFactor } from '../../agents/drivers/modbus/decode.ts';
import { resolveProfile } from '../../agents/drivers/modbus/device.ts';
import { WIDTH, atSunSpecBase, loadProfile, parseProfile, profileNames, type ByteOrder, type ModbusProfile, type RegisterDef, type RegisterType } from '../../agents/drivers/modbus/profile.ts';
import { planReads, readProfile, type RegisterReader } from '../../agents/drivers/modbus/read.ts';
import { discoverSunSpec } from '../../agents/drivers/modbus/sunspec.ts';
import { wireWords } from '../support/modbus-encode.ts';
import { requireFixtures } from '../support/fixtures.ts';

const FIXTURES = resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/fixtures/modbus');
const fixtureSkip = requireFixtures(FIXTURES);

test('every profile in agents/profiles/modbus loads, validates and plans within Modbus limits', () => {
  const names = profileNames();
  assert.ok(names.length >= 9, `only ${names.length} profiles`);
  const problems: string[] = [];
  for (const name of names) {
    try {
      const loaded = loadProfile(name);
      const profile = loaded.sunspec === undefined ? loaded : atSunSpecBase(loaded, 40002);
      const plan = planReads(profile);
      for (const b of plan) if (b.count < 1 || b.count > 125) problems.push(`${name}: ${b.function} ${b.start}+${b.count}`);
      const planned = plan.reduce((n, b) => n + b.defs.length, 0);
      if (planned !== profile.registers.length) problems.push(`${name}: ${planned} of ${profile.registers.length} registers planned`);
      if (!profile.registers.some((r) => r.metric === 'power_w')) problems.push(`${name}: no power_w`);
      if (!profile.registers.some((r) => r.metric === 'frequency_hz')) problems.push(`${name}: no frequency_hz`);
      // Each register line carries a trailing comment with its type and unit.
      const text = readFileSync(fileURLToPath(new URL(`../../agents/profiles/modbus/${name}.yaml`, import.meta.url)), 'utf8');
      for (const line of text.split('\n').filter((l) => l.trimStart().startsWith('- { metric:'))) {
        if (!/\}\s+#\s*\S/.test(line)) problems.push(`${name}: no trailing comment on ${line.trim()}`);
      }
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  assert.deepEqual(problems, []);
});

function csvRows(file: string, meter: string): string[][] {
  return readFileSync(resolve(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${meter},`))
    .map((l) => l.split(','));
}

/** The profile's definition of `metric`, with the register it is read at on the wire. */
function wire(profile: ModbusProfile, metric: string): RegisterDef & { wire: number } {
  const def = profile.registers.find((r) => r.metric === metric);
  assert.ok(def, `${profile.model}: no ${metric}`);
  return { ...def, wire: def.register - profile.addressBase };
}

describe('profiles match the fixture register maps', { skip: fixtureSkip }, () => {
  // mbmd measurement name → our metric.
  const MBMD: Record<string, string> = {
    VoltageL1: 'voltage_an_v', VoltageL2: 'voltage_bn_v', VoltageL3: 'voltage_cn_v',
    CurrentL1: 'current_a_a', CurrentL2: 'current_b_a', CurrentL3: 'current_c_a',
    PowerL1: 'power_a_w', PowerL2: 'power_b_w', PowerL3: 'power_c_w', Power: 'power_w',
    ApparentPowerL1: 'apparent_power_a_va', ApparentPowerL2: 'apparent_power_b_va', ApparentPowerL3: 'apparent_power_c_va', ApparentPower: 'apparent_power_va',
    ReactivePowerL1: 'reactive_power_a_var', ReactivePowerL2: 'reactive_power_b_var', ReactivePowerL3: 'reactive_power_c_var', ReactivePower: 'reactive_power_var',
    CosphiL1: 'power_factor_a', CosphiL2: 'power_factor_b', CosphiL3: 'power_factor_c', Cosphi: 'power_factor',
    Frequency: 'frequency_hz', Import: 'energy_wh', Export: 'energy_export_wh',
    ImportL1: 'energy_a_wh', ImportL2: 'energy_b_wh', ImportL3: 'energy_c_wh',
  };
  const cases: Array<[string, string, Record<string, string>]> = [
    ['eastron-sdm630', 'Eastron SDM630', {}],
    ['siemens-pac2200', 'Siemens SENTRON PAC2200', {}],
    // Janitza's cos(phi) is the displacement power factor.
    ['janitza-umg604', 'Janitza B-series/UMG', { CosphiL1: 'displacement_power_factor_a', CosphiL2: 'displacement_power_factor_b', CosphiL3: 'displacement_power_factor_c' }],
    ['janitza-umg96rm', 'Janitza B-series/UMG', { CosphiL1: 'displacement_power_factor_a', CosphiL2: 'displacement_power_factor_b', CosphiL3: 'displacement_power_factor_c' }],
  ];
  for (const [name, meter, renames] of cases) {
    test(`${name}: every register is where mbmd reads it, same function and type`, () => {
      const profile = loadProfile(name);
      const rows = csvRows('mbmd_register_maps_derived.csv', meter);
      assert.ok(rows.length > 0);
      let checked = 0;
      for (const row of rows) {
        const [, , measurement = '', address = '', , fc = '', type = ''] = row;
        const metric = renames[measurement] ?? MBMD[measurement];
        if (metric === undefined || !profile.registers.some((r) => r.metric === metric)) continue;
        const def = wire(profile, metric);
        assert.equal(def.wire, Number(address), `${metric} (${measurement})`);
        assert.equal(def.function, fc.startsWith('FC04') ? 'input' : 'holding', `${metric} function`);
        assert.equal(def.type, type.startsWith('float64') ? 'float64' : 'float32', `${metric} type`);
        checked++;
      }
      for (const r of profile.registers) assert.ok(rows.some((row) => (renames[row[2] ?? ''] ?? MBMD[row[2] ?? '']) === r.metric), `${r.metric} is not in the fixture`);
      assert.equal(checked, profile.registers.length);
    });
  }

  test('schneider-pm5xxx: register numbers as in the PM5340 map, one-based', () => {
    const profile = loadProfile('schneider-pm5xxx');
    assert.equal(profile.addressBase, 1);
    const rows = csvRows('tether_register_maps_derived.csv', 'Schneider PowerLogic PM5340');
    const byField = new Map(rows.map((r) => [r[3] ?? '', Number(r[4])]));
    const rename: Record<string, string> = { power_a_w: 'active_power_a_w', power_b_w: 'active_power_b_w', power_c_w: 'active_power_c_w', power_w: 'active_power_total_w', reactive_power_var: 'reactive_power_total_var', apparent_power_va: 'apparent_power_total_va', power_factor: 'power_factor_total' };
    let checked = 0;
    for (const def of profile.registers) {
      const field = rename[def.metric] ?? def.metric.replace(/^voltage_([abc])([abcn])_v$/, 'voltage_$1_$2_v').replace(/_(ll|ln)_avg_v$/, (_, p: string) => `_${p[0]}_${p[1]}_avg_v`);
      const register = byField.get(field);
      if (register === undefined) continue; // energies: not in Tether's map
      assert.equal(def.register, register, `${def.metric} (${field})`);
      assert.equal(def.type, 'float32');
      checked++;
    }
    assert.equal(checked, profile.registers.length - 2);
  });

  // SunSpec point name → our metric; scale factors are taken from the model JSON.
  const SUNSPEC: Record<string, string> = {
    A: 'current_total_a', AphA: 'current_a_a', AphB: 'current_b_a', AphC: 'current_c_a',
    PhV: 'voltage_ln_avg_v', PhVphA: 'voltage_an_v', PhVphB: 'voltage_bn_v', PhVphC: 'voltage_cn_v',
    PPV: 'voltage_ll_avg_v', PhVphAB: 'voltage_ab_v', PhVphBC: 'voltage_bc_v', PhVphCA: 'voltage_ca_v',
    PPVphAB: 'voltage_ab_v', PPVphBC: 'voltage_bc_v', PPVphCA: 'voltage_ca_v',
    Hz: 'frequency_hz', W: 'power_w', WphA: 'power_a_w', WphB: 'power_b_w', WphC: 'power_c_w',
    VA: 'apparent_power_va', VAR: 'reactive_power_var',
    PF: 'power_factor', PFphA: 'power_factor_a', PFphB: 'power_factor_b', PFphC: 'power_factor_c',
    TotWhExp: 'energy_export_wh', TotWhImp: 'energy_wh',
  };
  const SUNSPEC_TYPE: Record<string, RegisterType> = { int16: 'int16', uint16: 'uint16', acc32: 'uint32', int32: 'int32', uint32: 'uint32', float32: 'float32' };
  for (const model of [203, 204, 213]) {
    test(`sunspec-${model}: offsets, types and scale factors match model_${model}.json`, () => {
      const profile = loadProfile(`sunspec-${model}`);
      const json = JSON.parse(readFileSync(resolve(FIXTURES, `sunspec/model_${model}.json`), 'utf8')) as {
        id: number;
        group: { points: Array<{ name: string; type: string; size: number; sf?: string }> };
      };
      assert.equal(profile.sunspec?.model, json.id);
      const points = new Map<string, { offset: number; type: string; size: number; sf?: string }>();
      let offset = 0;
      for (const p of json.group.points) {
        points.set(p.name, { offset, type: p.type, size: p.size, ...(p.sf ? { sf: p.sf } : {}) });
        offset += p.size;
      }
      assert.equal(profile.sunspec?.length, offset - 2, 'model length L');
      for (const sf of profile.scaleFactors ?? []) assert.equal(points.get(sf.name)?.offset, sf.register, `${sf.name} offset`);
      const seen = new Set<string>();
      for (const [name, p] of points) {
        const metric = SUNSPEC[name];
        if (metric === undefined) continue;
        const def = profile.registers.find((r) => r.metric === metric);
        assert.ok(def, `${name} → ${metric} missing`);
        seen.add(metric);
        assert.equal(def.register, p.offset, `${name} offset`);
        assert.equal(def.type, SUNSPEC_TYPE[p.type], `${name} type ${p.type}`);
        assert.equal(WIDTH[def.type], p.size, `${name} size`);
        assert.equal(def.scaleFactor, p.sf, `${name} scale factor`);
      }
      assert.deepEqual(profile.registers.filter((r) => !seen.has(r.metric)).map((r) => r.metric), []);
    });
  }
});

describe('decoding every type in every byte order', () => {
  const profile = parseProfile(
    {
      make: 'Test',
      model: 'T1',
      notAvailable: { int16: [0x8000], uint16: [0xffff], int32: [0x80000000], uint32: [0xffffffff], int64: ['0x8000000000000000'], uint64: ['0xFFFFFFFFFFFFFFFF'] },
      registers: [{ metric: 'power_w', register: 0, type: 'int16', unit: 'W' }],
    },
    'inline',
  );
  const def = (type: RegisterType, byteOrder: ByteOrder, extra: Partial<RegisterDef> = {}): RegisterDef => ({ metric: 'x_w', register: 0, function: 'holding', type, byteOrder, scale: 1, unit: 'W', ...extra });
  const VALUES: Record<RegisterType, number> = { int16: -12345, uint16: 54321, int32: -123456789, uint32: 3_456_789_012, int64: -1_234_567_890_123, uint64: 9_007_199_254_740_991, float32: -1234.5, float64: 123456.789012345 };
  const SENTINEL: Record<RegisterType, number[]> = {
    int16: [0x8000], uint16: [0xffff], int32: [0x8000, 0], uint32: [0xffff, 0xffff], int64: [0x8000, 0, 0, 0], uint64: [0xffff, 0xffff, 0xffff, 0xffff],
    float32: [0x7fc0, 0], float64: [0x7ff8, 0, 0, 0],
  };
  const ORDERS: ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

  test('known wire layouts: 0x12345678 as uint32', () => {
    assert.equal(decodeRegister([0x1234, 0x5678], 0, def('uint32', 'ABCD'), profile), 0x12345678);
    assert.equal(decodeRegister([0x5678, 0x1234], 0, def('uint32', 'CDAB'), profile), 0x12345678);
    assert.equal(decodeRegister([0x3412, 0x7856], 0, def('uint32', 'BADC'), profile), 0x12345678);
    assert.equal(decodeRegister([0x7856, 0x3412], 0, def('uint32', 'DCBA'), profile), 0x12345678);
    assert.equal(decodeRegister([0x3412], 0, def('uint16', 'BADC'), profile), 0x1234);
    assert.equal(decodeRegister([0x0000, 0x0001, 0x0002, 0x0003], 0, def('uint64', 'CDAB'), profile), 0x0003_0002_0001_0000 * 1);
  });

  for (const type of Object.keys(VALUES) as RegisterType[]) {
    for (const order of ORDERS) {
      test(`${type} ${order}: value round-trips, sentinel is missing`, () => {
        const words = [0xaaaa, ...wireWords(VALUES[type], type, order), 0xbbbb];
        const got = decodeRegister(words, 1, def(type, order), profile);
        if (type === 'float32') assert.equal(got, Math.fround(VALUES[type]));
        else assert.equal(got, VALUES[type]);
        // The sentinel is a pattern of the value, so it is put on the wire in the same order.
        const sentinel = wireWords(0, type, order).length === SENTINEL[type].length ? reorder(SENTINEL[type], order) : SENTINEL[type];
        assert.equal(decodeRegister(sentinel, 0, def(type, order), profile), undefined);
      });
    }
  }

  test('wordOrder little is CDAB; a register overrides the profile', () => {
    const little = parseProfile({ make: 'm', model: 'x', wordOrder: 'little', registers: [{ metric: 'a_w', register: 0, type: 'uint32', unit: 'W' }] }, 'inline');
    assert.equal(decodeRegister([0x5678, 0x1234], 0, little.registers[0] as RegisterDef, little), 0x12345678);
    const bytes = parseProfile({ make: 'm', model: 'x', byteOrder: 'DCBA', registers: [{ metric: 'a_w', register: 0, type: 'uint32', unit: 'W' }] }, 'inline');
    assert.equal(decodeRegister([0x7856, 0x3412], 0, bytes.registers[0] as RegisterDef, bytes), 0x12345678);
  });

  test('Infinity and NaN floats are missing; a register sentinel overrides the profile', () => {
    assert.equal(decodeRegister([0x7f80, 0], 0, def('float32', 'ABCD'), profile), undefined);
    assert.equal(decodeRegister([0xfff0, 0, 0, 0], 0, def('float64', 'ABCD'), profile), undefined);
    assert.equal(decodeRegister([0, 0], 0, def('uint32', 'ABCD', { notAvailable: [0] }), profile), undefined);
    assert.equal(decodeRegister([0xffff, 0xffff], 0, def('uint32', 'ABCD', { notAvailable: [0] }), profile), 0xffffffff);
  });

  test('scale constants and scale-factor exponents', () => {
    assert.equal(decodeRegister([2301], 0, def('int16', 'ABCD', { scale: 1 }), profile, -1), 230.1);
    assert.equal(decodeRegister([985], 0, def('int16', 'ABCD', { scale: 0.01 }), profile, -1), 0.985);
    assert.equal(decodeRegister([1234], 0, def('int16', 'ABCD'), profile, 2), 123400);
    assert.equal(decodeScaleFactor(0xfffe), -2);
    assert.equal(decodeScaleFactor(3), 3);
    assert.equal(decodeScaleFactor(0x8000), undefined);
    assert.equal(decodeScaleFactor(200), undefined);
  });
});

function reorder(bigWords: number[], order: ByteOrder): number[] {
  const words = order === 'CDAB' || order === 'DCBA' ? [...bigWords].reverse() : bigWords;
  return words.map((w) => (order === 'BADC' || order === 'DCBA' ? ((w & 0xff) << 8) | (w >> 8) : w));
}

describe('planning and reading', () => {
  test('addressBase 1 reads one register lower; scale factors join the blocks', () => {
    const p = parseProfile(
      {
        make: 'm',
        model: 'x',
        addressBase: 1,
        scaleFactors: [{ name: 'W_SF', register: 105 }],
        registers: [
          { metric: 'a_w', register: 101, type: 'int16', unit: 'W', scaleFactor: 'W_SF' },
          { metric: 'b_v', register: 3001, type: 'float32', unit: 'V', function: 'input' },
        ],
      },
      'inline',
    );
    assert.deepEqual(planReads(p).map((b) => `${b.function} ${b.start}+${b.count}`), ['holding 100+5', 'input 3000+2']);
    assert.deepEqual(planReads(p)[0]?.scaleFactors, [{ name: 'W_SF', offset: 4 }]);
  });

  test('bad scale-factor references, byte orders and addresses are refused', () => {
    const bad = (extra: Record<string, unknown>, reg: Record<string, unknown> = {}) => () =>
      parseProfile({ make: 'm', model: 'x', ...extra, registers: [{ metric: 'a_w', register: 0, type: 'int16', unit: 'W', ...reg }] }, 'bad.yaml');
    assert.throws(bad({}, { scaleFactor: 'W_SF' }), /scale factor W_SF is not in scaleFactors/);
    assert.throws(bad({ addressBase: 1 }), /below addressBase 1/);
    assert.throws(bad({}, { byteOrder: 'ABDC' }), /bad\.yaml/);
    assert.throws(bad({}, { byteOrder: 'ABCD', wordOrder: 'big' }), /not both/);
    assert.throws(bad({ scaleFactors: [{ name: 'W_SF', register: 0 }] }, { scaleFactor: 'W_SF' }), /register 0 is also used by W_SF/);
  });

  test('a scale factor reported as not implemented makes its metrics missing', async () => {
    const p = parseProfile(
      {
        make: 'm',
        model: 'x',
        scaleFactors: [{ name: 'W_SF', register: 2 }, { name: 'V_SF', register: 3 }],
        registers: [
          { metric: 'a_w', register: 0, type: 'int16', unit: 'W', scaleFactor: 'W_SF' },
          { metric: 'b_v', register: 1, type: 'int16', unit: 'V', scaleFactor: 'V_SF' },
        ],
      },
      'inline',
    );
    const reader: RegisterReader = { read: async () => [1234, 2301, 0x8000, 0xffff] };
    const reading = await readProfile(reader, 1, p, planReads(p));
    assert.deepEqual(reading.metrics, { b_v: 230.1 });
    assert.deepEqual(reading.missing, ['a_w']);
  });
});

describe('SunSpec discovery', () => {
  /** A device image as a reader; addresses it lacks answer with exception 2, as a device does. */
  const imageReader = (image: Map<number, number>): RegisterReader & { reads: string[] } => {
    const reads: string[] = [];
    return {
      reads,
      read: async (_unit, _fn, start, count) => {
        reads.push(`${start}+${count}`);
        const words: number[] = [];
        for (let a = start; a < start + count; a++) {
          const w = image.get(a);
          if (w === undefined) throw Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 });
          words.push(w);
        }
        return words;
      },
    };
  };
  const chain = (base: number, models: Array<[number, number]>): Map<number, number> => {
    const image = new Map<number, number>([
      [base, 0x5375],
      [base + 1, 0x6e53],
    ]);
    let at = base + 2;
    for (const [id, length] of models) {
      for (let a = at; a < at + 2 + length; a++) image.set(a, 0);
      image.set(at, id);
      image.set(at + 1, length);
      at += 2 + length;
    }
    image.set(at, 0xffff);
    image.set(at + 1, 0);
    return image;
  };

  test('finds the marker at 50000 after 40000 and 40001 refuse, and walks the chain', async () => {
    const reader = imageReader(chain(50000, [[1, 66], [203, 105], [213, 124]]));
    const map = await discoverSunSpec(reader, 1);
    assert.equal(map.base, 50000);
    assert.deepEqual(map.models, [
      { id: 1, start: 50002, length: 66 },
      { id: 203, start: 50070, length: 105 },
      { id: 213, start: 50177, length: 124 },
    ]);
    assert.deepEqual(reader.reads.slice(0, 3), ['40000+2', '40001+2', '50000+2']);
  });

  test('a SunSpec profile is planned at its model', async () => {
    const reader = imageReader(chain(40000, [[1, 66], [204, 105]]));
    const resolved = await resolveProfile(reader, 1, loadProfile('sunspec-204'));
    assert.equal(resolved.sunspecModelStart, 40070);
    assert.equal(resolved.plan[0]?.start, 40072);
  });

  test('a missing model names the models the device has', async () => {
    const reader = imageReader(chain(40000, [[1, 66], [101, 50]]));
    await assert.rejects(resolveProfile(reader, 1, loadProfile('sunspec-203')), /SunSpec model 203 not found \(device has 1, 101\)/);
  });

  test('no answer at all is not retried at every base', async () => {
    const reader: RegisterReader = { read: async () => Promise.reject(new Error('no reply within 100 ms')) };
    await assert.rejects(discoverSunSpec(reader, 1), /no reply within 100 ms/);
  });
});
