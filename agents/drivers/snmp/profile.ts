import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { check } from '../../../services/domain/schema.ts';
import { Strict } from '../../../services/lib/strict.ts';
import { ContextError, wrap } from '../../../services/lib/errors.ts';
import { SNMP_DEVICE_KINDS } from './kinds.ts';

/**
 * An SNMP device profile (agents/profiles/snmp/<make-model>.yaml): scalar OIDs and table
 * columns, each with its type, metric name and scale, that the generic engine reads and
 * map.ts turns into metrics. Validated once at load; unknown keys are rejected.
 */
const Oid = Type.String({ pattern: '^1(\\.(0|[1-9][0-9]*))+$' });
const MetricName = Type.String({ pattern: '^[a-z][a-z0-9_]*$' });
/** Raw values that mean "not supported on this model" (PowerNet, Sentry4 and Eaton use -1). */
const Unsupported = Type.Array(Type.Integer());

const valueFields = {
  metric: MetricName,
  type: Type.Union([Type.Literal('integer'), Type.Literal('gauge'), Type.Literal('counter'), Type.Literal('counter64'), Type.Literal('timeticks')]),
  /** Unit of the metric after scaling: W, Wh, V, A, Hz, VA, var, %, C, rpm, s, or "" (none). */
  unit: Type.String(),
  /** metric = raw × scale (0.1 for tenths of amps, 100 for tenths of kW into W). */
  scale: Type.Number({ default: 1 }),
  /** Raw value → metric value, for enumerations (APC outlet state off(1)/on(2) → 0/1). */
  map: Type.Optional(Type.Record(Type.String({ pattern: '^-?[0-9]+$' }), Type.Number())),
  unsupported: Type.Optional(Unsupported),
  description: Type.Optional(Type.String()),
};

export const ScalarDef = Strict({
  ...valueFields,
  /** Full instance OID (ending in .0 for a scalar object, or a fixed table instance). */
  oid: Oid,
  /** OID of an integer giving the value's decimal digits: metric = raw × scale × 10^-digits (Raritan). */
  scaleDigitsOid: Type.Optional(Oid),
});
export type ScalarDef = Static<typeof ScalarDef>;

export const ColumnDef = Strict({
  ...valueFields,
  /** Column OID, without the row index. */
  oid: Oid,
  /** Column of decimal digits with the same row index (Raritan's inletSensorDecimalDigits). */
  scaleDigitsColumn: Type.Optional(Oid),
});
export type ColumnDef = Static<typeof ColumnDef>;

export const TableDef = Strict({
  /** Metric prefix: row metrics are <name>_<row>_<column metric>, e.g. phase_1_current_a. */
  name: MetricName,
  /**
   * The number of the first row in each index component (one number for all components, or
   * one per component). Rows are renumbered from 1: Eaton's unit 0 becomes row 1.
   */
  indexBase: Type.Union([Type.Integer({ minimum: 0 }), Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 })], { default: 1 }),
  columns: Type.Array(ColumnDef, { minItems: 1 }),
  description: Type.Optional(Type.String()),
});
export type TableDef = Static<typeof TableDef>;

export const LabelDef = Strict({
  label: MetricName,
  /** An OctetString instance OID (model, firmware). */
  oid: Oid,
});

/** One write: `value` into the column `oid` at the outlet's instance (prefix + outlet number). */
const OutletWrite = Strict({ oid: Oid, value: Type.Integer() });

/**
 * Switched outlets (agents/drivers/actuator-runner.ts): which column to SET to switch an outlet
 * on or off, and where to read its state back. Instance = column . indexPrefix . outlet.
 */
export const OutletControl = Strict({
  /** Index arcs before the outlet number: the PDU or unit in a daisy chain (Raritan pduId 1, Eaton unit 0, Sentry4 unit 1). */
  indexPrefix: Type.Array(Type.Integer({ minimum: 0 }), { default: [] }),
  on: OutletWrite,
  off: OutletWrite,
  /** The outlet's state as read back: the raw values meaning on and off. */
  state: Strict({ oid: Oid, on: Type.Integer(), off: Type.Integer() }),
  /** Most outlets switched in one SET request (the agent's PDU size limit). */
  maxOutletsPerSet: Type.Integer({ minimum: 1, maximum: 128, default: 24 }),
  /** Default limit on switching on: kW per step and the pause between steps. */
  inrush: Strict({ maxStepKw: Type.Number({ exclusiveMinimum: 0 }), stepIntervalMs: Type.Integer({ minimum: 0 }) }),
});
export type OutletControl = Static<typeof OutletControl>;

export const SnmpProfile = Strict({
  make: Type.String({ minLength: 1 }),
  model: Type.String({ minLength: 1 }),
  /** The vendor MIB the OIDs come from. */
  mib: Type.String({ minLength: 1 }),
  /** What the device is (agents/drivers/snmp/kinds.ts); a site's device of this profile must say the same. */
  kind: Type.Union(SNMP_DEVICE_KINDS.map((k) => Type.Literal(k))),
  description: Type.Optional(Type.String()),
  unsupported: Type.Array(Type.Integer(), { default: [-1] }),
  labels: Type.Array(LabelDef, { default: [] }),
  scalars: Type.Array(ScalarDef, { default: [] }),
  tables: Type.Array(TableDef, { default: [] }),
  outletControl: Type.Optional(OutletControl),
});
export type SnmpProfile = Static<typeof SnmpProfile>;

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

export class SnmpProfileError extends ContextError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SNMP_PROFILE', message, options);
    this.name = 'SnmpProfileError';
  }
}

function unitProblem(metric: string, unit: string): string | undefined {
  if (unit === '') return undefined;
  const suffix = UNIT_SUFFIX[unit];
  if (suffix === undefined) return `${metric}: unknown unit "${unit}" (one of ${Object.keys(UNIT_SUFFIX).join(', ')} or "")`;
  if (!metric.endsWith(`_${suffix}`) && metric !== suffix) return `${metric}: a metric in ${unit} must end in _${suffix}`;
  return undefined;
}

/** Validates a parsed profile; `what` names it in errors. Pure. */
export function parseProfile(value: unknown, what: string): SnmpProfile {
  let profile: SnmpProfile;
  try {
    profile = check(SnmpProfile, value, what);
  } catch (err) {
    throw new SnmpProfileError(wrap('validating SNMP profile', err).message, { cause: err });
  }
  const problems: string[] = [];
  const metrics = new Set<string>();
  const oids = new Map<string, string>();
  const claim = (oid: string, owner: string) => {
    const other = oids.get(oid);
    if (other !== undefined) problems.push(`${owner}: OID ${oid} is also used by ${other}`);
    oids.set(oid, owner);
  };
  for (const s of profile.scalars) {
    if (metrics.has(s.metric)) problems.push(`${s.metric}: defined twice`);
    metrics.add(s.metric);
    const p = unitProblem(s.metric, s.unit);
    if (p) problems.push(p);
    claim(s.oid, s.metric);
  }
  if (profile.scalars.length === 0 && profile.tables.length === 0) problems.push('no scalars and no tables');
  const tableNames = new Set<string>();
  for (const t of profile.tables) {
    if (tableNames.has(t.name)) problems.push(`table ${t.name}: defined twice`);
    tableNames.add(t.name);
    const columns = new Set<string>();
    for (const c of t.columns) {
      if (columns.has(c.metric)) problems.push(`${t.name}.${c.metric}: defined twice`);
      columns.add(c.metric);
      const p = unitProblem(c.metric, c.unit);
      if (p) problems.push(`${t.name}.${p}`);
      claim(c.oid, `${t.name}.${c.metric}`);
    }
  }
  for (const l of profile.labels) claim(l.oid, `label ${l.label}`);
  if (problems.length > 0) throw new SnmpProfileError(`${what}: ${problems.join('; ')}`);
  return profile;
}

export function parseProfileYaml(text: string, what: string): SnmpProfile {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new SnmpProfileError(wrap(`parsing ${what}`, err).message, { cause: err });
  }
  return parseProfile(value, what);
}

export const PROFILE_DIR = fileURLToPath(new URL('../../profiles/snmp/', import.meta.url));

/** The profile named `name` (file <dir>/<name>.yaml). */
export function loadProfile(name: string, dir = PROFILE_DIR): SnmpProfile {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new SnmpProfileError(`"${name}" is not a profile name (lower-case letters, digits, . _ -)`);
  const path = `${dir.replace(/\/?$/, '/')}${name}.yaml`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SnmpProfileError(wrap(`reading SNMP profile ${path}`, err).message, { cause: err });
  }
  return parseProfileYaml(text, path);
}

export function profileNames(dir = PROFILE_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}
