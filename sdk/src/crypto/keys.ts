/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for RSA (RFC 8017, RFC 4055) and EC keys (RFC 5480,
 * with explicit domain parameters as RFC 3279 §2.3.5 / BSI TR-03111 allow — common in eMRTD PKIs).
 *
 * Keys come from chip data nobody has vouched for yet (the DS certificate inside the SOD, DG15), so
 * their size is bounded here, while parsing, before any arithmetic: see {@link KEY_LIMITS}.
 */
import type { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import {
  type Node,
  parseOne,
  Reader,
  readBigInt,
  readBitString,
  readOctets,
  readOID,
  TAG,
} from '../asn1/der.ts';
import { OID } from '../asn1/oid.ts';
import { bitString, oid, seq } from '../asn1/writer.ts';
import { CryptoError, isChipIdError } from '../errors.ts';
import { bytesToBigInt } from '../lib/bytes.ts';
import { CURVE_OID, type Curve, type CurveParams, explicitCurve, NOBLE, namedCurve } from './curves.ts';

/**
 * Bounds on the keys the SDK accepts (docs/security.md, "Key limits and the order of trust"). Public-key work grows with the
 * modulus (≈ ×6 per doubling in BigInt) and with the exponent's length, and both come from the chip
 * dump: without bounds, one DG15 with a 32 768-bit modulus cost 14.6 s of Worker CPU (issue 19).
 *
 * - `rsaMaxBits` 8192 for Document Signer and CSCA keys: NIST SP 800-57 Part 1 Rev. 5 Table 2 puts
 *   RSA-7680 at 192-bit strength, that of P-384 and brainpoolP384r1 (only P-521's 256-bit level asks
 *   for more: RSA-15360); the 588 CSCAs of the German master list (test/vectors/master-lists, 2026-05)
 *   use at most 6144 bits (6 of them), most 4096.
 * - `rsaMaxBitsAA` 4096 for Active Authentication keys (DG15, Doc 9303 Part 11 §6.1): the key lives
 *   and signs on the chip, and the largest RSA length the Java Card API defines (KeyBuilder
 *   LENGTH_RSA_4096) is 4096; NIST SP 800-57 Table 2 puts RSA-3072 at 128-bit strength already.
 * - `rsaMinBitsAA` 1024: an AA key below it gives no clone evidence (`aa_key_weak`): RSA-512 and
 *   RSA-768 moduli have been factored publicly (RSA-155 in 1999, RSA-768 in 2009; RSA-250, 829 bits,
 *   in 2020), and 1024 is FIPS 186-4 §5.1's smallest modulus (kept by NIST SP 800-131A Rev. 2 §3 for
 *   verifying legacy signatures). New AA keys should be ≥ 2048 (SP 800-131A Rev. 2 Table 2).
 * - `rsaMaxExponentBits` 17, every role: the public exponent must be odd and 3 ≤ e < 2¹⁷. Real CSCAs
 *   use e = 3 (12 of the German master list's 430 RSA CSCAs), 38129 (2) and 65537 (the rest; the
 *   smallest exponent FIPS 186-5 §A.1.1 allows new keys, 2¹⁶ < e < 2²⁵⁶). workerd's Web Crypto imports
 *   only e = 3 or 65537, so any other exponent runs in BigInt, whose work grows with e's length: 17
 *   bits keeps it within ≈ 2× that of e = 65537 (a 32-bit e, as Windows CryptoAPI allows, measured 46
 *   ms for an 8192-bit key in workerd — 8.6 normal verifications).
 */
export const KEY_LIMITS = {
  rsaMaxBits: 8192,
  rsaMaxBitsAA: 4096,
  rsaMinBitsAA: 1024,
  rsaMaxExponentBits: 17,
} as const;

/** Options of {@link parseSPKI}. */
export interface SPKIOptions {
  /** The largest RSA modulus accepted, in bits (default {@link KEY_LIMITS}.rsaMaxBits). */
  readonly maxRSABits?: number;
}

/** Length in bits of a DER INTEGER's magnitude, read from its bytes (no BigInt built). */
function integerBits(node: Node): number {
  const v = node.value;
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const first = v[i] ?? 0;
  return first === 0 ? 0 : (v.length - i - 1) * 8 + (32 - Math.clz32(first));
}

export interface RSAPublicKey {
  kind: 'rsa';
  n: bigint;
  e: bigint;
  /** Modulus size in bits. */
  bits: number;
  spki: Uint8Array;
}

export interface ECPublicKey {
  kind: 'ec';
  curve: Curve;
  /** Uncompressed point 04 || X || Y. */
  point: Uint8Array;
  spki: Uint8Array;
}

export type PublicKey = RSAPublicKey | ECPublicKey;

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2). */
export interface AlgorithmIdentifier {
  oid: string;
  params: Node | undefined;
}

export function readAlgorithmIdentifier(node: Node): AlgorithmIdentifier {
  const r = new Reader(node, { der: false });
  if (node.id !== TAG.SEQUENCE)
    throw new CryptoError('ERR_KEY_INVALID', 'algorithm identifier: not a sequence');
  const oid = readOID(r.next(TAG.OID));
  const params = r.peek();
  return { oid, params };
}

type PointCons = ReturnType<typeof weierstrass<bigint>>;

/** noble Point constructor for a curve. */
export function pointConstructor(curve: Curve): PointCons {
  return NOBLE[curve.name].Point as unknown as PointCons;
}

/** ECParameters (RFC 3279 §2.3.5): a named curve OID or explicit parameters. */
export function readECParameters(node: Node): Curve {
  if (node.id === TAG.OID) {
    const oid = readOID(node);
    const name = CURVE_OID[oid];
    if (!name) throw new CryptoError('ERR_ALG_UNSUPPORTED', `ec key: unsupported named curve ${oid}`);
    return namedCurve(name);
  }
  if (node.id !== TAG.SEQUENCE)
    throw new CryptoError('ERR_KEY_INVALID', 'ec key: implicit curve not supported');
  // ECParameters ::= SEQUENCE { version, fieldID, curve, base, order, cofactor OPTIONAL }
  const r = new Reader(node, { der: false });
  r.next(TAG.INTEGER);
  const field = new Reader(r.next(TAG.SEQUENCE), { der: false });
  if (readOID(field.next(TAG.OID)) !== OID.primeField)
    throw new CryptoError('ERR_ALG_UNSUPPORTED', 'ec key: only prime-field curves are supported');
  const p = readBigInt(field.next(TAG.INTEGER));
  const curve = new Reader(r.next(TAG.SEQUENCE), { der: false });
  const a = bytesToBigInt(readOctets(curve.next(TAG.OCTET_STRING)));
  const b = bytesToBigInt(readOctets(curve.next(TAG.OCTET_STRING)));
  const base = readOctets(r.next(TAG.OCTET_STRING));
  const n = readBigInt(r.next(TAG.INTEGER));
  const cof = r.optional(TAG.INTEGER);
  const h = cof ? readBigInt(cof) : 1n;
  if (p <= 3n || n <= 1n || h < 1n) throw new CryptoError('ERR_KEY_INVALID', 'ec key: bad domain parameters');
  const len = Math.ceil(p.toString(2).length / 8);
  if (base[0] !== 0x04 || base.length !== 1 + 2 * len) {
    // Compressed base points are allowed by X9.62 but never seen in eMRTD PKIs.
    throw new CryptoError('ERR_KEY_INVALID', 'ec key: base point must be uncompressed');
  }
  const params: CurveParams = {
    p,
    a: ((a % p) + p) % p,
    b,
    Gx: bytesToBigInt(base.subarray(1, 1 + len)),
    Gy: bytesToBigInt(base.subarray(1 + len)),
    n,
    h,
  };
  const known = explicitCurve(params);
  if (!known)
    throw new CryptoError(
      'ERR_ALG_UNSUPPORTED',
      'ec key: explicit domain parameters that are not a supported named curve',
    );
  return known;
}

/** Validates an EC point on `curve` and returns it uncompressed. */
export function normalizePoint(curve: Curve, bytes: Uint8Array): Uint8Array {
  try {
    const P = pointConstructor(curve);
    const pt = P.fromBytes(bytes);
    pt.assertValidity();
    return pt.toBytes(false);
  } catch (cause) {
    throw new CryptoError('ERR_KEY_INVALID', 'ec key: point is not on the curve', { cause });
  }
}

/**
 * Parses a DER SubjectPublicKeyInfo, within {@link KEY_LIMITS}.
 *
 * @throws CryptoError `ERR_KEY_INVALID` (malformed key, even or < 3 RSA exponent, point off the
 *   curve), `ERR_ALG_UNSUPPORTED` (another key algorithm, an unknown named curve, explicit curve
 *   parameters that are no supported curve's, an RSA modulus over `maxRSABits` or an exponent of 2¹⁷
 *   or more)
 * @example
 * const key = parseSPKI(cert.spki);
 * if (key.kind === 'ec') console.log(key.curve.name);
 */
export function parseSPKI(input: Uint8Array | Node, opts: SPKIOptions = {}): PublicKey {
  const maxBits = opts.maxRSABits ?? KEY_LIMITS.rsaMaxBits;
  try {
    const node = input instanceof Uint8Array ? parseOne(input, { der: false }) : input;
    const r = new Reader(node, { der: false });
    if (node.id !== TAG.SEQUENCE) throw new CryptoError('ERR_KEY_INVALID', 'spki: not a sequence');
    const alg = readAlgorithmIdentifier(r.next(TAG.SEQUENCE));
    const { bytes, unusedBits } = readBitString(r.next(TAG.BIT_STRING));
    if (unusedBits !== 0) throw new CryptoError('ERR_KEY_INVALID', 'spki: key bit string not octet aligned');
    if (alg.oid === OID.rsaEncryption || alg.oid === OID.rsassaPss) {
      const k = Reader.of(bytes, TAG.SEQUENCE, { der: false });
      const nNode = k.next(TAG.INTEGER);
      const eNode = k.next(TAG.INTEGER);
      // Sizes first, from the encodings: nothing is computed on a number over the limits.
      const bits = integerBits(nNode);
      if (bits > maxBits)
        throw new CryptoError(
          'ERR_ALG_UNSUPPORTED',
          `rsa key: a ${bits}-bit modulus is over the ${maxBits}-bit limit`,
        );
      if (integerBits(eNode) > KEY_LIMITS.rsaMaxExponentBits)
        throw new CryptoError(
          'ERR_ALG_UNSUPPORTED',
          `rsa key: public exponent over ${KEY_LIMITS.rsaMaxExponentBits} bits`,
        );
      const n = readBigInt(nNode);
      const e = readBigInt(eNode);
      if (n <= 0n || e < 3n || e % 2n === 0n || n % 2n === 0n)
        throw new CryptoError('ERR_KEY_INVALID', 'rsa key: bad modulus or exponent');
      return { kind: 'rsa', n, e, bits, spki: node.raw };
    }
    if (alg.oid === OID.ecPublicKey) {
      if (!alg.params) throw new CryptoError('ERR_KEY_INVALID', 'ec key: missing curve parameters');
      const curve = readECParameters(alg.params);
      return { kind: 'ec', curve, point: normalizePoint(curve, bytes), spki: node.raw };
    }
    throw new CryptoError('ERR_ALG_UNSUPPORTED', `spki: unsupported key algorithm ${alg.oid}`);
  } catch (e) {
    if (isChipIdError(e) && e instanceof CryptoError) throw e;
    throw new CryptoError('ERR_KEY_INVALID', 'spki: malformed public key', { cause: e });
  }
}

/** SubjectPublicKeyInfo for an EC point on a named curve (RFC 5480 §2). */
export function ecSPKI(curveOid: string, point: Uint8Array): Uint8Array {
  return seq(seq(oid(OID.ecPublicKey), oid(curveOid)), bitString(point));
}
