import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { check } from '../../../services/domain/schema.ts';
import { Strict } from '../../../services/domain/site-schema.ts';
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

/** A raw register value meaning "not available": a number, or a string for 64-bit values ("0x8000000000000000"). */
const RawValue = Type.Union([Type.Integer(), Type.String({ pattern: '^(0x[0-9A-Fa-f]+|-?\\d+)$' })]);

export const RegisterDef = Strict({
  /** Reading metric name, snake_case ending in its unit: power_w, voltage_an_v, frequency_hz. */
  metric: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
  /** Register address as sent on the wire. */
  register: Type.Integer({ minimum: 0, maximum: 65535 }),
  function: Type.Union([Type.Literal('holding'), Type.Literal('input')], { default: 'holding' }),
  type: RegisterType,
  wordOrder: Type.Optional(WordOrder),
  /** metric = raw × scale (e.g. 1000 for a kW register read into power_w). */
  scale: Type.Number({ default: 1 }),
  /** Unit of the metric after scaling: W, Wh, V, A, Hz, var, VA, %, C, rpm, s, or "" (none). */
  unit: Type.String(),
  notAvailable: Type.Optional(Type.Array(RawValue)),
  description: Type.Optional(Type.String()),
});
export type RegisterDef = Static<typeof RegisterDef>;

export const ModbusProfile = Strict({
  make: Type.String({ minLength: 1 }),
  model: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  wordOrder: Type.Union([Type.Literal('big'), Type.Literal('little')], { default: 'big' }),
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
  for (const r of profile.registers) {
    if (metrics.has(r.metric)) problems.push(`${r.metric}: defined twice`);
    metrics.add(r.metric);
    if (r.unit !== '') {
      const suffix = UNIT_SUFFIX[r.unit];
      if (suffix === undefined) problems.push(`${r.metric}: unknown unit "${r.unit}" (one of ${Object.keys(UNIT_SUFFIX).join(', ')} or "")`);
      else if (!r.metric.endsWith(`_${suffix}`)) problems.push(`${r.metric}: a metric in ${r.unit} must end in _${suffix}`);
    }
    const width = WIDTH[r.type];
    if (r.register + width > 65536) problems.push(`${r.metric}: ${r.type} at ${r.register} runs past register 65535`);
    for (let a = r.register; a < r.register + width; a++) {
      const key = `${r.function}:${a}`;
      const other = used.get(key);
      if (other !== undefined) problems.push(`${r.metric}: ${r.function} register ${a} is also used by ${other}`);
      used.set(key, r.metric);
    }
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
