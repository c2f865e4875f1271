/**
 * RSA for the sandbox — deterministic key generation (FIPS 186-5 §A.1.3-style probable primes from a
 * DRBG, Miller–Rabin per FIPS 186-5 §B.3), PKCS#1 v1.5 signatures via Web Crypto (RFC 8017 §8.2) and
 * the raw private-key operation used by ISO/IEC 9796-2 Active Authentication (Doc 9303 Part 11 §6.1).
 *
 * Sandbox keys are public by design: never use these keys, or this generator, for anything real.
 */
import { bigIntToBytes, bytesToBigInt, toBase64Url } from '../lib/bytes.ts';
import type { SandboxRandom } from './random.ts';

/** An RSA private key with its CRT parameters. */
export interface RSAPrivateKey {
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  dp: bigint;
  dq: bigint;
  qi: bigint;
  /** Modulus length in bits. */
  bits: number;
}

const SMALL_PRIMES: number[] = (() => {
  const out: number[] = [];
  const sieve = new Uint8Array(2000);
  for (let i = 2; i < sieve.length; i++) {
    if (sieve[i]) continue;
    out.push(i);
    for (let j = i * i; j < sieve.length; j += i) sieve[j] = 1;
  }
  return out;
})();

/** `b^e mod m` by left-to-right square-and-multiply. */
export function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let result = 1n;
  let base = ((b % m) + m) % m;
  let exp = e;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % m;
    base = (base * base) % m;
    exp >>= 1n;
  }
  return result;
}

/** Modular inverse (extended Euclid); throws when not invertible. */
export function modInv(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new RangeError('rsa: not invertible');
  return ((oldS % m) + m) % m;
}

const gcd = (a: bigint, b: bigint): bigint => {
  let [x, y] = [a, b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

function millerRabin(n: bigint, rounds: number, rnd: SandboxRandom): boolean {
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  const byteLen = Math.ceil(n.toString(16).length / 2);
  for (let i = 0; i < rounds; i++) {
    const a = 2n + (bytesToBigInt(rnd.bytes(byteLen)) % (n - 3n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let j = 1; j < s; j++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

function randomPrime(bits: number, e: bigint, rnd: SandboxRandom): bigint {
  const byteLen = bits / 8;
  for (;;) {
    const raw = rnd.bytes(byteLen);
    // Top two bits set so p·q has exactly 2·bits bits; odd.
    raw[0] = raw[0]! | 0xc0;
    raw[byteLen - 1] = raw[byteLen - 1]! | 1;
    let c = bytesToBigInt(raw);
    // Incremental search from the random start (bounded, then redraw).
    for (let step = 0; step < 4096; step++, c += 2n) {
      if (SMALL_PRIMES.some((sp) => c % BigInt(sp) === 0n)) continue;
      if (gcd(c - 1n, e) !== 1n) continue;
      // FIPS 186-5 Table B.1: 5 rounds suffice for 1024-bit primes (error < 2^-100); 4 for 1536+.
      if (millerRabin(c, bits >= 1024 ? 5 : 7, rnd)) return c;
    }
  }
}

/**
 * Generates an RSA key of `bits` (1024, 2048…) with e = 65537 from `rnd` (deterministic when `rnd` is
 * seeded). Slow in pure JS for 2048 bits (a few hundred ms): cache the result.
 *
 * @example
 * const key = generateRSAKey(1024, createRandom('aa-key'));
 */
export function generateRSAKey(bits: number, rnd: SandboxRandom): RSAPrivateKey {
  if (bits % 16 !== 0 || bits < 512) throw new RangeError('rsa: unsupported key size');
  const e = 65537n;
  for (;;) {
    const p = randomPrime(bits / 2, e, rnd);
    const q = randomPrime(bits / 2, e, rnd);
    if (p === q) continue;
    if ((p * q).toString(2).length !== bits) continue;
    return rsaKeyFromPrimes(p, q, e);
  }
}

/**
 * The RSA private key (RFC 8017 §3.2, CRT form) of primes `p` and `q` and exponent `e`.
 *
 * @example
 * const key = rsaKeyFromPrimes(p, q);
 */
export function rsaKeyFromPrimes(p: bigint, q: bigint, e = 65537n): RSAPrivateKey {
  const [hi, lo] = p > q ? [p, q] : [q, p];
  const n = hi * lo;
  const lambda = ((hi - 1n) * (lo - 1n)) / gcd(hi - 1n, lo - 1n);
  const d = modInv(e, lambda);
  return {
    n,
    e,
    d,
    p: hi,
    q: lo,
    dp: d % (hi - 1n),
    dq: d % (lo - 1n),
    qi: modInv(lo, hi),
    bits: n.toString(2).length,
  };
}

/** `m^d mod n` with the CRT (RFC 8017 §5.1.2 RSASP1). */
export function rsaPrivate(key: RSAPrivateKey, m: bigint): bigint {
  if (m < 0n || m >= key.n) throw new RangeError('rsa: message representative out of range');
  const m1 = modPow(m, key.dp, key.p);
  const m2 = modPow(m, key.dq, key.q);
  const h = (key.qi * (((m1 - m2) % key.p) + key.p)) % key.p;
  return m2 + h * key.q;
}

/** Unsigned big-endian bytes of `n` in exactly `len` octets. */
export const i2osp = (n: bigint, len: number): Uint8Array => bigIntToBytes(n, len);

/** The key as a private JWK (RFC 7518 §6.3) for `crypto.subtle.importKey`. */
export function rsaPrivateJWK(key: RSAPrivateKey): JsonWebKey {
  const len = key.bits / 8;
  const half = len / 2;
  const b = (v: bigint, l?: number) => toBase64Url(l === undefined ? bigIntToBytes(v) : bigIntToBytes(v, l));
  return {
    kty: 'RSA',
    n: b(key.n, len),
    e: b(key.e),
    d: b(key.d, len),
    p: b(key.p, half),
    q: b(key.q, half),
    dp: b(key.dp, half),
    dq: b(key.dq, half),
    qi: b(key.qi, half),
    ext: true,
  };
}

const subtleKeys = new WeakMap<RSAPrivateKey, Promise<CryptoKey>>();

/**
 * RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.1) through Web Crypto.
 *
 * @example
 * const sig = await rsaSignPKCS1(key, tbsCertificate);
 */
export async function rsaSignPKCS1(key: RSAPrivateKey, data: Uint8Array): Promise<Uint8Array> {
  let k = subtleKeys.get(key);
  if (!k) {
    k = crypto.subtle.importKey(
      'jwk',
      rsaPrivateJWK(key),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    subtleKeys.set(key, k);
  }
  const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', await k, data as Uint8Array<ArrayBuffer>);
  return new Uint8Array(sig);
}
