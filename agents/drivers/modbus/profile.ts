import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { check } from '../../../services/domain/schema.ts';
import { Strict } from '../../../services/lib/strict.ts';
import { ContextError, wrap } from '../../../services/lib/errors.ts';

/**
 * A Modbus device profile: a declarative register map (agents/profiles/modbus/<name>.yaml)
 * that the generic engine in read.ts reads and decodes. Validated once at load; unknown keys
 * are rejected.
 */
export const RegisterType = Type.Union([
  Type.Literal('int16'),
  Type.Literal('uint16'),
  Type.Literal('int32'),
  Type.Literal('uint32'),
  Type.Literal('int64'),
  Type.Literal('uint64'),
  Type.Literal('float32'),
  Type.Literal('float64'),
]);
export type RegisterType = Static<typeof RegisterType>;

/** big: the high word comes first (Modbus convention); little: the low word first. */
export const WordOrder = Type.Union([Type.Literal('big'), Type.Literal('little')]);
export type WordOrder = Static<typeof WordOrder>;

/**
 * Byte order of a multi-register value, letters naming the bytes most significant first as they
 * arrive: ABCD big-endian (= wordOrder big), CDAB low word first (= wordOrder little), BADC bytes
 * swapped in each word, DCBA fully little-endian. For 64-bit values the pattern extends per word.
 */
export const ByteOrder = Type.Union([Type.Literal('ABCD'), Type.Literal('CDAB'), Type.Literal('BADC'), Type.Literal('DCBA')]);
export type ByteOrder = Static<typeof ByteOrder>;

/** A SunSpec-style scale factor name: W_SF, TotWh_SF. */
const ScaleFactorName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$' });

/** A raw register value meaning "not available": a number, or a string for 64-bit values ("0x8000000000000000"). */
const RawValue = Type.Union([Type.Integer(), Type.String({ pattern: '^(0x[0-9A-Fa-f]+|-?\\d+)$' })]);

export const RegisterDef = Strict({
  /** Reading metric name, snake_case ending in its unit: power_w, voltage_an_v, frequency_hz. */
  metric: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
  /**
   * Register number in the profile's `addressBase` (wire address = register − addressBase); in a
   * SunSpec profile, the offset from the model's ID register.
   */
  register: Type.Integer({ minimum: 0, maximum: 65535 }),
  function: Type.Union([Type.Literal('holding'), Type.Literal('input')], { default: 'holding' }),
  type: RegisterType,
  wordOrder: Type.Optional(WordOrder),
  byteOrder: Type.Optional(ByteOrder),
  /** metric = raw × scale × 10^scaleFactor (e.g. scale 1000 for a kW register read into power_w). */
  scale: Type.Number({ default: 1 }),
  /** Name of an entry in the profile's `scaleFactors` whose register holds a power-of-ten exponent. */
  scaleFactor: Type.Optional(ScaleFactorName),
  /** Unit of the metric after scaling: W, Wh, V, A, Hz, var, VA, %, C, rpm, s, or "" (none). */
  unit: Type.String(),
  notAvailable: Type.Optional(Type.Array(RawValue)),
  description: Type.Optional(Type.String()),
});
export type RegisterDef = Static<typeof RegisterDef>;

/** A register holding a signed int16 power of ten (SunSpec `*_SF`); 0x8000 means not implemented. */
export const ScaleFactorDef = Strict({
  name: ScaleFactorName,
  register: Type.Integer({ minimum: 0, maximum: 65535 }),
  function: Type.Union([Type.Literal('holding'), Type.Literal('input')], { default: 'holding' }),
});
export type ScaleFactorDef = Static<typeof ScaleFactorDef>;

export const ModbusProfile = Strict({
  make: Type.String({ minLength: 1 }),
  model: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  wordOrder: Type.Union([Type.Literal('big'), Type.Literal('little')], { default: 'big' }),
  /** Overrides wordOrder for the whole profile when given. */
  byteOrder: Type.Optional(ByteOrder),
  /** 0: register numbers are wire addresses; 1: the manual counts from 1 (wire = register − 1). */
  addressBase: Type.Union([Type.Literal(0), Type.Literal(1)], { default: 0 }),
  /**
   * A SunSpec model profile: register numbers are offsets from the model's ID register, found at
   * run time by walking the model chain (sunspec.ts), and the model must have at least `length`.
   */
  sunspec: Type.Optional(Strict({ model: Type.Integer({ minimum: 1, maximum: 65534 }), length: Type.Integer({ minimum: 1, maximum: 65535 }) })),
  scaleFactors: Type.Optional(Type.Array(ScaleFactorDef)),
  /** Registers this close together are read in one request, gap included. */
  maxGapRegisters: Type.Integer({ minimum: 0, maximum: 120, default: 16 }),
  /** Longest single read (Modbus allows 125). */
  maxBlockRegisters: Type.Integer({ minimum: 1, maximum: 125, default: 125 }),
  /** Per-type raw values that mean "not available" on this make, applied to every register. */
  notAvailable: Type.Optional(
    Strict({
      int16: Type.Optional(Type.Array(RawValue)),
      uint16: Type.Optional(Type.Array(RawValue)),
      int32: Type.Optional(Type.Array(RawValue)),
      uint32: Type.Optional(Type.Array(RawValue)),
      int64: Type.Optional(Type.Array(RawValue)),
      uint64: Type.Optional(Type.Array(RawValue)),
    }),
  ),
  registers: Type.Array(RegisterDef, { minItems: 1 }),
});
export type ModbusProfile = Static<typeof ModbusProfile>;

export const WIDTH: Record<RegisterType, number> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

const UNIT_SUFFIX: Record<string, string> = {
  W: 'w',
  Wh: 'wh',
  V: 'v',
  A: 'a',
  Hz: 'hz',
  var: 'var',
  VA: 'va',
  '%': 'pct',
  varh: 'varh',
  VAh: 'vah',
  C: 'c',
  rpm: 'rpm',
  s: 's',
};

export class ProfileError extends ContextError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_MODBUS_PROFILE', message, options);
    this.name = 'ProfileError';
  }
}

/** Validates a parsed profile; `what` names it in errors. Pure. */
export function parseProfile(value: unknown, what: string): ModbusProfile {
  let profile: ModbusProfile;
  try {
    profile = check(ModbusProfile, value, what);
  } catch (err) {
    throw new ProfileError(wrap('validating Modbus profile', err).message, { cause: err });
  }
  const problems: string[] = [];
  const metrics = new Set<string>();
  const used = new Map<string, string>();
  const claim = (fn: string, first: number, width: number, owner: string) => {
    if (first - profile.addressBase < 0) problems.push(`${owner}: register ${first} is below addressBase ${profile.addressBase}`);
    if (first + width > 65536) problems.push(`${owner}: ${width} registers at ${first} run past register 65535`);
    for (let a = first; a < first + width; a++) {
      const key = `${fn}:${a}`;
      const other = used.get(key);
      if (other !== undefined) problems.push(`${owner}: ${fn} register ${a} is also used by ${other}`);
      used.set(key, owner);
    }
  };
  const sfNames = new Set<string>();
  for (const sf of profile.scaleFactors ?? []) {
    if (sfNames.has(sf.name)) problems.push(`scale factor ${sf.name}: defined twice`);
    sfNames.add(sf.name);
    claim(sf.function, sf.register, 1, sf.name);
  }
  for (const r of profile.registers) {
    if (r.scaleFactor !== undefined && !sfNames.has(r.scaleFactor)) problems.push(`${r.metric}: scale factor ${r.scaleFactor} is not in scaleFactors`);
    if (r.wordOrder !== undefined && r.byteOrder !== undefined) problems.push(`${r.metric}: give wordOrder or byteOrder, not both`);
    if (profile.sunspec !== undefined && r.register + WIDTH[r.type] > profile.sunspec.length + 2) problems.push(`${r.metric}: offset ${r.register} is past the end of SunSpec model ${profile.sunspec.model} (length ${profile.sunspec.length})`);
    if (metrics.has(r.metric)) problems.push(`${r.metric}: defined twice`);
    metrics.add(r.metric);
    if (r.unit !== '') {
      const suffix = UNIT_SUFFIX[r.unit];
      if (suffix === undefined) problems.push(`${r.metric}: unknown unit "${r.unit}" (one of ${Object.keys(UNIT_SUFFIX).join(', ')} or "")`);
      else if (!r.metric.endsWith(`_${suffix}`)) problems.push(`${r.metric}: a metric in ${r.unit} must end in _${suffix}`);
    }
    claim(r.function, r.register, WIDTH[r.type], r.metric);
  }
  if (problems.length > 0) throw new ProfileError(`${what}: ${problems.join('; ')}`);
  return profile;
}

export function parseProfileYaml(text: string, what: string): ModbusProfile {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new ProfileError(wrap(`parsing ${what}`, err).message, { cause: err });
  }
  return parseProfile(value, what);
}

/** The byte order a register is decoded with: its own, else the profile's. */
export function byteOrderOf(def: RegisterDef, profile: ModbusProfile): ByteOrder {
  if (def.byteOrder !== undefined) return def.byteOrder;
  if (def.wordOrder !== undefined) return def.wordOrder === 'big' ? 'ABCD' : 'CDAB';
  return profile.byteOrder ?? (profile.wordOrder === 'big' ? 'ABCD' : 'CDAB');
}

/**
 * A SunSpec model profile with its offsets turned into wire addresses, the model's ID register
 * being at `modelStart`. Pure; the result is an ordinary profile.
 */
export function atSunSpecBase(profile: ModbusProfile, modelStart: number): ModbusProfile {
  if (profile.sunspec === undefined) throw new ProfileError(`${profile.make} ${profile.model} is not a SunSpec model profile`);
  const { sunspec: _model, ...rest } = profile;
  const rebased: ModbusProfile = {
    ...rest,
    addressBase: 0,
    registers: profile.registers.map((r) => ({ ...r, register: modelStart + r.register })),
  };
  if (profile.scaleFactors !== undefined) rebased.scaleFactors = profile.scaleFactors.map((sf) => ({ ...sf, register: modelStart + sf.register }));
  return rebased;
}

export const PROFILE_DIR = fileURLToPath(new URL('../../profiles/modbus/', import.meta.url));

/** The profile named `name` (file <dir>/<name>.yaml). */
export function loadProfile(name: string, dir = PROFILE_DIR): ModbusProfile {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new ProfileError(`"${name}" is not a profile name (lower-case letters, digits, . _ -)`);
  const path = `${dir.replace(/\/?$/, '/')}${name}.yaml`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProfileError(wrap(`reading Modbus profile ${path}`, err).message, { cause: err });
  }
  return parseProfileYaml(text, path);
}

export function profileNames(dir = PROFILE_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}
