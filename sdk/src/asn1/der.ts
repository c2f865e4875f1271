/**
 * ASN.1 reader for DER (X.690 §10, X.509/CMS) and ICAO LDS BER-TLV (Doc 9303 Part 10 §4.4).
 *
 * Zero-copy: nodes are views into the input. Bounds-checked everywhere; lazy (a node's children are
 * read only when asked for), so no input can trigger recursion or allocation beyond its own size.
 */
import { ASN1Error } from '../errors.ts';
import { fromLatin1, fromUtf8, toHex } from '../lib/bytes.ts';

/** Tag classes (X.690 §8.1.2.2). */
export const TAG_CLASS = { UNIVERSAL: 0, APPLICATION: 1, CONTEXT: 2, PRIVATE: 3 } as const;

/** Identifier octets of the universal types we read, as `Node.id` values. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  BMP_STRING: 0x1e,
} as const;

/** One TLV. `raw` is the whole encoding; `value` the contents. Both are views into the input. */
export interface Node {
  /** Identifier octets as one number: 0x30 (SEQUENCE), 0xA0 ([0] constructed), 0x5F1F (MRZ)… */
  readonly id: number;
  readonly cls: number;
  readonly constructed: boolean;
  /** Tag number within its class. */
  readonly tag: number;
  readonly raw: Uint8Array;
  readonly value: Uint8Array;
  /** Offset of `raw` within the buffer the top-level read started from (for error messages). */
  readonly offset: number;
}

export interface ReadOptions {
  /** DER rules: minimal length octets. LDS files are read leniently (`false`). Default true. */
  der?: boolean;
  /** Offset of `input` within the outermost buffer, for error messages. */
  base?: number;
}

/**
 * A node holds positions into its buffer; the `raw`/`value` views are made on first use (typed-array
 * views are the dominant cost when walking certificates, and most nodes are only traversed).
 */
class TLV implements Node {
  private _raw: Uint8Array | undefined;
  private _value: Uint8Array | undefined;
  constructor(
    readonly buf: Uint8Array,
    readonly start: number,
    readonly valueStart: number,
    readonly end: number,
    readonly id: number,
    readonly cls: number,
    readonly constructed: boolean,
    readonly tag: number,
    readonly base: number,
  ) {}
  get raw(): Uint8Array {
    this._raw ??= this.buf.subarray(this.start, this.end);
    return this._raw;
  }
  get value(): Uint8Array {
    this._value ??= this.buf.subarray(this.valueStart, this.end);
    return this._value;
  }
  get offset(): number {
    return this.base + this.start;
  }
}

/** Reads one TLV from `input` at `pos`, never past `limit`. */
function readAt(input: Uint8Array, pos: number, limit: number, der: boolean, base: number): TLV {
  const start = pos;
  if (pos >= limit) throw new ASN1Error('ERR_ASN1_TRUNCATED', 'asn1: missing tag', base + pos);
  const first = input[pos++]!;
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  let id = first;
  if (tag === 0x1f) {
    // High tag number form: base-128, at most 3 subsequent octets (tags up to 2^21).
    tag = 0;
    for (let n = 0; ; n++) {
      if (pos >= limit) throw new ASN1Error('ERR_ASN1_TRUNCATED', 'asn1: truncated tag', base + pos);
      if (n >= 3) throw new ASN1Error('ERR_ASN1_INVALID_TAG', 'asn1: tag number too large', base + start);
      const b = input[pos++]!;
      if (n === 0 && b === 0x80 && der)
        throw new ASN1Error('ERR_ASN1_NOT_DER', 'asn1: tag number not minimal', base + start);
      id = id * 256 + b;
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (tag < 0x1f && der)
      throw new ASN1Error('ERR_ASN1_NOT_DER', 'asn1: tag number not minimal', base + start);
  }
  if (pos >= limit) throw new ASN1Error('ERR_ASN1_TRUNCATED', 'asn1: missing length', base + pos);
  let len = input[pos++]!;
  if (len === 0x80) {
    throw new ASN1Error('ERR_ASN1_INVALID_LENGTH', 'asn1: indefinite length not allowed', base + pos - 1);
  }
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw new ASN1Error('ERR_ASN1_INVALID_LENGTH', 'asn1: length too large', base + pos - 1);
    if (pos + n > limit) throw new ASN1Error('ERR_ASN1_TRUNCATED', 'asn1: truncated length', base + pos);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + input[pos++]!;
    if (der && (len < 0x80 || (n > 1 && input[pos - n] === 0)))
      throw new ASN1Error('ERR_ASN1_NOT_DER', 'asn1: length not minimally encoded', base + start);
  }
  if (len > limit - pos)
    throw new ASN1Error('ERR_ASN1_TRUNCATED', 'asn1: value runs past the end of input', base + start);
  return new TLV(input, start, pos, pos + len, id, cls, constructed, tag, base);
}

/** Reads one TLV starting at `pos`. Never reads past `input`. */
export function readNode(input: Uint8Array, pos = 0, opts: ReadOptions = {}): Node {
  return readAt(input, pos, input.length, opts.der !== false, opts.base ?? 0);
}

/** Reads exactly one TLV spanning the whole input. */
export function parseOne(input: Uint8Array, opts: ReadOptions = {}): Node {
  const node = readNode(input, 0, opts);
  if (node.raw.length !== input.length)
    throw new ASN1Error('ERR_ASN1_TRAILING_DATA', 'asn1: trailing data after value', node.raw.length);
  return node;
}

/** Reads the contents of a constructed node as a list of TLVs. */
export function children(node: Node, opts: ReadOptions = {}): Node[] {
  if (!node.constructed)
    throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: expected a constructed value', node.offset);
  const der = opts.der !== false;
  const out: Node[] = [];
  if (node instanceof TLV) {
    // Walk the parent's buffer directly: no intermediate views.
    for (let pos = node.valueStart; pos < node.end; ) {
      const child = readAt(node.buf, pos, node.end, der, node.base);
      out.push(child);
      pos = child.end;
    }
    return out;
  }
  const value = node.value;
  const base = node.offset + (node.raw.length - value.length);
  for (let pos = 0; pos < value.length; ) {
    const child = readAt(value, pos, value.length, der, base);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Sequential reader over a constructed node's children, with optional/expected tags. */
export class Reader {
  private readonly items: Node[];
  private i = 0;
  readonly node: Node;
  constructor(node: Node, opts: ReadOptions = {}) {
    this.node = node;
    this.items = children(node, opts);
  }
  static of(input: Uint8Array, expectId: number, opts: ReadOptions = {}): Reader {
    return new Reader(expect(parseOne(input, opts), expectId), opts);
  }
  get done(): boolean {
    return this.i >= this.items.length;
  }
  peek(): Node | undefined {
    return this.items[this.i];
  }
  /** Next node; with `id`, it must have that identifier. */
  next(id?: number): Node {
    const n = this.items[this.i];
    if (!n) throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: missing element', this.node.offset);
    if (id !== undefined) expect(n, id);
    this.i++;
    return n;
  }
  /** Next node if it has identifier `id`, else undefined (and nothing consumed). */
  optional(id: number): Node | undefined {
    const n = this.items[this.i];
    if (n && n.id === id) {
      this.i++;
      return n;
    }
    return undefined;
  }
  /** Remaining nodes. */
  rest(): Node[] {
    const r = this.items.slice(this.i);
    this.i = this.items.length;
    return r;
  }
  /** Asserts nothing is left. */
  end(): void {
    const n = this.items[this.i];
    if (n) throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: unexpected extra element', n.offset);
  }
}

export function expect(node: Node, id: number): Node {
  if (node.id !== id)
    throw new ASN1Error(
      'ERR_ASN1_UNEXPECTED',
      `asn1: expected tag 0x${id.toString(16)}, found 0x${node.id.toString(16)}`,
      node.offset,
    );
  return node;
}

/** INTEGER as bigint (two's complement). */
export function readBigInt(node: Node, id: number = TAG.INTEGER): bigint {
  expect(node, id);
  const v = node.value;
  if (v.length === 0) throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: empty integer', node.offset);
  if (v.length > 1 && ((v[0] === 0 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0)))
    throw new ASN1Error('ERR_ASN1_NOT_DER', 'asn1: integer not minimally encoded', node.offset);
  let n = BigInt(`0x${toHex(v)}`);
  if (v[0]! & 0x80) n -= 1n << BigInt(v.length * 8);
  return n;
}

/** INTEGER that must fit a safe JS number. */
export function readInt(node: Node, id: number = TAG.INTEGER): number {
  const n = readBigInt(node, id);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER))
    throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: integer too large', node.offset);
  return Number(n);
}

/** Unsigned magnitude bytes of a (non-negative) INTEGER, without the sign octet. */
export function readUnsignedBytes(node: Node): Uint8Array {
  expect(node, TAG.INTEGER);
  const v = node.value;
  if (v.length === 0 || v[0]! & 0x80)
    throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: expected a non-negative integer', node.offset);
  return v.length > 1 && v[0] === 0 ? v.subarray(1) : v;
}

/** OBJECT IDENTIFIER in dotted form. */
export function readOID(node: Node): string {
  expect(node, TAG.OID);
  const v = node.value;
  if (v.length === 0 || v.length > 64)
    throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: bad object identifier length', node.offset);
  const arcs: number[] = [];
  let acc = 0;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    if (acc === 0 && b === 0x80)
      throw new ASN1Error('ERR_ASN1_NOT_DER', 'asn1: object identifier arc not minimal', node.offset);
    acc = acc * 128 + (b & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER)
      throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: object identifier arc too large', node.offset);
    if ((b & 0x80) === 0) {
      arcs.push(acc);
      acc = 0;
    } else if (i === v.length - 1) {
      throw new ASN1Error('ERR_ASN1_TRUNCATED', 'asn1: truncated object identifier', node.offset);
    }
  }
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

export function readOctets(node: Node): Uint8Array {
  return expect(node, TAG.OCTET_STRING).value;
}

export function readBoolean(node: Node): boolean {
  expect(node, TAG.BOOLEAN);
  if (node.value.length !== 1) throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: bad boolean', node.offset);
  return node.value[0] !== 0;
}

/** BIT STRING contents (whole octets; the unused-bit count is returned alongside). */
export function readBitString(node: Node): { bytes: Uint8Array; unusedBits: number } {
  expect(node, TAG.BIT_STRING);
  if (node.value.length === 0 || node.value[0]! > 7)
    throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: bad bit string', node.offset);
  return { bytes: node.value.subarray(1), unusedBits: node.value[0]! };
}

/** UTCTime or GeneralizedTime (X.509 profile forms: `YYMMDDHHMMSSZ` / `YYYYMMDDHHMMSSZ`). */
export function readTime(node: Node): Date {
  const s = fromLatin1(node.value);
  let m: RegExpExecArray | null;
  let year: number;
  if (node.id === TAG.UTC_TIME) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s);
    if (!m) throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: bad UTCTime', node.offset);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
  } else if (node.id === TAG.GENERALIZED_TIME) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(s);
    if (!m) throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: bad GeneralizedTime', node.offset);
    year = Number(m[1]);
  } else {
    throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: expected a time value', node.offset);
  }
  const t = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (Number.isNaN(t)) throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: bad time value', node.offset);
  return new Date(t);
}

/** Any of the ASN.1 character string types used in names and LDS files. */
export function readString(node: Node): string {
  try {
    switch (node.id) {
      case TAG.UTF8_STRING:
        return fromUtf8(node.value);
      case TAG.PRINTABLE_STRING:
      case TAG.IA5_STRING:
      case TAG.VISIBLE_STRING:
      case TAG.T61_STRING:
        return fromLatin1(node.value);
      case TAG.BMP_STRING: {
        if (node.value.length % 2) throw new TypeError('odd BMPString');
        let s = '';
        for (let i = 0; i < node.value.length; i += 2)
          s += String.fromCharCode((node.value[i]! << 8) | node.value[i + 1]!);
        return s;
      }
      default:
        throw new TypeError('not a string type');
    }
  } catch (cause) {
    throw new ASN1Error('ERR_ASN1_UNEXPECTED', 'asn1: bad character string', node.offset, { cause });
  }
}
