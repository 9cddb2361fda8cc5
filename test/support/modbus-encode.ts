// Test-side inverse of the Modbus decoder: a raw value → the register words a device would
// send for it, in any byte order. The byte-order permutations are their own inverses, so the
// decoder's orderedBytes turns big-endian words into wire words.
import { orderedBytes } from '../../agents/drivers/modbus/decode.ts';
import { WIDTH, type ByteOrder, type RegisterType } from '../../agents/drivers/modbus/profile.ts';

export function bigEndianWords(raw: number | bigint, type: RegisterType): number[] {
  const width = WIDTH[type];
  const view = new DataView(new ArrayBuffer(width * 2));
  switch (type) {
    case 'int16':
      view.setInt16(0, Number(raw));
      break;
    case 'uint16':
      view.setUint16(0, Number(raw));
      break;
    case 'int32':
      view.setInt32(0, Number(raw));
      break;
    case 'uint32':
      view.setUint32(0, Number(raw));
      break;
    case 'int64':
      view.setBigInt64(0, BigInt(raw));
      break;
    case 'uint64':
      view.setBigUint64(0, BigInt(raw));
      break;
    case 'float32':
      view.setFloat32(0, Number(raw));
      break;
    case 'float64':
      view.setFloat64(0, Number(raw));
      break;
  }
  return Array.from({ length: width }, (_, i) => view.getUint16(i * 2));
}

/** The words of `raw` as they appear on the wire in `order`. */
export function wireWords(raw: number | bigint, type: RegisterType, order: ByteOrder): number[] {
  const view = orderedBytes(bigEndianWords(raw, type), 0, WIDTH[type], order);
  return Array.from({ length: WIDTH[type] }, (_, i) => view.getUint16(i * 2));
}

/** A raw sentinel pattern (e.g. 0x8000, "0x8000000000000000") as big-endian words of `width`. */
export function patternWords(pattern: number | string, width: number): number[] {
  const bits = BigInt.asUintN(width * 16, BigInt(pattern));
  return Array.from({ length: width }, (_, i) => Number((bits >> BigInt(16 * (width - 1 - i))) & 0xffffn));
}
