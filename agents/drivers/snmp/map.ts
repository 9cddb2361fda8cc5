import { errorMessage } from '../../../services/lib/errors.ts';
import type { ColumnDef, ScalarDef, SnmpProfile, TableDef } from './profile.ts';
import { indexUnder, Tag, varbindNumber, varbindText, type Varbind } from './varbind.ts';

/**
 * Pure mapping from varbinds to metrics: what to ask for (planRead) and what the answers mean
 * (mapProfile). No I/O here, so recordings and hand-made varbinds test it directly.
 */
export interface ReadPlan {
  /** Instance OIDs fetched with GET: scalars, their decimal-digit OIDs, labels. */
  get: string[];
  /** Column OIDs walked with GETBULK: table columns and their decimal-digit columns. */
  walk: string[];
}

export interface ProfileReading {
  metrics: Record<string, number>;
  labels: Record<string, string>;
  /** Metrics the device reported as unsupported or absent (-1, noSuchObject, …): not zero. */
  missing: string[];
  /** Values that could not be decoded or OIDs that could not be read, with the reason. */
  failures: string[];
}

export function planRead(profile: SnmpProfile): ReadPlan {
  const get = new Set<string>();
  const walk = new Set<string>();
  for (const s of profile.scalars) {
    get.add(s.oid);
    if (s.scaleDigitsOid) get.add(s.scaleDigitsOid);
  }
  for (const l of profile.labels) get.add(l.oid);
  for (const t of profile.tables) {
    for (const c of t.columns) {
      walk.add(c.oid);
      if (c.scaleDigitsColumn) walk.add(c.scaleDigitsColumn);
    }
  }
  return { get: [...get], walk: [...walk] };
}

type Decoded = { value: number } | { missing: true } | { failure: string };

/** Rounds away binary noise from scaling (0.1 × 2305 = 230.50000000000003). */
function tidy(n: number): number {
  return Number(n.toPrecision(12));
}

/** One value: raw varbind → metric value, missing, or a failure. Pure. */
export function decodeValue(
  def: ScalarDef | ColumnDef,
  vb: Varbind | undefined,
  digits: Varbind | undefined | 'none',
  profileUnsupported: readonly number[],
): Decoded {
  if (vb === undefined) return { failure: 'no varbind in the reply' };
  let raw: number | undefined;
  try {
    raw = varbindNumber(vb, def.type);
  } catch (err) {
    return { failure: errorMessage(err) };
  }
  if (raw === undefined) return { missing: true };
  if ((def.unsupported ?? profileUnsupported).includes(raw)) return { missing: true };
  let value = raw;
  if (def.map) {
    const mapped = def.map[String(raw)];
    if (mapped === undefined) return { failure: `${vb.oid}: value ${raw} is not one of ${Object.keys(def.map).join(', ')}` };
    value = mapped;
  }
  let scale = def.scale;
  if (digits !== 'none') {
    if (digits === undefined) return { failure: `${vb.oid}: no decimal-digits value` };
    let d: number | undefined;
    try {
      // Raritan declares DecimalDigits Unsigned32 (Gauge32); accept Integer from other firmware.
      d = varbindNumber(digits, digits.type === Tag.Integer ? 'integer' : 'gauge');
    } catch (err) {
      return { failure: `decimal digits: ${errorMessage(err)}` };
    }
    if (d === undefined) return { failure: `${digits.oid}: decimal digits absent` };
    if (!Number.isInteger(d) || d < 0 || d > 9) return { failure: `${digits.oid}: decimal digits ${d} out of range 0–9` };
    scale *= 10 ** -d;
  }
  const out = tidy(value * scale);
  if (!Number.isFinite(out)) return { missing: true };
  return { value: out };
}

function apply(out: ProfileReading, metric: string, d: Decoded): void {
  if ('value' in d) out.metrics[metric] = d.value;
  else if ('missing' in d) out.missing.push(metric);
  else out.failures.push(`${metric}: ${d.failure}`);
}

/** Row label from an index: each component renumbered from 1 by the table's index base. */
export function rowLabel(table: TableDef, index: number[]): string | undefined {
  const bases = Array.isArray(table.indexBase) ? table.indexBase : index.map(() => table.indexBase as number);
  if (bases.length !== index.length) return undefined;
  const parts: number[] = [];
  for (let i = 0; i < index.length; i++) {
    const n = (index[i] as number) - (bases[i] as number) + 1;
    if (!Number.isInteger(n) || n < 1) return undefined;
    parts.push(n);
  }
  return parts.join('_');
}

function mapTable(profile: SnmpProfile, table: TableDef, walked: ReadonlyMap<string, readonly Varbind[]>, out: ProfileReading): void {
  for (const c of table.columns) {
    const rows = walked.get(c.oid);
    if (rows === undefined) {
      out.failures.push(`${table.name}.${c.metric}: column ${c.oid} was not walked`);
      continue;
    }
    const digitsByIndex = new Map<string, Varbind>();
    if (c.scaleDigitsColumn) {
      for (const vb of walked.get(c.scaleDigitsColumn) ?? []) {
        const idx = indexUnder(c.scaleDigitsColumn, vb.oid);
        if (idx) digitsByIndex.set(idx.join('.'), vb);
      }
    }
    for (const vb of rows) {
      const index = indexUnder(c.oid, vb.oid);
      if (index === undefined) continue; // a walk ends on the first OID past the column
      const label = rowLabel(table, index);
      if (label === undefined) {
        out.failures.push(`${table.name}.${c.metric}: row index ${index.join('.')} does not fit indexBase ${JSON.stringify(table.indexBase)}`);
        continue;
      }
      const digits = c.scaleDigitsColumn ? digitsByIndex.get(index.join('.')) : 'none';
      apply(out, `${table.name}_${label}_${c.metric}`, decodeValue(c, vb, digits, profile.unsupported));
    }
  }
}

/**
 * Maps the answers to a plan into metrics. `got` holds GET replies (any order), `walked` the
 * varbinds of each walked column OID. Pure.
 */
export function mapProfile(profile: SnmpProfile, got: readonly Varbind[], walked: ReadonlyMap<string, readonly Varbind[]>): ProfileReading {
  const out: ProfileReading = { metrics: {}, labels: {}, missing: [], failures: [] };
  const byOid = new Map(got.map((vb) => [vb.oid, vb]));
  for (const s of profile.scalars) {
    const digits = s.scaleDigitsOid ? byOid.get(s.scaleDigitsOid) : 'none';
    apply(out, s.metric, decodeValue(s, byOid.get(s.oid), digits, profile.unsupported));
  }
  for (const l of profile.labels) {
    const vb = byOid.get(l.oid);
    if (vb === undefined) continue;
    try {
      const text = varbindText(vb);
      if (text !== undefined) out.labels[l.label] = text;
    } catch (err) {
      out.failures.push(`label ${l.label}: ${errorMessage(err)}`);
    }
  }
  for (const t of profile.tables) mapTable(profile, t, walked, out);
  return out;
}
