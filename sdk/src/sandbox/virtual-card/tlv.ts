/**
 * BER-TLV as the card reads and writes its command and response data objects (ISO/IEC 7816-4 §5.2:
 * one- or two-byte tags, definite lengths up to 3 length bytes).
 */
import { concat } from '../../lib/bytes.ts';

/** One data object: its tag as a number (0x7C, 0x7F49…) and value. */
export interface DataObject {
  readonly tag: number;
  readonly value: Uint8Array;
}

/**
 * Splits `data` into its data objects; `undefined` when it is not well-formed BER-TLV (the card answers
 * 6A80 or 6987/6988 then, never crashes).
 */
export function parseTLVs(data: Uint8Array): DataObject[] | undefined {
  const out: DataObject[] = [];
  let i = 0;
  while (i < data.length) {
    let tag = data[i++]!;
    if ((tag & 0x1f) === 0x1f) {
      if (i >= data.length) return undefined;
      const b = data[i++]!;
      if (b & 0x80) return undefined; // three-byte tags: none in Doc 9303
      tag = (tag << 8) | b;
    }
    if (i >= data.length) return undefined;
    let len = data[i++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || i + n > data.length) return undefined;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + data[i++]!;
    }
    if (i + len > data.length) return undefined;
    out.push({ tag, value: data.subarray(i, i + len) });
    i += len;
  }
  return out;
}

/** The value of the first object with `tag`, or undefined. */
export function find(objects: readonly DataObject[], tag: number): Uint8Array | undefined {
  return objects.find((o) => o.tag === tag)?.value;
}

function lengthBytes(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  if (n < 0x10000) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  return Uint8Array.of(0x83, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** Encodes one data object (tag ≤ 0xFFFF). */
export function tlv(tag: number, ...value: Uint8Array[]): Uint8Array {
  const v = value.length === 1 ? value[0]! : concat(...value);
  const t = tag > 0xff ? Uint8Array.of(tag >> 8, tag & 0xff) : Uint8Array.of(tag);
  return concat(t, lengthBytes(v.length), v);
}
