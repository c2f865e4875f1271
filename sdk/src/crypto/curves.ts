/**
 * Elliptic curves of Doc 9303 Part 12 / BSI TR-03111: NIST P-256/384/521 (Web Crypto) and
 * brainpool P256r1/P384r1/P512r1 (RFC 5639, @noble/curves). Explicit domain parameters in a key
 * (RFC 3279 §2.3.5 ECParameters) are accepted only when they are one of these curves' parameters, and
 * then handled as that curve: arbitrary parameters would let a chip dump choose the arithmetic's
 * size (a 4096-bit field cost seconds of CPU per signature — issue 19).
 */
import { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 } from '@noble/curves/misc.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { OID } from '../asn1/oid.ts';

export type NamedCurve =
  | 'P-256'
  | 'P-384'
  | 'P-521'
  | 'brainpoolP256r1'
  | 'brainpoolP384r1'
  | 'brainpoolP512r1';

export interface CurveParams {
  p: bigint;
  a: bigint;
  b: bigint;
  Gx: bigint;
  Gy: bigint;
  n: bigint;
  h: bigint;
}

/** A supported curve (explicit parameters are resolved to one); `byteLength` of a coordinate. */
export interface Curve {
  name: NamedCurve;
  params: CurveParams;
  byteLength: number;
  /** Length of the order n in bytes (r and s of a plain signature). */
  orderLength: number;
}

export const CURVE_OID: Readonly<Record<string, NamedCurve>> = {
  [OID.secp256r1]: 'P-256',
  [OID.secp384r1]: 'P-384',
  [OID.secp521r1]: 'P-521',
  [OID.brainpoolP256r1]: 'brainpoolP256r1',
  [OID.brainpoolP384r1]: 'brainpoolP384r1',
  [OID.brainpoolP512r1]: 'brainpoolP512r1',
};

export const NAMED_CURVE_OID: Readonly<Record<NamedCurve, string>> = {
  'P-256': OID.secp256r1,
  'P-384': OID.secp384r1,
  'P-521': OID.secp521r1,
  brainpoolP256r1: OID.brainpoolP256r1,
  brainpoolP384r1: OID.brainpoolP384r1,
  brainpoolP512r1: OID.brainpoolP512r1,
};

/** The noble implementation of each named curve. */
export const NOBLE = {
  'P-256': p256,
  'P-384': p384,
  'P-521': p521,
  brainpoolP256r1,
  brainpoolP384r1,
  brainpoolP512r1,
} as const;

/** Curves Web Crypto implements (everything else goes to noble). */
export const WEBCRYPTO_CURVES: ReadonlySet<NamedCurve> = new Set(['P-256', 'P-384', 'P-521']);

const bitLen = (n: bigint) => n.toString(2).length;

function paramsOf(name: NamedCurve): CurveParams {
  const c = NOBLE[name].Point.CURVE();
  return { p: c.p, a: c.a, b: c.b, Gx: c.Gx, Gy: c.Gy, n: c.n, h: c.h };
}

function make(name: NamedCurve, params: CurveParams): Curve {
  return {
    name,
    params,
    byteLength: Math.ceil(bitLen(params.p) / 8),
    orderLength: Math.ceil(bitLen(params.n) / 8),
  };
}

const NAMED: Map<NamedCurve, Curve> = new Map();

export function namedCurve(name: NamedCurve): Curve {
  let c = NAMED.get(name);
  if (!c) {
    c = make(name, paramsOf(name));
    NAMED.set(name, c);
  }
  return c;
}

/**
 * What identifies a curve in a cache key: its name (every curve is a named one — explicit parameters
 * are matched to a name in {@link explicitCurve} or refused).
 */
export function curveId(curve: Curve): string {
  return curve.name;
}

/**
 * The named curve whose domain parameters are exactly `params` (p, a, b, generator, order and
 * cofactor), or undefined: explicit parameters of any other curve are not supported.
 */
export function explicitCurve(params: CurveParams): Curve | undefined {
  for (const name of Object.keys(NOBLE) as NamedCurve[]) {
    const k = namedCurve(name).params;
    if (
      k.p === params.p &&
      k.a === params.a &&
      k.b === params.b &&
      k.Gx === params.Gx &&
      k.Gy === params.Gy &&
      k.n === params.n &&
      k.h === params.h
    )
      return namedCurve(name);
  }
  return undefined;
}
