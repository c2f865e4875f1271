/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for RSA (RFC 8017, RFC 4055) and EC keys (RFC 5480,
 * with explicit domain parameters as RFC 3279 §2.3.5 / BSI TR-03111 allow — common in eMRTD PKIs).
 */
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
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
import {
  CURVE_OID,
  type Curve,
  type CurveParams,
  curveId,
  explicitCurve,
  NOBLE,
  namedCurve,
} from './curves.ts';

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
const explicitPointCache = new Map<string, PointCons>();
const MAX_EXPLICIT_CURVES = 64;

/** noble Point constructor for a curve (named or explicit; explicit ones cached by every parameter). */
export function pointConstructor(curve: Curve): PointCons {
  if (curve.name) return NOBLE[curve.name].Point as unknown as PointCons;
  const key = curveId(curve);
  let P = explicitPointCache.get(key);
  if (!P) {
    if (explicitPointCache.size >= MAX_EXPLICIT_CURVES)
      explicitPointCache.delete(explicitPointCache.keys().next().value as string);
    P = weierstrass<bigint>(curve.params);
    explicitPointCache.set(key, P);
  }
  return P;
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
  return explicitCurve(params);
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
 * Parses a DER SubjectPublicKeyInfo.
 *
 * @example
 * const key = parseSPKI(cert.spki);
 * if (key.kind === 'ec') console.log(key.curve.name);
 */
export function parseSPKI(input: Uint8Array | Node): PublicKey {
  try {
    const node = input instanceof Uint8Array ? parseOne(input, { der: false }) : input;
    const r = new Reader(node, { der: false });
    if (node.id !== TAG.SEQUENCE) throw new CryptoError('ERR_KEY_INVALID', 'spki: not a sequence');
    const alg = readAlgorithmIdentifier(r.next(TAG.SEQUENCE));
    const { bytes, unusedBits } = readBitString(r.next(TAG.BIT_STRING));
    if (unusedBits !== 0) throw new CryptoError('ERR_KEY_INVALID', 'spki: key bit string not octet aligned');
    if (alg.oid === OID.rsaEncryption || alg.oid === OID.rsassaPss) {
      const k = Reader.of(bytes, TAG.SEQUENCE, { der: false });
      const n = readBigInt(k.next(TAG.INTEGER));
      const e = readBigInt(k.next(TAG.INTEGER));
      if (n <= 0n || e <= 1n || n % 2n === 0n)
        throw new CryptoError('ERR_KEY_INVALID', 'rsa key: bad modulus or exponent');
      return { kind: 'rsa', n, e, bits: n.toString(2).length, spki: node.raw };
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
