/**
 * Sandbox signing keys — RSA (RFC 8017), ECDSA on P-256 (FIPS 186-5) and brainpoolP256r1 (RFC 5639),
 * with their SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, RFC 3279, RFC 5480) and X.509/CMS signature
 * algorithm identifiers (RFC 4055 §5, RFC 5758 §3.2).
 *
 * ECDSA signatures are deterministic (RFC 6979, via @noble/curves) so seeded output is byte-stable.
 */
import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { OID } from '../asn1/oid.ts';
import { bitString, int, nul, oid, seq } from '../asn1/writer.ts';
import { ecSPKI } from '../crypto/keys.ts';
import type { SandboxRandom } from './random.ts';
import { generateRSAKey, type RSAPrivateKey, rsaSignPKCS1 } from './rsa.ts';

/** Key kinds the sandbox issues. */
export type KeyKind = 'rsa' | 'p256' | 'brainpoolP256r1';

/** A private key able to sign X.509 TBS structures, CRLs and CMS signed attributes. */
export interface SandboxKey {
  readonly kind: KeyKind;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** DER AlgorithmIdentifier of the signature this key makes (sha256WithRSAEncryption / ecdsa-with-SHA256). */
  readonly signatureAlgorithm: Uint8Array;
  /** Signature value over `data` (hashing with SHA-256 included): PKCS#1 v1.5 bytes, or ECDSA DER `Ecdsa-Sig-Value`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** An EC private key on a named curve. */
export interface ECKey extends SandboxKey {
  readonly kind: 'p256' | 'brainpoolP256r1';
  readonly secretKey: Uint8Array;
  /** Uncompressed public point `04 || X || Y`. */
  readonly publicPoint: Uint8Array;
  /** Plain signature `r || s` (BSI TR-03111 §5.2.1) over a message digest computed by the caller. */
  signDigestPlain(digest: Uint8Array): Uint8Array;
}

/** An RSA private key. */
export interface RSAKey extends SandboxKey {
  readonly kind: 'rsa';
  readonly rsa: RSAPrivateKey;
}

export const CURVES = {
  p256: { curve: p256, oid: OID.secp256r1 },
  brainpoolP256r1: { curve: brainpoolP256r1, oid: OID.brainpoolP256r1 },
} as const;

const ECDSA_SHA256 = seq(oid(OID.ecdsaWithSHA256));
const RSA_SHA256 = seq(oid(OID.sha256WithRSAEncryption), nul());

/** SubjectPublicKeyInfo for an RSA public key (RFC 3279 §2.3.1). */
export function rsaSPKI(n: bigint, e: bigint): Uint8Array {
  return seq(seq(oid(OID.rsaEncryption), nul()), bitString(seq(int(n), int(e))));
}

/** Wraps an EC secret scalar as a signing key. */
export function ecKeyFromSecret(kind: 'p256' | 'brainpoolP256r1', secretKey: Uint8Array): ECKey {
  const { curve, oid: curveOid } = CURVES[kind];
  const publicPoint = curve.getPublicKey(secretKey, false);
  return {
    kind,
    secretKey,
    publicPoint,
    spki: ecSPKI(curveOid, publicPoint),
    signatureAlgorithm: ECDSA_SHA256,
    // ICAO verifiers accept high-S; RFC 6979 k with low-S normalisation keeps OpenSSL and Web Crypto happy too.
    sign: async (data) => curve.sign(sha256(data), secretKey, { prehash: false, format: 'der' }),
    signDigestPlain: (digest) => curve.sign(digest, secretKey, { prehash: false, format: 'compact' }),
  };
}

/** An EC key whose scalar is drawn from `rnd` (reduced into [1, n-1] per FIPS 186-5 §A.2.1). */
export function generateECKey(kind: 'p256' | 'brainpoolP256r1', rnd: SandboxRandom): ECKey {
  const { curve } = CURVES[kind];
  // 48 bytes (≥ field size + 64 bits) make the reduction bias negligible.
  return ecKeyFromSecret(kind, curve.utils.randomSecretKey(rnd.bytes(48)));
}

/** Wraps an RSA private key as a signing key (sha256WithRSAEncryption). */
export function rsaKey(rsa: RSAPrivateKey): RSAKey {
  return {
    kind: 'rsa',
    rsa,
    spki: rsaSPKI(rsa.n, rsa.e),
    signatureAlgorithm: RSA_SHA256,
    sign: (data) => rsaSignPKCS1(rsa, data),
  };
}

/** A key of `kind` from `rnd` (`bits` for RSA, default 2048). */
export function generateKey(kind: KeyKind, rnd: SandboxRandom, bits = 2048): SandboxKey {
  return kind === 'rsa' ? rsaKey(generateRSAKey(bits, rnd)) : generateECKey(kind, rnd);
}
