/**
 * DES and two/three-key 3DES (FIPS 46-3, NIST SP 800-67) in CBC mode without padding, and the
 * ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC", DES, padding done by the caller) used by BAC and
 * 3DES secure messaging — Doc 9303 Part 11 §9.8.6.1. Pure JavaScript on `des.js` (no Web Crypto):
 * React Native's Hermes has neither Web Crypto nor Node's crypto.
 */
/// <reference path="./des-js.d.ts" />
import des from 'des.js';
import { ReaderError } from '../errors.ts';

const TDES_CBC = des.CBC.instantiate(des.EDE);
const DES_CBC = des.CBC.instantiate(des.DES);

/** A 16-byte key K1‖K2 becomes K1‖K2‖K1 (keying option 2). */
function ede3Key(key: Uint8Array): Uint8Array {
  if (key.length === 24) return key;
  if (key.length !== 16) throw new ReaderError('ERR_SECURE_MESSAGING', '3des: key must be 16 or 24 bytes');
  const k = new Uint8Array(24);
  k.set(key);
  k.set(key.subarray(0, 8), 16);
  return k;
}

function checkBlocks(iv: Uint8Array, data: Uint8Array): void {
  if (iv.length !== 8) throw new ReaderError('ERR_SECURE_MESSAGING', '3des: IV must be 8 bytes');
  if (data.length % 8 !== 0)
    throw new ReaderError('ERR_SECURE_MESSAGING', '3des: data must be a multiple of 8 bytes');
}

function run(
  cls: typeof TDES_CBC,
  type: 'encrypt' | 'decrypt',
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  checkBlocks(iv, data);
  if (data.length === 0) return new Uint8Array(0);
  const c = cls.create({ type, key, iv, padding: false });
  // des.js holds the last block back when decrypting until final()
  const head = c.update(data);
  const tail = c.final();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * 3DES-EDE CBC encryption, no padding.
 *
 * @param key 16 bytes (K1‖K2, keying option 2) or 24 bytes
 * @example
 * tdesCbcEncrypt(kEnc, new Uint8Array(8), pad(data, 8));
 */
export function tdesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return run(TDES_CBC, 'encrypt', ede3Key(key), iv, data);
}

/**
 * 3DES-EDE CBC decryption, no padding removed.
 *
 * @example
 * unpad(tdesCbcDecrypt(kEnc, new Uint8Array(8), cryptogram));
 */
export function tdesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return run(TDES_CBC, 'decrypt', ede3Key(key), iv, data);
}

/**
 * Single-DES encryption of one 8-byte block (FIPS 46-3).
 *
 * @example
 * desEncryptBlock(fromHex('0123456789abcdef'), fromHex('4e6f772069732074'));
 */
export function desEncryptBlock(key8: Uint8Array, block8: Uint8Array): Uint8Array {
  if (key8.length !== 8 || block8.length !== 8)
    throw new ReaderError('ERR_SECURE_MESSAGING', 'des: key and block must be 8 bytes');
  return run(DES_CBC, 'encrypt', key8, new Uint8Array(8), block8);
}

/**
 * ISO/IEC 9797-1 MAC algorithm 3 with DES (retail MAC): DES-CBC under K1 over every block, then the last
 * block decrypted under K2 and encrypted under K1. The caller pads (ISO/IEC 9797-1 method 2).
 *
 * @param key16 K1‖K2
 * @param data already padded to a multiple of 8 bytes
 * @returns the 8-byte MAC
 * @example
 * retailMac(kMac, pad(concat(ssc, header, dos), 8));
 */
export function retailMac(key16: Uint8Array, data: Uint8Array): Uint8Array {
  if (key16.length !== 16) throw new ReaderError('ERR_SECURE_MESSAGING', 'retail MAC: key must be 16 bytes');
  checkBlocks(new Uint8Array(8), data);
  if (data.length === 0) throw new ReaderError('ERR_SECURE_MESSAGING', 'retail MAC: no data');
  const k1 = key16.subarray(0, 8);
  const k2 = key16.subarray(8, 16);
  const cbc = run(DES_CBC, 'encrypt', k1, new Uint8Array(8), data);
  const last = cbc.subarray(cbc.length - 8);
  const d = run(DES_CBC, 'decrypt', k2, new Uint8Array(8), last);
  return run(DES_CBC, 'encrypt', k1, new Uint8Array(8), d);
}
