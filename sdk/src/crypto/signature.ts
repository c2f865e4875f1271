/**
 * Signature verification for eMRTD PKI objects (Doc 9303 Part 12 §4.2): RSASSA-PKCS1-v1_5 and
 * RSASSA-PSS (RFC 8017), ECDSA (FIPS 186-4 / BSI TR-03111) with X9.62 DER or plain r||s signatures.
 *
 * Web Crypto does the work wherever it can (NIST curves, RSA with SHA-1/256/384/512); brainpool goes
 * to the runtime's native crypto where it has the curve (`native.ts`: OpenSSL in Node), else to
 * noble; and a BigInt RSA path covers what Web Crypto refuses
 * (SHA-224, PSS with a different MGF1 hash). Without Web Crypto at all (React Native's Hermes) every
 * signature takes the JS paths. ICAO signatures are not low-S normalised: high S is valid.
 */
import { invert, mod } from '@noble/curves/abstract/modular.js';
import { parseOne, Reader, readBigInt, readInt, readOID, TAG } from '../asn1/der.ts';
import { OID } from '../asn1/oid.ts';
import { CryptoError } from '../errors.ts';
import {
  bigIntToBytes,
  bufferSource,
  bytesToBigInt,
  concat,
  equalBytes,
  fromLatin1,
  modPow,
  toBase64Url,
} from '../lib/bytes.ts';
import { curveId, WEBCRYPTO_CURVES } from './curves.ts';
import { digest, HASH_LENGTH, type HashName, hashFromOID } from './hash.ts';
import {
  type AlgorithmIdentifier,
  type ECPublicKey,
  type PublicKey,
  pointConstructor,
  type RSAPublicKey,
} from './keys.ts';
import { verifyECDSANative } from './native.ts';
import { subtle } from './webcrypto.ts';

/** A signature scheme resolved from an AlgorithmIdentifier. */
export type SignatureScheme =
  | { kind: 'rsa-pkcs1'; hash: HashName }
  | { kind: 'rsa-pss'; hash: HashName; mgfHash: HashName; saltLength: number }
  | { kind: 'ecdsa'; hash: HashName; format: 'der' | 'plain' };

const RSA_PKCS1: Readonly<Record<string, HashName>> = {
  [OID.sha1WithRSAEncryption]: 'SHA-1',
  [OID.sha224WithRSAEncryption]: 'SHA-224',
  [OID.sha256WithRSAEncryption]: 'SHA-256',
  [OID.sha384WithRSAEncryption]: 'SHA-384',
  [OID.sha512WithRSAEncryption]: 'SHA-512',
};
const ECDSA_DER: Readonly<Record<string, HashName>> = {
  [OID.ecdsaWithSHA1]: 'SHA-1',
  [OID.ecdsaWithSHA224]: 'SHA-224',
  [OID.ecdsaWithSHA256]: 'SHA-256',
  [OID.ecdsaWithSHA384]: 'SHA-384',
  [OID.ecdsaWithSHA512]: 'SHA-512',
};
const ECDSA_PLAIN: Readonly<Record<string, HashName>> = {
  [OID.ecdsaPlainSHA1]: 'SHA-1',
  [OID.ecdsaPlainSHA224]: 'SHA-224',
  [OID.ecdsaPlainSHA256]: 'SHA-256',
  [OID.ecdsaPlainSHA384]: 'SHA-384',
  [OID.ecdsaPlainSHA512]: 'SHA-512',
};

/** RSASSA-PSS-params (RFC 4055 §3.1), with the RFC's defaults (SHA-1, MGF1-SHA-1, salt 20). */
function readPSSParams(alg: AlgorithmIdentifier): SignatureScheme {
  let hash: HashName = 'SHA-1';
  let mgfHash: HashName = 'SHA-1';
  let saltLength = 20;
  if (alg.params && alg.params.id === TAG.SEQUENCE) {
    const r = new Reader(alg.params, { der: false });
    const h = r.optional(0xa0);
    if (h)
      hash = hashFromOID(
        readOID(new Reader(parseOne(h.value, { der: false }), { der: false }).next(TAG.OID)),
      );
    const m = r.optional(0xa1);
    if (m) {
      const mr = new Reader(parseOne(m.value, { der: false }), { der: false });
      if (readOID(mr.next(TAG.OID)) !== OID.mgf1)
        throw new CryptoError('ERR_ALG_UNSUPPORTED', 'pss: unsupported mask generation');
      mgfHash = hashFromOID(readOID(new Reader(mr.next(TAG.SEQUENCE), { der: false }).next(TAG.OID)));
    }
    const s = r.optional(0xa2);
    if (s) saltLength = readInt(parseOne(s.value, { der: false }));
    const t = r.optional(0xa3);
    if (t && readBigInt(parseOne(t.value, { der: false })) !== 1n)
      throw new CryptoError('ERR_ALG_UNSUPPORTED', 'pss: unsupported trailer field');
  }
  if (saltLength < 0 || saltLength > 512)
    throw new CryptoError('ERR_ALG_UNSUPPORTED', 'pss: bad salt length');
  return { kind: 'rsa-pss', hash, mgfHash, saltLength };
}

/**
 * The scheme an AlgorithmIdentifier names. `digestHint` is the CMS digestAlgorithm, for SignerInfos
 * that name only the key type (`rsaEncryption`, `id-ecPublicKey`) as signature algorithm.
 */
export function signatureScheme(alg: AlgorithmIdentifier, digestHint?: HashName): SignatureScheme {
  const pkcs1 = RSA_PKCS1[alg.oid];
  if (pkcs1) return { kind: 'rsa-pkcs1', hash: pkcs1 };
  const der = ECDSA_DER[alg.oid];
  if (der) return { kind: 'ecdsa', hash: der, format: 'der' };
  const plain = ECDSA_PLAIN[alg.oid];
  if (plain) return { kind: 'ecdsa', hash: plain, format: 'plain' };
  if (alg.oid === OID.rsassaPss) return readPSSParams(alg);
  if (digestHint && alg.oid === OID.rsaEncryption) return { kind: 'rsa-pkcs1', hash: digestHint };
  if (digestHint && alg.oid === OID.ecPublicKey) return { kind: 'ecdsa', hash: digestHint, format: 'der' };
  throw new CryptoError('ERR_ALG_UNSUPPORTED', `signature: unsupported algorithm ${alg.oid}`);
}

/** Human-readable name of a scheme, e.g. `ecdsa-with-SHA-256`, `rsassa-pss-SHA-256`. */
export function schemeName(s: SignatureScheme): string {
  if (s.kind === 'rsa-pkcs1') return `rsa-pkcs1-v1_5-${s.hash}`;
  if (s.kind === 'rsa-pss') return `rsassa-pss-${s.hash}`;
  return `ecdsa${s.format === 'plain' ? '-plain' : ''}-${s.hash}`;
}

// ---- key import caches: one DS key signs thousands of cards ----

const MAX_CACHE = 512;
const keyCache = new Map<string, Promise<CryptoKey>>();

function cached(id: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let k = keyCache.get(id);
  if (!k) {
    if (keyCache.size >= MAX_CACHE) keyCache.delete(keyCache.keys().next().value as string);
    k = make();
    // A failed import must not poison the cache.
    k.catch(() => keyCache.delete(id));
    keyCache.set(id, k);
  }
  return k;
}

function rsaKey(s: SubtleCrypto, key: RSAPublicKey, algorithm: RsaHashedImportParams): Promise<CryptoKey> {
  const id = `${algorithm.name}/${algorithm.hash as string}/${fromLatin1(key.spki)}`;
  return cached(id, () =>
    s.importKey(
      'jwk',
      { kty: 'RSA', n: toBase64Url(bigIntToBytes(key.n)), e: toBase64Url(bigIntToBytes(key.e)), ext: true },
      algorithm,
      false,
      ['verify'],
    ),
  );
}

function ecKey(s: SubtleCrypto, key: ECPublicKey): Promise<CryptoKey> {
  const id = `EC/${key.curve.name}/${fromLatin1(key.point)}`;
  return cached(id, () =>
    s.importKey('raw', bufferSource(key.point), { name: 'ECDSA', namedCurve: key.curve.name }, false, [
      'verify',
    ]),
  );
}

// ---- ECDSA ----

/** X9.62 Ecdsa-Sig-Value (DER) → plain r||s of `len`-byte halves; undefined when malformed. */
export function derToPlain(sig: Uint8Array, len: number): Uint8Array | undefined {
  try {
    const r = Reader.of(sig, TAG.SEQUENCE, { der: false });
    const rv = readBigInt(r.next(TAG.INTEGER));
    const sv = readBigInt(r.next(TAG.INTEGER));
    r.end();
    if (rv <= 0n || sv <= 0n) return undefined;
    return concat(bigIntToBytes(rv, len), bigIntToBytes(sv, len));
  } catch {
    return undefined;
  }
}

type Point = ReturnType<ReturnType<typeof pointConstructor>['fromBytes']>;

/** A public key as a curve point; after its second use, with a precomputed multiplication table. */
interface CachedPoint {
  point: Point;
  uses: number;
}
const pointCache = new Map<string, CachedPoint>();
const PRECOMPUTE_WINDOW = 8;

function cachedPoint(key: ECPublicKey): Point {
  const id = `${curveId(key.curve)}/${fromLatin1(key.point)}`;
  let c = pointCache.get(id);
  if (!c) {
    if (pointCache.size >= MAX_CACHE) pointCache.delete(pointCache.keys().next().value as string);
    c = { point: pointConstructor(key.curve).fromBytes(key.point), uses: 0 };
    pointCache.set(id, c);
  }
  // One Document Signer key verifies thousands of SODs: from its second use on, a window table
  // makes u2·Q ~3–6× cheaper. One-off keys (each card's AA key) skip the table's set-up cost.
  if (++c.uses === 2) c.point.precompute(PRECOMPUTE_WINDOW, false);
  return c.point;
}

/**
 * ECDSA verification (FIPS 186-5 §6.4.2) over a precomputed digest with noble's point arithmetic,
 * for curves Web Crypto lacks. High S is accepted (ICAO signatures are not normalised).
 */
function verifyECDSANoble(key: ECPublicKey, digestBytes: Uint8Array, plain: Uint8Array): boolean {
  const { n } = key.curve.params;
  const len = key.curve.orderLength;
  const r = bytesToBigInt(plain.subarray(0, len));
  const s = bytesToBigInt(plain.subarray(len));
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  // bits2int: the leftmost bitlen(n) bits of the digest.
  let e = bytesToBigInt(digestBytes);
  const excess = digestBytes.length * 8 - n.toString(2).length;
  if (excess > 0) e >>= BigInt(excess);
  const w = invert(s, n);
  const u1 = mod(e * w, n);
  const u2 = mod(r * w, n);
  const Q = cachedPoint(key);
  const R = pointConstructor(key.curve).BASE.multiplyUnsafe(u1).add(Q.multiplyUnsafe(u2));
  if (R.is0()) return false;
  return mod(R.toAffine().x, n) === r;
}

/**
 * Verifies an ECDSA signature over `message`, hashing with `hash`.
 *
 * @example
 * const ok = await verifyECDSA(dg15.key, 'SHA-256', challenge, rs, 'plain');
 */
export async function verifyECDSA(
  key: ECPublicKey,
  hash: HashName,
  message: Uint8Array,
  signature: Uint8Array,
  format: 'der' | 'plain',
): Promise<boolean> {
  const len = key.curve.orderLength;
  const plain = format === 'der' ? derToPlain(signature, len) : signature;
  if (!plain || plain.length !== 2 * len) return false;
  const s = subtle();
  if (s && WEBCRYPTO_CURVES.has(key.curve.name) && hash !== 'SHA-224') {
    const k = await ecKey(s, key);
    return s.verify({ name: 'ECDSA', hash }, k, bufferSource(plain), bufferSource(message));
  }
  const native = verifyECDSANative(key, hash, message, plain);
  if (native !== undefined) return native;
  const h = await digest(hash, message);
  try {
    return verifyECDSANoble(key, h, plain);
  } catch {
    return false;
  }
}

// ---- RSA ----

/** RSAVP1 (RFC 8017 §5.2.2): s^e mod n as a k-byte string; undefined when s ≥ n. */
export function rsaPublic(key: RSAPublicKey, signature: Uint8Array): Uint8Array | undefined {
  const k = Math.ceil(key.bits / 8);
  if (signature.length !== k) return undefined;
  const s = bytesToBigInt(signature);
  if (s >= key.n) return undefined;
  return bigIntToBytes(modPow(s, key.e, key.n), k);
}

const DIGEST_INFO_PREFIX: Readonly<Record<HashName, string>> = {
  'SHA-1': '3021300906052b0e03021a05000414',
  'SHA-224': '302d300d06096086480165030402040500041c',
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};

async function mgf1(hash: HashName, seed: Uint8Array, len: number): Promise<Uint8Array> {
  const out = new Uint8Array(len);
  for (let c = 0, o = 0; o < len; c++) {
    const block = await digest(
      hash,
      concat(seed, Uint8Array.of(c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255)),
    );
    out.set(block.subarray(0, Math.min(block.length, len - o)), o);
    o += block.length;
  }
  return out;
}

/** RSASSA-PKCS1-v1_5 / PSS verification in BigInt (RFC 8017 §8.1.2, §8.2.2, §9.1.2, §9.2). */
async function verifyRSAManual(
  key: RSAPublicKey,
  scheme: Extract<SignatureScheme, { kind: 'rsa-pkcs1' | 'rsa-pss' }>,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const em = rsaPublic(key, signature);
  if (!em) return false;
  const mHash = await digest(scheme.hash, message);
  if (scheme.kind === 'rsa-pkcs1') {
    const prefix = DIGEST_INFO_PREFIX[scheme.hash];
    const t = concat(Uint8Array.from(prefix.match(/../g)!.map((x) => Number.parseInt(x, 16))), mHash);
    if (em.length < t.length + 11) return false;
    const expected = new Uint8Array(em.length).fill(0xff);
    expected[0] = 0;
    expected[1] = 1;
    expected[em.length - t.length - 1] = 0;
    expected.set(t, em.length - t.length);
    return equalBytes(em, expected);
  }
  // EMSA-PSS-VERIFY, emBits = modBits − 1.
  const emBits = key.bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const e = em.subarray(em.length - emLen);
  if (em.length > emLen && em[0] !== 0) return false;
  const hLen = HASH_LENGTH[scheme.hash];
  const sLen = scheme.saltLength;
  if (emLen < hLen + sLen + 2 || e[emLen - 1] !== 0xbc) return false;
  const maskedDB = e.subarray(0, emLen - hLen - 1);
  const h = e.subarray(emLen - hLen - 1, emLen - 1);
  const zeroBits = 8 * emLen - emBits;
  if (zeroBits > 0 && maskedDB[0]! >> (8 - zeroBits) !== 0) return false;
  const dbMask = await mgf1(scheme.mgfHash, h, maskedDB.length);
  const db = maskedDB.map((b, i) => b ^ dbMask[i]!);
  if (zeroBits > 0) db[0]! &= 0xff >> zeroBits;
  const ps = emLen - hLen - sLen - 2;
  for (let i = 0; i < ps; i++) if (db[i] !== 0) return false;
  if (db[ps] !== 1) return false;
  const salt = db.subarray(db.length - sLen);
  const h2 = await digest(scheme.hash, concat(new Uint8Array(8), mHash, salt));
  return equalBytes(h, h2);
}

async function verifyRSA(
  key: RSAPublicKey,
  scheme: Extract<SignatureScheme, { kind: 'rsa-pkcs1' | 'rsa-pss' }>,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const webCryptoOk =
    scheme.hash !== 'SHA-224' &&
    (scheme.kind === 'rsa-pkcs1' || scheme.mgfHash === scheme.hash) &&
    key.bits >= 1024;
  const s = subtle();
  if (!webCryptoOk || !s) return verifyRSAManual(key, scheme, message, signature);
  try {
    if (scheme.kind === 'rsa-pkcs1') {
      const k = await rsaKey(s, key, { name: 'RSASSA-PKCS1-v1_5', hash: scheme.hash });
      return await s.verify('RSASSA-PKCS1-v1_5', k, bufferSource(signature), bufferSource(message));
    }
    const k = await rsaKey(s, key, { name: 'RSA-PSS', hash: scheme.hash });
    return await s.verify(
      { name: 'RSA-PSS', saltLength: scheme.saltLength },
      k,
      bufferSource(signature),
      bufferSource(message),
    );
  } catch {
    // Some runtimes refuse unusual exponents or sizes: fall back to the portable path.
    return verifyRSAManual(key, scheme, message, signature);
  }
}

/**
 * Verifies `signature` over `message` with `key` under `scheme`. Wrong signatures give `false`;
 * a key that does not fit the scheme throws `ERR_ALG_UNSUPPORTED`.
 *
 * @example
 * const scheme = signatureScheme(cert.signatureAlgorithm);
 * const ok = await verifySignature(csca.publicKey, scheme, cert.tbs, cert.signature);
 */
export async function verifySignature(
  key: PublicKey,
  scheme: SignatureScheme,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (scheme.kind === 'ecdsa') {
    if (key.kind !== 'ec')
      throw new CryptoError('ERR_ALG_UNSUPPORTED', 'signature: ECDSA scheme with a non-EC key');
    return verifyECDSA(key, scheme.hash, message, signature, scheme.format);
  }
  if (key.kind !== 'rsa')
    throw new CryptoError('ERR_ALG_UNSUPPORTED', 'signature: RSA scheme with a non-RSA key');
  return verifyRSA(key, scheme, message, signature);
}
