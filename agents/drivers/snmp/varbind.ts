/**
 * Varbinds as the engine hands them to the pure mapping code: the numeric ASN.1 tag (the same
 * numbers net-snmp's ObjectType and snmprec files use) and the raw value. Decoding a value into
 * a number is pure; a varbind the agent marks as absent decodes to `undefined`, never to 0.
 */
export const Tag = {
  Integer: 2,
  OctetString: 4,
  Null: 5,
  OID: 6,
  IpAddress: 64,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

export interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}

/** The value types a profile may declare, and the tags each accepts. */
export const TYPE_TAGS = {
  integer: [Tag.Integer],
  gauge: [Tag.Gauge32],
  counter: [Tag.Counter32],
  counter64: [Tag.Counter64],
  timeticks: [Tag.TimeTicks],
} as const;
export type ValueType = keyof typeof TYPE_TAGS;

/** noSuchObject, noSuchInstance, endOfMibView: the agent has no value there. */
export function isAbsent(vb: Varbind): boolean {
  return vb.type === Tag.NoSuchObject || vb.type === Tag.NoSuchInstance || vb.type === Tag.EndOfMibView;
}

export class VarbindTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VarbindTypeError';
  }
}

const TAG_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Tag).map(([name, tag]) => [tag, name]));

export function tagName(tag: number): string {
  return TAG_NAMES[tag] ?? `tag ${tag}`;
}

/**
 * The varbind's integer value; undefined when the agent reports it absent. Throws
 * VarbindTypeError when the tag is not one `type` accepts (a profile/device mismatch).
 * Counter64 arrives from net-snmp as a big-endian Buffer (or a bigint); values past 2^53
 * lose precision, which no power or energy reading approaches.
 */
export function varbindNumber(vb: Varbind, type: ValueType): number | undefined {
  if (isAbsent(vb)) return undefined;
  const accepted: readonly number[] = TYPE_TAGS[type];
  if (!accepted.includes(vb.type)) {
    throw new VarbindTypeError(`${vb.oid}: expected ${type}, got ${tagName(vb.type)}`);
  }
  const v = vb.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) {
    let n = 0n;
    for (const byte of v) n = (n << 8n) | BigInt(byte);
    return Number(n);
  }
  throw new VarbindTypeError(`${vb.oid}: ${type} value is ${typeof v}`);
}

/** An OctetString as text; undefined when absent. */
export function varbindText(vb: Varbind): string | undefined {
  if (isAbsent(vb)) return undefined;
  if (vb.type !== Tag.OctetString) throw new VarbindTypeError(`${vb.oid}: expected OctetString, got ${tagName(vb.type)}`);
  return Buffer.isBuffer(vb.value) ? vb.value.toString('utf8') : String(vb.value);
}

/** "1.3.6.1.2.1.2.2.1.10.3" under "1.3.6.1.2.1.2.2.1.10" → [3]; undefined when not under it. */
export function indexUnder(base: string, oid: string): number[] | undefined {
  const prefix = `${base}.`;
  if (!oid.startsWith(prefix)) return undefined;
  return oid.slice(prefix.length).split('.').map(Number);
}
