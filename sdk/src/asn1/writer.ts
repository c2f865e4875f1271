/**
 * DER encoder (X.690 §10) for building certificates, CMS and LDS files (the sandbox factory, tests).
 */
import { ascii, bigIntToBytes, concat, utf8 } from '../lib/bytes.ts';

function lengthOctets(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function idOctets(id: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = id; v > 0 || bytes.length === 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.from(bytes);
}

/** Any TLV; `id` is the identifier octets as one number (0x30, 0xA0, 0x5F1F…). */
export function tlv(id: number, ...value: Uint8Array[]): Uint8Array {
  const v = value.length === 1 ? value[0]! : concat(...value);
  return concat(idOctets(id), lengthOctets(v.length), v);
}

export const seq = (...items: Uint8Array[]): Uint8Array => tlv(0x30, ...items);

/** SET OF, with DER ordering of the encodings (X.690 §11.6). */
export function setOf(...items: Uint8Array[]): Uint8Array {
  const sorted = [...items].sort((a, b) => {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  return tlv(0x31, ...sorted);
}

export function int(n: bigint | number): Uint8Array {
  let v = BigInt(n);
  if (v >= 0n) {
    let b = bigIntToBytes(v);
    if (b.length === 0) b = Uint8Array.of(0);
    if (b[0]! & 0x80) b = concat(Uint8Array.of(0), b);
    return tlv(0x02, b);
  }
  // Negative: two's complement in the fewest octets.
  let len = 1;
  while (v < -(1n << BigInt(len * 8 - 1))) len++;
  v += 1n << BigInt(len * 8);
  return tlv(0x02, bigIntToBytes(v, len));
}

/** INTEGER from unsigned big-endian bytes. */
export function uint(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const b = bytes.subarray(i);
  return tlv(0x02, b[0]! & 0x80 ? concat(Uint8Array.of(0), b) : b);
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => Number(a));
  const out: number[] = [];
  const push = (n: number) => {
    const tmp: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) tmp.unshift((v & 0x7f) | 0x80);
    out.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, Uint8Array.from(out));
}

export const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
export const bitString = (b: Uint8Array, unusedBits = 0): Uint8Array =>
  tlv(0x03, Uint8Array.of(unusedBits), b);
export const nul = (): Uint8Array => Uint8Array.of(0x05, 0x00);
export const bool = (b: boolean): Uint8Array => tlv(0x01, Uint8Array.of(b ? 0xff : 0));
export const utf8String = (s: string): Uint8Array => tlv(0x0c, utf8(s));
export const printable = (s: string): Uint8Array => tlv(0x13, ascii(s));
/** `[n] EXPLICIT`. */
export const explicit = (n: number, ...inner: Uint8Array[]): Uint8Array => tlv(0xa0 + n, ...inner);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5). */
export function time(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  const rest = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, ascii(`${pad(y % 100)}${rest}`));
  return tlv(0x18, ascii(`${pad(y, 4)}${rest}`));
}

export function generalizedTime(d: Date): Uint8Array {
  const s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(0x18, ascii(s));
}
