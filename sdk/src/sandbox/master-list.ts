/**
 * Sandbox CSCA master lists — ICAO Doc 9303 Part 12 §9: CMS SignedData (RFC 5652) over a
 * `CscaMasterList { version v0, certList SET OF Certificate }`, signed by a Master List Signer. For
 * tests and for operators rehearsing a master-list import with keys they hold.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { OID } from '../asn1/oid.ts';
import { explicit, int, octets, oid, seq, setOf, time, tlv } from '../asn1/writer.ts';
import { concat } from '../lib/bytes.ts';
import type { IssuedCertificate } from './pki.ts';

/** Input of {@link encodeMasterList}. */
export interface MasterListSpec {
  /** The Master List Signer: its certificate and key (issued with extended key usage 2.23.136.1.1.3). */
  signer: IssuedCertificate;
  /** DER certificates to list (CSCAs and link certificates). */
  cscas: readonly Uint8Array[];
  /** `signingTime` signed attribute (the list's issue date). */
  signingTime: Date;
  /** Extra DER certificates for the CMS `certificates` field (e.g. the signer's CSCA), after the signer's. */
  certificates?: readonly Uint8Array[];
}

const SHA256_ALG = seq(oid(OID.sha256));

/**
 * A DER CSCA master list: `ContentInfo { signedData { version 3, {sha256}, encapContentInfo
 * { id-icao-cscaMasterList, CscaMasterList }, [0] { signer, … }, { SignerInfo v1 (issuerAndSerialNumber;
 * signed attributes contentType, signingTime, messageDigest) } } }`.
 *
 * @example
 * const ml = await encodeMasterList({ signer, cscas: [pki.csca.der], signingTime: new Date() });
 */
export async function encodeMasterList(opts: MasterListSpec): Promise<Uint8Array> {
  const list = seq(int(0), setOf(...opts.cscas));
  const signedAttrsSet = setOf(
    seq(oid(OID.contentType), setOf(oid(OID.cscaMasterList))),
    seq(oid(OID.signingTime), setOf(time(opts.signingTime))),
    seq(oid(OID.messageDigest), setOf(octets(sha256(list)))),
  );
  const signature = await opts.signer.key.sign(signedAttrsSet);
  const signerInfo = seq(
    int(1),
    seq(opts.signer.issuerDER, int(opts.signer.serial)),
    SHA256_ALG,
    concat(Uint8Array.of(0xa0), signedAttrsSet.subarray(1)),
    opts.signer.key.signatureAlgorithm,
    octets(signature),
  );
  const signedData = seq(
    int(3),
    setOf(SHA256_ALG),
    seq(oid(OID.cscaMasterList), explicit(0, octets(list))),
    tlv(0xa0, concat(opts.signer.der, ...(opts.certificates ?? []))),
    setOf(signerInfo),
  );
  return seq(oid(OID.signedData), explicit(0, signedData));
}
