// Register images of simulated devices, one per profile, with the values each profile must
// decode to. Raw values are chosen per register type; one register per device holds its
// "not available" pattern so the test sees it come back missing.
import { applyPowerOfTen } from '../../agents/drivers/modbus/decode.ts';
import { WIDTH, atSunSpecBase, byteOrderOf, type ModbusProfile, type RegisterDef } from '../../agents/drivers/modbus/profile.ts';
import { planReads } from '../../agents/drivers/modbus/read.ts';
import { SUNS_MARKER } from '../../agents/drivers/modbus/sunspec.ts';
import { patternWords, wireWords } from './modbus-encode.ts';
import type { UnitTables } from './modbus-server.ts';

export interface SimulatedDevice {
  name: string;
  unitId: number;
  expected: Record<string, number>;
  /** Metric whose register holds a not-available value. */
  sentinelMetric: string | undefined;
}

/** SunSpec scale factors served by the simulated SunSpec devices. */
export const SUNSPEC_SF: Record<string, number> = { A_SF: -2, V_SF: -1, Hz_SF: -2, W_SF: 1, VA_SF: 0, VAR_SF: 0, PF_SF: -1, TotWh_SF: 3 };

export function rawFor(def: RegisterDef, i: number): number | bigint {
  switch (def.type) {
    case 'float32':
    case 'float64':
      return 100 + i + 0.25;
    case 'int16':
      return (i % 2 === 0 ? 1 : -1) * (100 + 7 * i);
    case 'uint16':
      return 100 + 7 * i;
    case 'int32':
      return -(70_000 + 13 * i);
    case 'uint32':
      return 70_000 + 13 * i;
    case 'int64':
    case 'uint64':
      return 2n ** 40n + BigInt(i);
  }
}

function sentinelPattern(def: RegisterDef, profile: ModbusProfile): number | string | undefined {
  if (def.type === 'float32') return 0x7fc00000;
  if (def.type === 'float64') return '0x7FF8000000000000';
  const list = def.notAvailable ?? profile.notAvailable?.[def.type];
  return list?.[0];
}

const tables = (): UnitTables => ({ holding: new Map(), input: new Map() });

function put(t: UnitTables, fn: RegisterDef['function'], wire: number, words: number[]): void {
  const table = fn === 'holding' ? t.holding : t.input;
  words.forEach((w, k) => table.set(wire + k, w));
}

/** Writes a (wire-addressed) profile's registers into `t`, gaps of each planned block included. */
function writeProfile(t: UnitTables, profile: ModbusProfile, sf: Record<string, number>): Pick<SimulatedDevice, 'expected' | 'sentinelMetric'> {
  for (const block of planReads(profile)) {
    for (let a = block.start; a < block.start + block.count; a++) put(t, block.function, a, [0]);
  }
  for (const s of profile.scaleFactors ?? []) put(t, s.function, s.register - profile.addressBase, wireWords(sf[s.name] ?? 0, 'int16', 'ABCD'));
  const expected: Record<string, number> = {};
  const candidates = profile.registers.filter((d) => d.metric !== 'power_w' && sentinelPattern(d, profile) !== undefined);
  const sentinel = candidates[candidates.length - 1];
  profile.registers.forEach((def, i) => {
    const wire = def.register - profile.addressBase;
    if (def === sentinel) {
      const pattern = sentinelPattern(def, profile) as number | string;
      put(t, def.function, wire, reorder(patternWords(pattern, WIDTH[def.type]), def, profile));
      return;
    }
    const raw = rawFor(def, i);
    put(t, def.function, wire, wireWords(raw, def.type, byteOrderOf(def, profile)));
    const exponent = def.scaleFactor === undefined ? 0 : sf[def.scaleFactor];
    if (exponent !== undefined) expected[def.metric] = applyPowerOfTen(Number(raw) * def.scale, exponent);
  });
  return { expected, sentinelMetric: sentinel?.metric };
}

function reorder(bigWords: number[], def: RegisterDef, profile: ModbusProfile): number[] {
  const order = byteOrderOf(def, profile);
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const words = order === 'CDAB' || order === 'DCBA' ? [...bigWords].reverse() : bigWords;
  return words.map((w) => (swapBytes ? ((w & 0xff) << 8) | (w >> 8) : w));
}

/** A SunSpec device: marker at `base`, then the given models (model 1 first), then the end model. */
function writeSunSpec(t: UnitTables, base: number, models: Array<{ id: number; length: number; profile?: ModbusProfile }>, sf: Record<string, number>) {
  put(t, 'holding', base, [...SUNS_MARKER]);
  let start = base + 2;
  const results: Array<{ profile: ModbusProfile; result: ReturnType<typeof writeProfile> }> = [];
  for (const m of models) {
    for (let a = start; a < start + 2 + m.length; a++) put(t, 'holding', a, [0]);
    put(t, 'holding', start, [m.id, m.length]);
    if (m.profile !== undefined) results.push({ profile: m.profile, result: writeProfile(t, atSunSpecBase(m.profile, start), sf) });
    start += 2 + m.length;
  }
  put(t, 'holding', start, [0xffff, 0]);
  return results;
}

/** Every profile on its own unit id; SunSpec profiles on SunSpec devices with a model chain. */
export function buildDevices(profiles: Map<string, ModbusProfile>): { units: Map<number, UnitTables>; devices: SimulatedDevice[] } {
  const units = new Map<number, UnitTables>();
  const devices: SimulatedDevice[] = [];
  let unitId = 1;
  for (const [name, profile] of profiles) {
    const t = tables();
    if (profile.sunspec === undefined) {
      devices.push({ name, unitId, ...writeProfile(t, profile, {}) });
    } else {
      // Alternate marker addresses so discovery is exercised at 40000 and 50000; model 1
      // (common, length 66) comes first as on real devices.
      const base = unitId % 2 === 0 ? 40000 : 50000;
      const [only] = writeSunSpec(t, base, [{ id: 1, length: 66 }, { id: profile.sunspec.model, length: profile.sunspec.length, profile }], SUNSPEC_SF);
      if (only === undefined) throw new Error(`no SunSpec model written for ${name}`);
      devices.push({ name, unitId, ...only.result });
    }
    units.set(unitId, t);
    unitId++;
  }
  return { units, devices };
}
