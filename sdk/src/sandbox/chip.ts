/**
 * Virtual chip — answers INTERNAL AUTHENTICATE (ISO/IEC 7816-4 §11.5.2) the way an eMRTD chip does for
 * Active Authentication (ICAO Doc 9303 Part 11 §6.1):
 * - EC keys: ECDSA over SHA-256(challenge), plain `r || s` encoding (BSI TR-03111 §5.2.1), as announced
 *   by DG14's ActiveAuthenticationInfo (ecdsa-plain-SHA256);
 * - RSA keys: ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery, SHA-1 and
 *   trailer 0xBC: F = 6A || M1 || SHA-1(M1 || challenge) || BC, M1 random of the maximal length,
 *   s = F^d mod n, answered as min(s, n − s).
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ChipIdError } from '../errors.ts';
import { bytesToBigInt, concat } from '../lib/bytes.ts';
import type { ECKey, RSAKey } from './keys.ts';
import { createRandom, type SandboxRandom } from './random.ts';
import { i2osp, rsaPrivate } from './rsa.ts';

/** A chip's Active Authentication private key. */
export type AAPrivateKey = ECKey | RSAKey;

/**
 * ISO/IEC 9796-2 scheme 1 signature (SHA-1, implicit trailer 0xBC) with partial recovery of `m1`.
 * `m1` must be exactly `k/8 − 22` bytes for a k-bit modulus.
 */
export function iso9796d2Sign(key: RSAKey, m1: Uint8Array, m2: Uint8Array): Uint8Array {
  const k = key.rsa.bits;
  const len = k / 8;
  if (k % 8 !== 0 || m1.length !== len - 22)
    throw new ChipIdError('ERR_SANDBOX', 'sandbox: 9796-2 message length mismatch');
  const f = concat(Uint8Array.of(0x6a), m1, sha1(concat(m1, m2)), Uint8Array.of(0xbc));
  const s = rsaPrivate(key.rsa, bytesToBigInt(f));
  const t = key.rsa.n - s;
  return i2osp(s < t ? s : t, len);
}

/**
 * A chip holding an Active Authentication key.
 *
 * @example
 * const { chip } = await makeCard({ profile: 'valid', seed: 1 });
 * const signature = await chip!.internalAuthenticate(challenge);
 */
export class VirtualChip {
  readonly #key: AAPrivateKey;
  readonly #rnd: SandboxRandom;

  /** `rnd` feeds the 9796-2 M1 padding (seed it for reproducible RSA answers). */
  constructor(key: AAPrivateKey, rnd: SandboxRandom = createRandom()) {
    this.#key = key;
    this.#rnd = rnd;
  }

  /** SubjectPublicKeyInfo of the key this chip signs with (differs from DG15 on a clone). */
  get publicKeyInfo(): Uint8Array {
    return this.#key.spki;
  }

  /** Key kind: `p256`, `brainpoolP256r1` or `rsa`. */
  get keyKind(): AAPrivateKey['kind'] {
    return this.#key.kind;
  }

  /** The answer to INTERNAL AUTHENTICATE with `challenge` (normally 8 bytes; any length is signed). */
  async internalAuthenticate(challenge: Uint8Array): Promise<Uint8Array> {
    const key = this.#key;
    if (key.kind === 'rsa') return iso9796d2Sign(key, this.#rnd.bytes(key.rsa.bits / 8 - 22), challenge);
    return key.signDigestPlain(sha256(challenge));
  }
}
