/**
 * Key derivation function of Doc 9303 Part 11 §9.7.1 (BSI TR-03110 Part 3 §A.2.3): KDF(K, c) = H(K ‖ c)
 * with a 32-bit big-endian counter c (1 = KSenc, 2 = KSmac, 3 = the PACE password key Kπ);
 * SHA-1 for 3DES (16 bytes, DES parity adjusted) and AES-128 (16 bytes), SHA-256 for AES-192 (24 bytes)
 * and AES-256 (32 bytes).
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { adjustParity } from '../../icao/bac.ts';

/** The block ciphers of secure messaging. */
export type SMCipher = '3DES' | 'AES-128' | 'AES-192' | 'AES-256';

/** Key length in bytes per cipher. */
export const SM_KEY_LENGTH = { '3DES': 16, 'AES-128': 16, 'AES-192': 24, 'AES-256': 32 } as const;

/** Block length in bytes per cipher (the SM padding block and the SSC length). */
export const SM_BLOCK_LENGTH = { '3DES': 8, 'AES-128': 16, 'AES-192': 16, 'AES-256': 16 } as const;

/**
 * Derives a key from a shared secret (or the PACE password's f(π)).
 *
 * @param counter 1 = encryption key, 2 = MAC key, 3 = PACE password key Kπ
 * @example
 * const ksEnc = kdf(sharedSecretX, 1, 'AES-128');
 */
export function kdf(secret: Uint8Array, counter: 1 | 2 | 3, cipher: SMCipher): Uint8Array {
  const input = new Uint8Array(secret.length + 4);
  input.set(secret);
  input[input.length - 1] = counter;
  switch (cipher) {
    case '3DES':
      return adjustParity(sha1(input).subarray(0, 16));
    case 'AES-128':
      return sha1(input).slice(0, 16);
    case 'AES-192':
      return sha256(input).slice(0, 24);
    case 'AES-256':
      return sha256(input);
  }
}
