/**
 * PACE mapping arithmetic — Doc 9303 Part 11 §4.4 and Appendix B (BSI TR-03110 Part 3 §A.3):
 * the standardized domain parameters by PACE parameterId (§9.5.1, TR-03110 Part 3 Table 4: RFC 5114
 * MODP groups 0–2, NIST P-192…P-521 and brainpool P192r1…P512r1 ids 8–18), ECDH and DH key agreement
 * with public-key validation, the Generic Mapping (G~ = s·G + H, g~ = g^s·h), and the Integrated
 * Mapping (the pseudo-random function R_p(s, t) of §4.4.3.3.2 and the point encoding of Appendix B.2).
 * Curve arithmetic is @noble/curves; pure, no Web Crypto. The reader and the virtual card both use it.
 */
import {
  type WeierstrassPoint,
  type WeierstrassPointCons,
  weierstrass,
} from '@noble/curves/abstract/weierstrass.js';
import { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 } from '@noble/curves/misc.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { bigIntToBytes, bytesToBigInt, modPow } from '../../lib/bytes.ts';
import { ReaderError } from '../errors.ts';
import { aesCbcEncrypt } from './aes.ts';
import { tdesCbcEncrypt } from './des.ts';
import { SM_KEY_LENGTH, type SMCipher } from './kdf.ts';

/** An elliptic-curve point (affine x, y over the curve's prime field). */
export type ECPoint = WeierstrassPoint<bigint>;

/** Explicit parameters of the curves @noble/curves does not name (from SEC 2 / RFC 5639 via OpenSSL). */
const EXPLICIT_CURVES = {
  'P-192': {
    p: 0xfffffffffffffffffffffffffffffffeffffffffffffffffn,
    a: 0xfffffffffffffffffffffffffffffffefffffffffffffffcn,
    b: 0x64210519e59c80e70fa7e9ab72243049feb8deecc146b9b1n,
    Gx: 0x188da80eb03090f67cbf20eb43a18800f4ff0afd82ff1012n,
    Gy: 0x07192b95ffc8da78631011ed6b24cdd573f977a11e794811n,
    n: 0xffffffffffffffffffffffff99def836146bc9b1b4d22831n,
    h: 1n,
  },
  'P-224': {
    p: 0xffffffffffffffffffffffffffffffff000000000000000000000001n,
    a: 0xfffffffffffffffffffffffffffffffefffffffffffffffffffffffen,
    b: 0xb4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4n,
    Gx: 0xb70e0cbd6bb4bf7f321390b94a03c1d356c21122343280d6115c1d21n,
    Gy: 0xbd376388b5f723fb4c22dfe6cd4375a05a07476444d5819985007e34n,
    n: 0xffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3dn,
    h: 1n,
  },
  brainpoolP192r1: {
    p: 0xc302f41d932a36cda7a3463093d18db78fce476de1a86297n,
    a: 0x6a91174076b1e0e19c39c031fe8685c1cae040e5c69a28efn,
    b: 0x469a28ef7c28cca3dc721d044f4496bcca7ef4146fbf25c9n,
    Gx: 0xc0a0647eaab6a48753b033c56cb0f0900a2f5c4853375fd6n,
    Gy: 0x14b690866abd5bb88b5f4828c1490002e6773fa2fa299b8fn,
    n: 0xc302f41d932a36cda7a3462f9e9e916b5be8f1029ac4acc1n,
    h: 1n,
  },
  brainpoolP224r1: {
    p: 0xd7c134aa264366862a18302575d1d787b09f075797da89f57ec8c0ffn,
    a: 0x68a5e62ca9ce6c1c299803a6c1530b514e182ad8b0042a59cad29f43n,
    b: 0x2580f63ccfe44138870713b1a92369e33e2135d266dbb372386c400bn,
    Gx: 0x0d9029ad2c7e5cf4340823b2a87dc68c9e4ce3174c1e6efdee12c07dn,
    Gy: 0x58aa56f772c0726f24c6b89e4ecdac24354b9e99caa3f6d3761402cdn,
    n: 0xd7c134aa264366862a18302575d0fb98d116bc4b6ddebca3a5a7939fn,
    h: 1n,
  },
  brainpoolP320r1: {
    p: 0xd35e472036bc4fb7e13c785ed201e065f98fcfa6f6f40def4f92b9ec7893ec28fcd412b1f1b32e27n,
    a: 0x3ee30b568fbab0f883ccebd46d3f3bb8a2a73513f5eb79da66190eb085ffa9f492f375a97d860eb4n,
    b: 0x520883949dfdbc42d3ad198640688a6fe13f41349554b49acc31dccd884539816f5eb4ac8fb1f1a6n,
    Gx: 0x43bd7e9afb53d8b85289bcc48ee5bfe6f20137d10a087eb6e7871e2a10a599c710af8d0d39e20611n,
    Gy: 0x14fdd05545ec1cc8ab4093247f77275e0743ffed117182eaa9c77877aaac6ac7d35245d1692e8ee1n,
    n: 0xd35e472036bc4fb7e13c785ed201e065f98fcfa5b68f12a32d482ec7ee8658e98691555b44c59311n,
    h: 1n,
  },
} as const;

/** RFC 5114 §2.1–2.3 MODP groups with prime-order subgroups (p, generator g, subgroup order q). */
const MODP_GROUPS = {
  'MODP-1024-160': {
    p: 0xb10b8f96a080e01dde92de5eae5d54ec52c99fbcfb06a3c69a6a9dca52d23b616073e28675a23d189838ef1e2ee652c013ecb4aea906112324975c3cd49b83bfaccbdd7d90c4bd7098488e9c219a73724effd6fae5644738faa31a4ff55bccc0a151af5f0dc8b4bd45bf37df365c1a65e68cfda76d4da708df1fb2bc2e4a4371n,
    g: 0xa4d1cbd5c3fd34126765a442efb99905f8104dd258ac507fd6406cff14266d31266fea1e5c41564b777e690f5504f213160217b4b01b886a5e91547f9e2749f4d7fbd7d3b9a92ee1909d0d2263f80a76a6a24c087a091f531dbf0a0169b6a28ad662a4d18e73afa32d779d5918d08bc8858f4dcef97c2a24855e6eeb22b3b2e5n,
    q: 0xf518aa8781a8df278aba4e7d64b7cb9d49462353n,
  },
  'MODP-2048-224': {
    p: 0xad107e1e9123a9d0d660faa79559c51fa20d64e5683b9fd1b54b1597b61d0a75e6fa141df95a56dbaf9a3c407ba1df15eb3d688a309c180e1de6b85a1274a0a66d3f8152ad6ac2129037c9edefda4df8d91e8fef55b7394b7ad5b7d0b6c12207c9f98d11ed34dbf6c6ba0b2c8bbc27be6a00e0a0b9c49708b3bf8a317091883681286130bc8985db1602e714415d9330278273c7de31efdc7310f7121fd5a07415987d9adc0a486dcdf93acc44328387315d75e198c641a480cd86a1b9e587e8be60e69cc928b2b9c52172e413042e9b23f10b0e16e79763c9b53dcf4ba80a29e3fb73c16b8e75b97ef363e2ffa31f71cf9de5384e71b81c0ac4dffe0c10e64fn,
    g: 0xac4032ef4f2d9ae39df30b5c8ffdac506cdebe7b89998caf74866a08cfe4ffe3a6824a4e10b9a6f0dd921f01a70c4afaab739d7700c29f52c57db17c620a8652be5e9001a8d66ad7c17669101999024af4d027275ac1348bb8a762d0521bc98ae247150422ea1ed409939d54da7460cdb5f6c6b250717cbef180eb34118e98d119529a45d6f834566e3025e316a330efbb77a86f0c1ab15b051ae3d428c8f8acb70a8137150b8eeb10e183edd19963ddd9e263e4770589ef6aa21e7f5f2ff381b539cce3409d13cd566afbb48d6c019181e1bcfe94b30269edfe72fe9b6aa4bd7b5a0f1c71cfff4c19c418e1f6ec017981bc087f2a7065b384b890d3191f2bfan,
    q: 0x801c0d34c58d93fe997177101f80535a4738cebcbf389a99b36371ebn,
  },
  'MODP-2048-256': {
    p: 0x87a8e61db4b6663cffbbd19c651959998ceef608660dd0f25d2ceed4435e3b00e00df8f1d61957d4faf7df4561b2aa3016c3d91134096faa3bf4296d830e9a7c209e0c6497517abd5a8a9d306bcf67ed91f9e6725b4758c022e0b1ef4275bf7b6c5bfc11d45f9088b941f54eb1e59bb8bc39a0bf12307f5c4fdb70c581b23f76b63acae1caa6b7902d52526735488a0ef13c6d9a51bfa4ab3ad8347796524d8ef6a167b5a41825d967e144e5140564251ccacb83e6b486f6b3ca3f7971506026c0b857f689962856ded4010abd0be621c3a3960a54e710c375f26375d7014103a4b54330c198af126116d2276e11715f693877fad7ef09cadb094ae91e1a1597n,
    g: 0x3fb32c9b73134d0b2e77506660edbd484ca7b18f21ef205407f4793a1a0ba12510dbc15077be463fff4fed4aac0bb555be3a6c1b0c6b47b1bc3773bf7e8c6f62901228f8c28cbb18a55ae31341000a650196f931c77a57f2ddf463e5e9ec144b777de62aaab8a8628ac376d282d6ed3864e67982428ebc831d14348f6f2f9193b5045af2767164e1dfc967c1fb3f2e55a4bd1bffe83b9c80d052b985d182ea0adb2a3b7313d3fe14c8484b1e052588b9b7d2bbd2df016199ecd06e1557cd0915b3353bbb64e0ec377fd028370df92b52c7891428cdc67eb6184b523d1db246c32f63078490f00ef8d647d148d47954515e2327cfef98c582664b4c0f6cc41659n,
    q: 0x8cf83642a709a097b447997640129da299b1a47d1eb3750ba308b0fe64f5fbd3n,
  },
} as const;

/** An elliptic-curve PACE domain. */
export interface ECDomain {
  readonly kind: 'ec';
  readonly parameterId: number;
  readonly name: string;
  readonly Point: WeierstrassPointCons<bigint>;
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly n: bigint;
  /** Length of a field element in bytes (coordinates of an uncompressed point). */
  readonly fieldLength: number;
  /** Length of the group order in bytes (private keys). */
  readonly orderLength: number;
}

/** A finite-field Diffie-Hellman PACE domain. */
export interface DHDomain {
  readonly kind: 'dh';
  readonly parameterId: number;
  readonly name: string;
  readonly p: bigint;
  readonly g: bigint;
  readonly q: bigint;
  /** Length of p in bytes (public keys). */
  readonly fieldLength: number;
  /** Length of q in bytes (private keys). */
  readonly orderLength: number;
}

export type PACEDomain = ECDomain | DHDomain;

const byteLen = (n: bigint): number => Math.ceil(n.toString(2).length / 8);

function ecDomain(parameterId: number, name: string, Point: WeierstrassPointCons<bigint>): ECDomain {
  const c = Point.CURVE();
  return {
    kind: 'ec',
    parameterId,
    name,
    Point,
    p: c.p,
    a: c.a,
    b: c.b,
    n: c.n,
    fieldLength: byteLen(c.p),
    orderLength: byteLen(c.n),
  };
}

function dhDomain(parameterId: number, name: keyof typeof MODP_GROUPS): DHDomain {
  const { p, g, q } = MODP_GROUPS[name];
  return { kind: 'dh', parameterId, name, p, g, q, fieldLength: byteLen(p), orderLength: byteLen(q) };
}

const explicit = (name: keyof typeof EXPLICIT_CURVES): WeierstrassPointCons<bigint> =>
  weierstrass<bigint>(EXPLICIT_CURVES[name]);

/** The standardized domain parameter names by PACE parameterId (Doc 9303 Part 11 §9.5.1). */
export const PACE_PARAMETER_NAMES = {
  0: 'MODP-1024-160',
  1: 'MODP-2048-224',
  2: 'MODP-2048-256',
  8: 'P-192',
  9: 'brainpoolP192r1',
  10: 'P-224',
  11: 'brainpoolP224r1',
  12: 'P-256',
  13: 'brainpoolP256r1',
  14: 'brainpoolP320r1',
  15: 'P-384',
  16: 'brainpoolP384r1',
  17: 'brainpoolP512r1',
  18: 'P-521',
} as const;

const FACTORIES: Record<number, () => PACEDomain> = {
  0: () => dhDomain(0, 'MODP-1024-160'),
  1: () => dhDomain(1, 'MODP-2048-224'),
  2: () => dhDomain(2, 'MODP-2048-256'),
  8: () => ecDomain(8, 'P-192', explicit('P-192')),
  9: () => ecDomain(9, 'brainpoolP192r1', explicit('brainpoolP192r1')),
  10: () => ecDomain(10, 'P-224', explicit('P-224')),
  11: () => ecDomain(11, 'brainpoolP224r1', explicit('brainpoolP224r1')),
  12: () => ecDomain(12, 'P-256', p256.Point),
  13: () => ecDomain(13, 'brainpoolP256r1', brainpoolP256r1.Point),
  14: () => ecDomain(14, 'brainpoolP320r1', explicit('brainpoolP320r1')),
  15: () => ecDomain(15, 'P-384', p384.Point),
  16: () => ecDomain(16, 'brainpoolP384r1', brainpoolP384r1.Point),
  17: () => ecDomain(17, 'brainpoolP512r1', brainpoolP512r1.Point),
  18: () => ecDomain(18, 'P-521', p521.Point),
};
const CACHE = new Map<number, PACEDomain>();

/**
 * The standardized domain parameters for a PACE parameterId.
 *
 * @throws ReaderError `ERR_PROTOCOL_UNSUPPORTED` for a reserved or unknown id
 * @example
 * const d = paceDomain(13); // brainpoolP256r1
 */
export function paceDomain(parameterId: number): PACEDomain {
  let d = CACHE.get(parameterId);
  if (!d) {
    const make = FACTORIES[parameterId];
    if (!make)
      throw new ReaderError(
        'ERR_PROTOCOL_UNSUPPORTED',
        `pace: unknown standardized domain parameters ${parameterId}`,
      );
    d = make();
    CACHE.set(parameterId, d);
  }
  return d;
}

/** A curve domain for a curve given by name (Chip Authentication keys in DG14 name their curve). */
export function ecDomainByName(name: string): ECDomain | undefined {
  for (const [id, n] of Object.entries(PACE_PARAMETER_NAMES)) {
    if (n === name) {
      const d = paceDomain(Number(id));
      return d.kind === 'ec' ? d : undefined;
    }
  }
  return undefined;
}

/** A curve domain matching explicit curve parameters (p, a, b, n), when one of the table's curves. */
export function ecDomainByParams(p: bigint, a: bigint, b: bigint, n: bigint): ECDomain | undefined {
  for (const id of [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]) {
    const d = paceDomain(id) as ECDomain;
    if (d.p === p && d.a === a && d.b === b && d.n === n) return d;
  }
  return undefined;
}

// ── keys ───────────────────────────────────────────────────────────────────

/**
 * A private key in [1, order) from `random` (rejection sampling; the first draw is used as is when in
 * range, so a test can inject a known key).
 */
export function privateKey(domain: PACEDomain, random: (n: number) => Uint8Array): bigint {
  const order = domain.kind === 'ec' ? domain.n : domain.q;
  const bits = order.toString(2).length;
  const mask = (1n << BigInt(bits)) - 1n;
  for (let i = 0; i < 64; i++) {
    // Bits above the order's length are dropped (P-521's order has 521 bits in 66 bytes).
    const k = bytesToBigInt(random(domain.orderLength)) & mask;
    if (k > 0n && k < order) return k;
  }
  throw new ReaderError('ERR_PROTOCOL_UNSUPPORTED', 'pace: the random source gives no usable private key');
}

/** Uncompressed encoding 04 ‖ x ‖ y. */
export function encodePoint(domain: ECDomain, point: ECPoint): Uint8Array {
  const { x, y } = point.toAffine();
  const out = new Uint8Array(1 + 2 * domain.fieldLength);
  out[0] = 0x04;
  out.set(bigIntToBytes(x, domain.fieldLength), 1);
  out.set(bigIntToBytes(y, domain.fieldLength), 1 + domain.fieldLength);
  return out;
}

/**
 * Decodes and validates an uncompressed point: on the curve, not the point at infinity.
 *
 * @throws ReaderError `ERR_SECURE_MESSAGING` for an invalid point (a chip's key that fails validation)
 */
export function decodePoint(domain: ECDomain, bytes: Uint8Array): ECPoint {
  const L = domain.fieldLength;
  if (bytes.length !== 1 + 2 * L || bytes[0] !== 0x04)
    throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: public key is not an uncompressed point');
  const x = bytesToBigInt(bytes.subarray(1, 1 + L));
  const y = bytesToBigInt(bytes.subarray(1 + L));
  try {
    const P = domain.Point.fromAffine({ x, y });
    P.assertValidity();
    if (P.is0()) throw new Error('infinity');
    return P;
  } catch (cause) {
    throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: public key is not a point of the curve', { cause });
  }
}

/** k·P (k in [1, n)). */
export function ecMultiply(P: ECPoint, k: bigint): ECPoint {
  return P.multiply(k);
}

/** The generator G of a curve domain. */
export function ecGenerator(domain: ECDomain): ECPoint {
  return domain.Point.BASE;
}

/**
 * Validates a DH public value: 1 < y < p − 1 and y^q = 1 (in the prime-order subgroup).
 *
 * @throws ReaderError `ERR_SECURE_MESSAGING` when not
 */
export function checkDHPublic(domain: DHDomain, y: bigint): bigint {
  if (y <= 1n || y >= domain.p - 1n || modPow(y, domain.q, domain.p) !== 1n)
    throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: DH public value is not in the subgroup');
  return y;
}

/** g^x mod p. */
export function dhPower(domain: DHDomain, base: bigint, x: bigint): bigint {
  return modPow(base, x, domain.p);
}

/** A DH public value as the fixed-length big-endian byte string of p's length. */
export function encodeDHPublic(domain: DHDomain, y: bigint): Uint8Array {
  return bigIntToBytes(y, domain.fieldLength);
}

// ── Generic Mapping (§4.4.3.3.1) ──────────────────────────────────────────────

/**
 * ECDH Generic Mapping: G~ = s·G + H, H the shared point of the mapping key agreement.
 *
 * @example
 * const G2 = ecGenericMap(domain, sNonce, ecMultiply(chipMapKey, terminalMapPrivate));
 */
export function ecGenericMap(domain: ECDomain, s: Uint8Array, H: ECPoint): ECPoint {
  const sv = bytesToBigInt(s) % domain.n;
  const G = sv === 0n ? H : domain.Point.BASE.multiply(sv).add(H);
  if (G.is0())
    throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: mapped generator is the point at infinity');
  return G;
}

/** DH Generic Mapping: g~ = g^s · h mod p. */
export function dhGenericMap(domain: DHDomain, s: Uint8Array, h: bigint): bigint {
  const g2 = (modPow(domain.g, bytesToBigInt(s), domain.p) * h) % domain.p;
  if (g2 <= 1n) throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: mapped generator is degenerate');
  return g2;
}

// ── Integrated Mapping (§4.4.3.3.2, Appendix B) ──────────────────────────────

const IM_C = {
  16: {
    c0: 0xa668892a7c41e3ca739f40b057d85904n,
    c1: 0xa4e136ac725f738b01c1f60217c188adn,
  },
  32: {
    c0: 0xd463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676n,
    c1: 0x54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517n,
  },
} as const;

function blockEncrypt(cipher: SMCipher, key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = key.subarray(0, SM_KEY_LENGTH[cipher]);
  return cipher === '3DES'
    ? tdesCbcEncrypt(k, new Uint8Array(8), data)
    : aesCbcEncrypt(k, new Uint8Array(16), data);
}

/**
 * The pseudo-random function R(s, t) of §4.4.3.3.2: key_1 = E(t, s); x_i = E(key_i, c1),
 * key_{i+1} = E(key_i, c0) — enough blocks for log2(p) + 64 bits. 3DES counts as a 128-bit key.
 */
export function imPseudoRandom(cipher: SMCipher, s: Uint8Array, t: Uint8Array, p: bigint): Uint8Array {
  const l = cipher === '3DES' || cipher === 'AES-128' ? 16 : 32;
  const { c0, c1 } = IM_C[l];
  const c0b = bigIntToBytes(c0, l);
  const c1b = bigIntToBytes(c1, l);
  if (t.length < SM_KEY_LENGTH[cipher] || s.length % (cipher === '3DES' ? 8 : 16) !== 0)
    throw new ReaderError(
      'ERR_PROTOCOL_UNSUPPORTED',
      'pace: integrated mapping nonces have unsupported lengths',
    );
  const blocks = Math.ceil((p.toString(2).length + 64) / (l * 8));
  let key = blockEncrypt(cipher, t, s);
  if (key.length < SM_KEY_LENGTH[cipher])
    throw new ReaderError(
      'ERR_PROTOCOL_UNSUPPORTED',
      'pace: integrated mapping nonce too short for the cipher',
    );
  const out = new Uint8Array(blocks * l);
  for (let i = 0; i < blocks; i++) {
    out.set(blockEncrypt(cipher, key, c1b), i * l);
    key = blockEncrypt(cipher, key, c0b);
  }
  return out;
}

/** R_p(s, t) = R(s, t) mod p. */
export function imFieldElement(cipher: SMCipher, s: Uint8Array, t: Uint8Array, p: bigint): bigint {
  return bytesToBigInt(imPseudoRandom(cipher, s, t, p)) % p;
}

const mod = (a: bigint, p: bigint): bigint => {
  const r = a % p;
  return r < 0n ? r + p : r;
};

/**
 * Point encoding of Appendix B.2 (simplified SWU for p ≡ 3 mod 4, after Brier et al.): maps a field
 * element onto the curve. The curves of the table have cofactor 1.
 */
export function ecPointEncode(domain: ECDomain, t: bigint): ECPoint {
  const { p, a, b } = domain;
  if (p % 4n !== 3n)
    throw new ReaderError(
      'ERR_PROTOCOL_UNSUPPORTED',
      `pace: integrated mapping is not defined on ${domain.name}`,
    );
  const inv = (x: bigint) => modPow(mod(x, p), p - 2n, p);
  const alpha = mod(-t * t, p);
  const X2 = mod(-b * inv(a) * (1n + inv(alpha + alpha * alpha)), p);
  const X3 = mod(alpha * X2, p);
  const h2 = mod(X2 * X2 * X2 + a * X2 + b, p);
  const U = mod(t * t * t * h2, p);
  const A = modPow(h2, p - 1n - (p + 1n) / 4n, p);
  const [x, y] = mod(A * A * h2, p) === 1n ? [X2, mod(A * h2, p)] : [X3, mod(A * U, p)];
  const P = domain.Point.fromAffine({ x, y });
  P.assertValidity();
  return P;
}

/**
 * ECDH Integrated Mapping: G~ = PointEncode(R_p(s, t)).
 *
 * @example
 * const G2 = ecIntegratedMap(domain, 'AES-128', s, t);
 */
export function ecIntegratedMap(domain: ECDomain, cipher: SMCipher, s: Uint8Array, t: Uint8Array): ECPoint {
  return ecPointEncode(domain, imFieldElement(cipher, s, t, domain.p));
}

/** DH Integrated Mapping: g~ = R_p(s, t)^((p − 1)/q) mod p. */
export function dhIntegratedMap(domain: DHDomain, cipher: SMCipher, s: Uint8Array, t: Uint8Array): bigint {
  const g2 = modPow(imFieldElement(cipher, s, t, domain.p), (domain.p - 1n) / domain.q, domain.p);
  if (g2 <= 1n) throw new ReaderError('ERR_SECURE_MESSAGING', 'pace: mapped generator is degenerate');
  return g2;
}
