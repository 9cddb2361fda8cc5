import { WIDTH, type ModbusProfile, type RegisterDef } from './profile.ts';

/**
 * Register words → a metric value, or undefined when the device says "not available"
 * (a sentinel from the profile) or the value is NaN/Infinity. Pure. Nothing that is not
 * a finite number ever leaves here: missing is missing, never a number.
 */
const toBig = (v: number | string): bigint => BigInt(v);

/** The unsigned bit pattern of the `width` words starting at `offset`, in the register's word order. */
export function rawBits(words: ArrayLike<number>, offset: number, width: number, wordOrder: 'big' | 'little'): DataView {
  const view = new DataView(new ArrayBuffer(width * 2));
  for (let i = 0; i < width; i++) {
    const word = words[offset + (wordOrder === 'big' ? i : width - 1 - i)];
    if (word === undefined) throw new RangeError(`register block too short: need word ${offset + i}`);
    view.setUint16(i * 2, word & 0xffff);
  }
  return view;
}

function unsignedPattern(view: DataView, width: number): bigint {
  if (width === 1) return BigInt(view.getUint16(0));
  if (width === 2) return BigInt(view.getUint32(0));
  return view.getBigUint64(0);
}

export function decodeRegister(words: ArrayLike<number>, offset: number, def: RegisterDef, profile: ModbusProfile): number | undefined {
  const width = WIDTH[def.type];
  const view = rawBits(words, offset, width, def.wordOrder ?? profile.wordOrder);
  const sentinels = def.notAvailable ?? (def.type.startsWith('float') ? undefined : profile.notAvailable?.[def.type as keyof NonNullable<ModbusProfile['notAvailable']>]);
  if (sentinels !== undefined && sentinels.length > 0) {
    const pattern = unsignedPattern(view, width);
    if (sentinels.some((s) => BigInt.asUintN(width * 16, toBig(s)) === pattern)) return undefined;
  }
  let raw: number;
  switch (def.type) {
    case 'int16':
      raw = view.getInt16(0);
      break;
    case 'uint16':
      raw = view.getUint16(0);
      break;
    case 'int32':
      raw = view.getInt32(0);
      break;
    case 'uint32':
      raw = view.getUint32(0);
      break;
    case 'int64':
      raw = Number(view.getBigInt64(0));
      break;
    case 'uint64':
      raw = Number(view.getBigUint64(0));
      break;
    case 'float32':
      raw = view.getFloat32(0);
      break;
    case 'float64':
      raw = view.getFloat64(0);
      break;
  }
  const value = raw * def.scale;
  return Number.isFinite(value) ? value : undefined;
}
