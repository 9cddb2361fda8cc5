import { WIDTH, byteOrderOf, type ByteOrder, type ModbusProfile, type RegisterDef, type RegisterType } from './profile.ts';

/**
 * Register words → a metric value, or undefined when the device says "not available"
 * (a sentinel from the profile) or the value is NaN/Infinity. Pure. Nothing that is not
 * a finite number ever leaves here: missing is missing, never a number.
 */
const toBig = (v: number | string): bigint => BigInt(v);

/**
 * The value's bytes, most significant first, from the `width` words at `offset` as they came off
 * the wire in `order` (ABCD big-endian, CDAB low word first, BADC bytes swapped per word, DCBA
 * little-endian).
 */
export function orderedBytes(words: ArrayLike<number>, offset: number, width: number, order: ByteOrder): DataView {
  const view = new DataView(new ArrayBuffer(width * 2));
  const wordsReversed = order === 'CDAB' || order === 'DCBA';
  const bytesSwapped = order === 'BADC' || order === 'DCBA';
  for (let i = 0; i < width; i++) {
    const word = words[offset + (wordsReversed ? width - 1 - i : i)];
    if (word === undefined) throw new RangeError(`register block too short: need word ${offset + i}`);
    const w = word & 0xffff;
    view.setUint16(i * 2, bytesSwapped ? ((w & 0xff) << 8) | (w >> 8) : w);
  }
  return view;
}

function unsignedPattern(view: DataView, width: number): bigint {
  if (width === 1) return BigInt(view.getUint16(0));
  if (width === 2) return BigInt(view.getUint32(0));
  return view.getBigUint64(0);
}

function rawValue(view: DataView, type: RegisterType): number {
  switch (type) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'int64':
      return Number(view.getBigInt64(0));
    case 'uint64':
      return Number(view.getBigUint64(0));
    case 'float32':
      return view.getFloat32(0);
    case 'float64':
      return view.getFloat64(0);
  }
}

/** raw × 10^exponent, dividing for negative exponents so 2301 × 10^-1 prints as 230.1. */
export function applyPowerOfTen(value: number, exponent: number): number {
  if (exponent === 0) return value;
  return exponent > 0 ? value * 10 ** exponent : value / 10 ** -exponent;
}

/**
 * Decodes one register. `scaleExponent` is the already-read scale-factor register for defs that
 * name one (the caller decides what a missing scale factor means).
 */
export function decodeRegister(words: ArrayLike<number>, offset: number, def: RegisterDef, profile: ModbusProfile, scaleExponent = 0): number | undefined {
  const width = WIDTH[def.type];
  const view = orderedBytes(words, offset, width, byteOrderOf(def, profile));
  const sentinels = def.notAvailable ?? (def.type.startsWith('float') ? undefined : profile.notAvailable?.[def.type as keyof NonNullable<ModbusProfile['notAvailable']>]);
  if (sentinels !== undefined && sentinels.length > 0) {
    const pattern = unsignedPattern(view, width);
    if (sentinels.some((s) => BigInt.asUintN(width * 16, toBig(s)) === pattern)) return undefined;
  }
  const value = applyPowerOfTen(rawValue(view, def.type) * def.scale, scaleExponent);
  return Number.isFinite(value) ? value : undefined;
}

/** A SunSpec scale factor register: a signed power of ten, undefined when not implemented (0x8000) or absurd. */
export function decodeScaleFactor(word: number | undefined): number | undefined {
  if (word === undefined || (word & 0xffff) === 0x8000) return undefined;
  const exponent = ((word & 0xffff) << 16) >> 16;
  return exponent >= -10 && exponent <= 10 ? exponent : undefined;
}
