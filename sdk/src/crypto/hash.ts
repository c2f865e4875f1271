/** Hash functions of Doc 9303 Part 12 §4 (SHA-1/224/256/384/512): Web Crypto, noble for SHA-224. */

import { sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { OID } from '../asn1/oid.ts';
import { CryptoError } from '../errors.ts';
import { bufferSource } from '../lib/bytes.ts';
import { subtle } from './webcrypto.ts';

export type HashName = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export const HASH_OID: Readonly<Record<string, HashName>> = {
  [OID.sha1]: 'SHA-1',
  [OID.sha224]: 'SHA-224',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};

export const HASH_LENGTH: Readonly<Record<HashName, number>> = {
  'SHA-1': 20,
  'SHA-224': 28,
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};

/** Hash name for a digest-algorithm OID; throws `ERR_ALG_UNSUPPORTED` for others. */
export function hashFromOID(oid: string): HashName {
  const h = HASH_OID[oid];
  if (!h) throw new CryptoError('ERR_ALG_UNSUPPORTED', `hash: unsupported digest algorithm ${oid}`);
  return h;
}

/**
 * Digest of `data`.
 *
 * @example
 * const h = await digest('SHA-256', dg1Bytes);
 */
export async function digest(name: HashName, data: Uint8Array): Promise<Uint8Array> {
  // Web Crypto costs ~15–50 µs per call (argument conversion, a thread-pool hop) before hashing a
  // byte; inputs up to 1 KB (DG1, DG13–15, signed attributes, the LDSSecurityObject) are faster in JS.
  const s = subtle();
  if (!s || name === 'SHA-224' || data.length <= SMALL_INPUT) return SYNC[name](data);
  return new Uint8Array(await s.digest(name, bufferSource(data)));
}

const SMALL_INPUT = 1024;

/**
 * Digests remembered per byte array and algorithm: a caller that already hashed the members of a dump
 * (the service, for a multipart body's `chip_digest`) hands the memo to passive authentication, which
 * then hashes a 150 KB face once, not twice. Keyed by the array object (weakly), so the answer is always
 * the hash of that array's bytes — the arrays must not be written to while the memo is in use.
 *
 * @example
 * const memo = createDigestMemo();
 * await memo.digest('SHA-256', dump.dg2); // computed
 * await memo.digest('SHA-256', dump.dg2); // remembered
 */
export interface DigestMemo {
  digest(name: HashName, data: Uint8Array): Promise<Uint8Array>;
}

export function createDigestMemo(): DigestMemo {
  const seen = new WeakMap<Uint8Array, Map<HashName, Promise<Uint8Array>>>();
  return {
    digest(name, data) {
      let per = seen.get(data);
      if (!per) {
        per = new Map();
        seen.set(data, per);
      }
      let h = per.get(name);
      if (!h) {
        h = digest(name, data);
        per.set(name, h);
      }
      return h;
    },
  };
}
const SYNC: Readonly<Record<HashName, (d: Uint8Array) => Uint8Array>> = {
  'SHA-1': sha1,
  'SHA-224': sha224,
  'SHA-256': sha256,
  'SHA-384': sha384,
  'SHA-512': sha512,
};
