/**
 * Secure messaging codec — Doc 9303 Part 11 §9.8 (ISO/IEC 7816-4 §10): the data objects of a protected
 * APDU (DO'87 / DO'85 cryptogram, DO'97 Le, DO'99 status, DO'8E MAC), the send sequence counter, the
 * SM encryption (3DES: IV 0; AES: IV = E(KSenc, SSC)) and MAC (3DES retail MAC, AES-CMAC truncated to
 * 8 bytes) over SSC ‖ data, padded. Pure pieces only: the reader's and the virtual card's SM share them,
 * each makes its own decisions.
 */
import { ReaderError } from '../errors.ts';
import { aesCbcDecrypt, aesCbcEncrypt, aesCmac, aesEncryptBlock } from './aes.ts';
import { retailMac, tdesCbcDecrypt, tdesCbcEncrypt } from './des.ts';
import { SM_BLOCK_LENGTH, type SMCipher } from './kdf.ts';
import { pad } from './padding.ts';

/** Secure messaging session keys. */
export interface SMKeys {
  readonly cipher: SMCipher;
  readonly ksEnc: Uint8Array;
  readonly ksMac: Uint8Array;
}

/** A BER-TLV length field (short form, or 81/82 long form). */
export function berLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  if (n < 0x10000) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  return Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
}

/**
 * A one-byte-tag BER-TLV data object.
 *
 * @example
 * dataObject(0x97, Uint8Array.of(0x04)); // 97 01 04
 */
export function dataObject(tag: number, value: Uint8Array): Uint8Array {
  const len = berLength(value.length);
  const out = new Uint8Array(1 + len.length + value.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(value, 1 + len.length);
  return out;
}

/** One data object of a protected APDU, with its raw encoding (tag, length and value). */
export interface SMDataObject {
  readonly tag: number;
  readonly value: Uint8Array;
  readonly raw: Uint8Array;
}

/**
 * Splits a protected APDU's data field (or response data) into its data objects (one-byte tags).
 *
 * @throws ReaderError `ERR_SECURE_MESSAGING` on a truncated or malformed object
 */
export function parseDataObjects(data: Uint8Array): SMDataObject[] {
  const out: SMDataObject[] = [];
  let i = 0;
  while (i < data.length) {
    const start = i;
    const tag = data[i++]!;
    if (i >= data.length) throw new ReaderError('ERR_SECURE_MESSAGING', 'sm: data object truncated');
    let len = data[i++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || i + n > data.length)
        throw new ReaderError('ERR_SECURE_MESSAGING', 'sm: data object length invalid');
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + data[i++]!;
    }
    if (i + len > data.length) throw new ReaderError('ERR_SECURE_MESSAGING', 'sm: data object truncated');
    out.push({ tag, value: data.subarray(i, i + len), raw: data.subarray(start, i + len) });
    i += len;
  }
  return out;
}

/** DO'87 (padding-content indicator 01 then the cryptogram) — even INS. */
export const do87 = (cryptogram: Uint8Array): Uint8Array => {
  const v = new Uint8Array(cryptogram.length + 1);
  v[0] = 0x01;
  v.set(cryptogram, 1);
  return dataObject(0x87, v);
};

/** DO'85 (the cryptogram, no indicator) — odd INS (e.g. READ BINARY B1). */
export const do85 = (cryptogram: Uint8Array): Uint8Array => dataObject(0x85, cryptogram);

/**
 * DO'97: the expected length Le, one byte (00 = 256) or two (0000 = 65 536).
 */
export const do97 = (le: number, extended = false): Uint8Array =>
  extended || le > 256
    ? dataObject(0x97, Uint8Array.of((le >> 8) & 0xff, le & 0xff))
    : dataObject(0x97, Uint8Array.of(le & 0xff));

/** DO'99: the processing status SW1 SW2. */
export const do99 = (sw: number): Uint8Array => dataObject(0x99, Uint8Array.of(sw >> 8, sw & 0xff));

/** DO'8E: the 8-byte MAC. */
export const do8e = (mac: Uint8Array): Uint8Array => dataObject(0x8e, mac);

/** The send sequence counter plus one (big-endian, wraps). Returns a new array. */
export function incrementSSC(ssc: Uint8Array): Uint8Array {
  const out = ssc.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = (out[i]! + 1) & 0xff;
    if (out[i] !== 0) break;
  }
  return out;
}

function iv(keys: SMKeys, ssc: Uint8Array): Uint8Array {
  return keys.cipher === '3DES' ? new Uint8Array(8) : aesEncryptBlock(keys.ksEnc, ssc);
}

/**
 * Encrypts padded plaintext for DO'87/'85: 3DES-CBC with IV 0, or AES-CBC with IV = E(KSenc, SSC)
 * (the SSC already incremented for this command or response).
 */
export function smEncrypt(keys: SMKeys, ssc: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const padded = pad(plaintext, SM_BLOCK_LENGTH[keys.cipher]);
  return keys.cipher === '3DES'
    ? tdesCbcEncrypt(keys.ksEnc, iv(keys, ssc), padded)
    : aesCbcEncrypt(keys.ksEnc, iv(keys, ssc), padded);
}

/** Decrypts a DO'87/'85 cryptogram (padding left on: the caller unpads). */
export function smDecrypt(keys: SMKeys, ssc: Uint8Array, cryptogram: Uint8Array): Uint8Array {
  const bl = SM_BLOCK_LENGTH[keys.cipher];
  if (cryptogram.length === 0 || cryptogram.length % bl !== 0)
    throw new ReaderError(
      'ERR_SECURE_MESSAGING',
      'sm: cryptogram length is not a multiple of the block size',
    );
  return keys.cipher === '3DES'
    ? tdesCbcDecrypt(keys.ksEnc, iv(keys, ssc), cryptogram)
    : aesCbcDecrypt(keys.ksEnc, iv(keys, ssc), cryptogram);
}

/**
 * The 8-byte SM MAC over pad(SSC ‖ data): retail MAC (3DES) or AES-CMAC truncated to 8 bytes.
 * `data` is the padded header (commands) followed by the data objects, or the response's data objects.
 */
export function smMac(keys: SMKeys, ssc: Uint8Array, data: Uint8Array): Uint8Array {
  const input = new Uint8Array(ssc.length + data.length);
  input.set(ssc);
  input.set(data, ssc.length);
  const padded = pad(input, SM_BLOCK_LENGTH[keys.cipher]);
  return keys.cipher === '3DES' ? retailMac(keys.ksMac, padded) : aesCmac(keys.ksMac, padded).slice(0, 8);
}

/** Constant-time comparison of two MACs. */
export function equalMac(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
