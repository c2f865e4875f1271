/**
 * DG15 — Active Authentication public key info, Doc 9303 Part 10 §4.7.15 / Part 11 §6.1: the
 * chip's AA key as a SubjectPublicKeyInfo (RSA, or EC with named or explicit domain parameters).
 * RSA keys over 4096 bits are refused while parsing (`KEY_LIMITS.rsaMaxBitsAA`).
 */
import { children } from '../asn1/der.ts';
import { KEY_LIMITS, type PublicKey, parseSPKI } from '../crypto/keys.ts';
import { ChipIdError, LDSError } from '../errors.ts';
import { LDS_TAG, readLDSFile } from './lds.ts';

/** Parsed DG15. */
export interface DG15 {
  /** The SubjectPublicKeyInfo DER (view into the input). */
  readonly spki: Uint8Array;
  /** The decoded key. */
  readonly key: PublicKey;
}

/**
 * Parses DG15 (`6F { SubjectPublicKeyInfo }`).
 *
 * @throws LDSError `ERR_LDS_UNEXPECTED_TAG`, `ERR_LDS_INVALID`, `ERR_DG15_INVALID`;
 *   CryptoError `ERR_ALG_UNSUPPORTED` for a key algorithm or curve the SDK does not support, an RSA
 *   modulus over 4096 bits or an exponent of 2¹⁷ or more ({@link KEY_LIMITS})
 * @example
 * const { key } = parseDG15(bytes);
 * key.kind; // 'rsa'
 */
export function parseDG15(bytes: Uint8Array): DG15 {
  const outer = readLDSFile(bytes, LDS_TAG.DG15);
  try {
    const top = children(outer, { der: false });
    const spkiNode = top[0];
    if (!spkiNode || top.length !== 1)
      throw new LDSError('ERR_DG15_INVALID', 'dg15: expected one SubjectPublicKeyInfo');
    return { spki: spkiNode.raw, key: parseSPKI(spkiNode.raw, { maxRSABits: KEY_LIMITS.rsaMaxBitsAA }) };
  } catch (cause) {
    if (cause instanceof LDSError) throw cause;
    if (cause instanceof ChipIdError && cause.code === 'ERR_ALG_UNSUPPORTED') throw cause;
    throw new LDSError('ERR_DG15_INVALID', 'dg15: malformed public key', { cause });
  }
}
