/**
 * Byte helpers: hex, base64, UTF-8, comparison. Portable: native decoders are used where the runtime
 * has them (`Uint8Array.fromBase64`, Node's and workerd's `Buffer`, `atob`), always behind a check that
 * they decoded exactly what the strict JS decoder would.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError('invalid hex string');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Char code → 6-bit value; 0xff = not base64. The standard alphabet (RFC 4648 §4) only. */
const B64_STANDARD_INDEX = new Uint8Array(256).fill(0xff);
for (let i = 0; i < B64.length; i++) B64_STANDARD_INDEX[B64.charCodeAt(i)] = i;
/** The same for both alphabets (RFC 4648 §4 and §5). */
const B64_INDEX = B64_STANDARD_INDEX.slice();
B64_INDEX['-'.charCodeAt(0)] = 62;
B64_INDEX['_'.charCodeAt(0)] = 63;

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return s;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

type NativeBase64 = {
  fromBase64?: (s: string, o?: { alphabet?: string; lastChunkHandling?: string }) => Uint8Array;
};
type NodeBuffer = {
  from(s: string, enc: 'base64'): Uint8Array & { toString(enc: 'base64'): string };
};

/**
 * Native decoding of canonical standard base64 (what dumps carry) — or undefined, and the callers'
 * strict decoders decide. `Uint8Array.fromBase64` (ES2026) is strict itself; `Buffer` skips what it
 * can't read, so its answer counts only when re-encoding it gives back `s` exactly.
 */
function nativeBase64(s: string, size: number): Uint8Array | undefined {
  const fromB64 = (Uint8Array as unknown as NativeBase64).fromBase64;
  if (typeof fromB64 === 'function') {
    try {
      // It skips ASCII white space, which the strict decoder refuses: then the length comes out short.
      const r = fromB64(s, { lastChunkHandling: 'loose' });
      return r.length === size ? r : undefined;
    } catch {
      return undefined; // base64url or garbage
    }
  }
  const B = (globalThis as { Buffer?: NodeBuffer }).Buffer;
  if (B && s.length % 4 === 0) {
    const b = B.from(s, 'base64');
    if (b.length === size && b.toString('base64') === s) {
      // A plain Uint8Array; a copy when Node handed out a slice of its shared pool.
      const whole = b.byteOffset === 0 && b.buffer.byteLength === b.length;
      return whole ? new Uint8Array(b.buffer, 0, b.length) : new Uint8Array(b);
    }
  }
  return undefined;
}

/**
 * Decodes base64, padding optional: the standard alphabet or the URL-safe one (`'any'`, the default),
 * or the standard alphabet only (`'standard'`). Throws TypeError on bad input.
 */
export function fromBase64(s: string, alphabet: 'any' | 'standard' = 'any'): Uint8Array {
  let len = s.length;
  while (len > 0 && s.charCodeAt(len - 1) === 0x3d /* = */) len--;
  if (len % 4 === 1 || s.length - len > 2) throw new TypeError('invalid base64 length');
  const size = Math.floor((len * 3) / 4);
  if (len > 256) {
    const native = nativeBase64(s, size);
    if (native) return native;
  }
  if (len > 256 && typeof atob === 'function') {
    // The native decoder is several times faster on large files (DG2 faces). It skips white space,
    // so the decoded length is checked: any skipped character makes it come out short.
    let bin: string | undefined;
    try {
      bin = atob(s);
    } catch {
      bin = undefined; // base64url characters or garbage: the strict decoder below decides
    }
    if (bin !== undefined && bin.length === size) {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = bin.charCodeAt(i);
      return out;
    }
  }
  const out = new Uint8Array(size);
  const T = alphabet === 'standard' ? B64_STANDARD_INDEX : B64_INDEX;
  let o = 0;
  let i = 0;
  // Four characters → three bytes; a code ≥ 256 indexes past the table (undefined → NaN checks fail).
  for (const end = len - (len % 4); i < end; i += 4) {
    const a = T[s.charCodeAt(i)]!;
    const b = T[s.charCodeAt(i + 1)]!;
    const c = T[s.charCodeAt(i + 2)]!;
    const d = T[s.charCodeAt(i + 3)]!;
    if ((a | b | c | d) > 63 || Number.isNaN(a + b + c + d)) throw new TypeError('invalid base64 character');
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  const rest = len - i;
  if (rest > 0) {
    const a = T[s.charCodeAt(i)]!;
    const b = T[s.charCodeAt(i + 1)]!;
    const c = rest === 3 ? T[s.charCodeAt(i + 2)]! : 0;
    if ((a | b | c) > 63 || Number.isNaN(a + b + c)) throw new TypeError('invalid base64 character');
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >> 16;
    if (rest === 3) out[o++] = (n >> 8) & 0xff;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

export const utf8 = (s: string): Uint8Array<ArrayBuffer> => encoder.encode(s);
/** Strict UTF-8 decode: throws TypeError on invalid sequences. */
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b);
export const fromLatin1 = (b: Uint8Array): string => latin1.decode(b);
export const ascii = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
};

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function bytesToBigInt(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  return BigInt(`0x${toHex(b)}`);
}

export function bigIntToBytes(n: bigint, length?: number): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const raw = fromHex(hex);
  if (length === undefined) return raw;
  if (raw.length > length) throw new RangeError('integer does not fit');
  const out = new Uint8Array(length);
  out.set(raw, length - raw.length);
  return out;
}

/**
 * `b` as a Web Crypto `BufferSource`: itself when an `ArrayBuffer` backs it (Web Crypto copies the
 * bytes it reads when called), a copy only when a `SharedArrayBuffer` does.
 */
export function bufferSource(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : own(b);
}

/** Copies into a fresh ArrayBuffer-backed array. */
export function own(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** b^e mod m (square-and-multiply; public exponents only — not constant time). */
export function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    e >>= 1n;
    b = (b * b) % m;
  }
  return r;
}
