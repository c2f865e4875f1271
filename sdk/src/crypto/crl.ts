/** Certificate revocation lists (RFC 5280 §5) issued by a CSCA (Doc 9303 Part 12 §7.1.4). */
import { parseOne, Reader, readBitString, readTime, TAG } from '../asn1/der.ts';
import { CryptoError, isChipIdError } from '../errors.ts';
import { equalBytes, toHex } from '../lib/bytes.ts';
import { type AlgorithmIdentifier, readAlgorithmIdentifier } from './keys.ts';
import { type Name, pemToDer, readName } from './x509.ts';

export interface CRL {
  raw: Uint8Array;
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  issuer: Name;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  /** Revoked serial numbers (lower-case hex, no leading zero octets) → revocation date. */
  revoked: Map<string, Date>;
  signature: Uint8Array;
}

/**
 * Parses a DER or PEM X.509 CRL.
 *
 * @example
 * const crl = parseCRL(pemText);
 * crl.revoked.has(ds.serialHex);
 */
export function parseCRL(input: Uint8Array | string): CRL {
  try {
    const der = typeof input === 'string' ? pemToDer(input, 'X509 CRL') : input;
    const top = new Reader(parseOne(der, { der: false }), { der: false });
    const tbsNode = top.next(TAG.SEQUENCE);
    const outerAlgorithm = top.next(TAG.SEQUENCE);
    const signatureAlgorithm = readAlgorithmIdentifier(outerAlgorithm);
    const signature = readBitString(top.next(TAG.BIT_STRING)).bytes;
    top.end();
    const t = new Reader(tbsNode, { der: false });
    t.optional(TAG.INTEGER);
    // RFC 5280 §5.1.1.2: the signed copy of the algorithm must be the outer one.
    if (!equalBytes(t.next(TAG.SEQUENCE).raw, outerAlgorithm.raw))
      throw new CryptoError('ERR_CRL_INVALID', 'crl: signature algorithm differs from its signed copy');
    const issuer = readName(t.next(TAG.SEQUENCE));
    const thisUpdate = readTime(t.next());
    const nu = t.peek();
    let nextUpdate: Date | undefined;
    if (nu && (nu.id === TAG.UTC_TIME || nu.id === TAG.GENERALIZED_TIME)) nextUpdate = readTime(t.next());
    const revoked = new Map<string, Date>();
    const list = t.optional(TAG.SEQUENCE);
    if (list) {
      for (const entry of new Reader(list, { der: false }).rest()) {
        const e = new Reader(entry, { der: false });
        const serial = e.next(TAG.INTEGER);
        const date = readTime(e.next());
        revoked.set(toHex(serial.value).replace(/^(00)+(?=.)/, ''), date);
      }
    }
    return {
      raw: der,
      tbs: tbsNode.raw,
      signatureAlgorithm,
      issuer,
      thisUpdate,
      nextUpdate,
      revoked,
      signature,
    };
  } catch (e) {
    if (isChipIdError(e) && e.code === 'ERR_CRL_INVALID') throw e;
    throw new CryptoError('ERR_CRL_INVALID', 'crl: malformed', { cause: e });
  }
}
