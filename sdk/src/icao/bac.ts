/**
 * Doc 9303 Part 11 §9.7 — BAC key derivation: K_seed from the MRZ information (§9.7.1), and the
 * 3DES session keys K_enc (counter 1) and K_MAC (counter 2) with odd DES parity (§9.7.1.1).
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { LDSError } from '../errors.ts';
import { ascii, concat } from '../lib/bytes.ts';

/** The BAC document basic access keys. */
export interface BACKeys {
  /** First 16 bytes of SHA-1(MRZ information). */
  readonly kSeed: Uint8Array;
  /** 2-key 3DES encryption key (16 bytes, odd parity). */
  readonly kEnc: Uint8Array;
  /** 2-key 3DES MAC key (16 bytes, odd parity). */
  readonly kMac: Uint8Array;
}

/** Sets the low bit of each byte so that every byte has an odd number of 1 bits (DES parity). */
export function adjustParity(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) {
    const b = key[i]! & 0xfe;
    let ones = 0;
    for (let v = b; v; v >>= 1) ones += v & 1;
    out[i] = ones % 2 === 0 ? b | 1 : b;
  }
  return out;
}

/**
 * Key derivation function of Doc 9303 Part 11 §9.7.1 for 3DES: SHA-1(K_seed || c) truncated to
 * 16 bytes, parity adjusted.
 */
export function deriveKey3DES(kSeed: Uint8Array, counter: number): Uint8Array {
  const c = Uint8Array.of(
    (counter >>> 24) & 0xff,
    (counter >>> 16) & 0xff,
    (counter >>> 8) & 0xff,
    counter & 0xff,
  );
  return adjustParity(sha1(concat(kSeed, c)).subarray(0, 16));
}

/**
 * Derives the BAC keys from the MRZ information (document number + check digit, date of birth +
 * check digit, date of expiry + check digit; see `mrzInformation`).
 *
 * @throws LDSError `ERR_MRZ_INVALID` when the string holds characters outside `0-9A-Z<`
 * @example
 * const { kEnc, kMac } = deriveBACKeys('L898902C<369080619406236');
 * toHex(kEnc); // 'ab94fdecf2674fdfb9b391f85d7f76f2' (Part 11 Appendix D.2)
 */
export function deriveBACKeys(mrzInformation: string): BACKeys {
  if (!/^[0-9A-Z<]{24,}$/.test(mrzInformation))
    throw new LDSError('ERR_MRZ_INVALID', 'bac: MRZ information must be at least 24 MRZ characters');
  const kSeed = sha1(ascii(mrzInformation)).slice(0, 16);
  return { kSeed, kEnc: deriveKey3DES(kSeed, 1), kMac: deriveKey3DES(kSeed, 2) };
}
