/**
 * AES (FIPS 197) in CBC mode without padding, one-block ECB encryption (the SM IV = E(KSenc, SSC) and
 * PACE's nonce decryption), and AES-CMAC (RFC 4493, NIST SP 800-38B) — Doc 9303 Part 11 §9.8.6.2 and
 * §9.8.7. Pure JavaScript on `@noble/ciphers` (no Web Crypto).
 */
import { cbc, cmac, ecb } from '@noble/ciphers/aes.js';
import { ReaderError } from '../errors.ts';

function checkKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32)
    throw new ReaderError('ERR_SECURE_MESSAGING', 'aes: key must be 16, 24 or 32 bytes');
}

function checkBlocks(iv: Uint8Array, data: Uint8Array): void {
  if (iv.length !== 16) throw new ReaderError('ERR_SECURE_MESSAGING', 'aes: IV must be 16 bytes');
  if (data.length % 16 !== 0)
    throw new ReaderError('ERR_SECURE_MESSAGING', 'aes: data must be a multiple of 16 bytes');
}

/**
 * AES-CBC encryption, no padding.
 *
 * @example
 * aesCbcEncrypt(ksEnc, aesEncryptBlock(ksEnc, ssc), pad(data, 16));
 */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  checkBlocks(iv, data);
  return cbc(key, iv, { disablePadding: true }).encrypt(data);
}

/**
 * AES-CBC decryption, no padding removed.
 *
 * @example
 * unpad(aesCbcDecrypt(ksEnc, aesEncryptBlock(ksEnc, ssc), cryptogram));
 */
export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  checkBlocks(iv, data);
  return cbc(key, iv, { disablePadding: true }).decrypt(data);
}

/**
 * AES encryption of one 16-byte block.
 *
 * @example
 * const iv = aesEncryptBlock(ksEnc, ssc16);
 */
export function aesEncryptBlock(key: Uint8Array, block16: Uint8Array): Uint8Array {
  checkKey(key);
  if (block16.length !== 16) throw new ReaderError('ERR_SECURE_MESSAGING', 'aes: block must be 16 bytes');
  return ecb(key, { disablePadding: true }).encrypt(block16);
}

/**
 * AES-CMAC (RFC 4493) — the full 16-byte tag; secure messaging and PACE tokens use its first 8 bytes.
 *
 * @example
 * aesCmac(ksMac, concat(ssc, pad(header, 16), dos)).subarray(0, 8);
 */
export function aesCmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  return cmac(data, key);
}
