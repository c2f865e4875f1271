/**
 * EF.SOD — Document Security Object (Doc 9303 Part 10 §4.6.2, Part 11 §5.1): a CMS SignedData
 * (RFC 5652) wrapping an LDSSecurityObject (OID 2.23.136.1.1.1) with the data group hashes, signed
 * by the Document Signer whose certificate it carries.
 */
import {
  children,
  type Node,
  parseOne,
  Reader,
  readBigInt,
  readInt,
  readOctets,
  readOID,
  readTime,
  TAG,
} from '../asn1/der.ts';
import { OID } from '../asn1/oid.ts';
import { HASH_OID, type HashName, hashFromOID } from '../crypto/hash.ts';
import { type AlgorithmIdentifier, readAlgorithmIdentifier } from '../crypto/keys.ts';
import { type Certificate, type Name, parseCertificate, readName } from '../crypto/x509.ts';
import { type ChipIdError, isChipIdError, LDSError } from '../errors.ts';
import { concat, toHex } from '../lib/bytes.ts';
import { truncatedFile } from './lds.ts';

export interface SignerInfo {
  version: number;
  /** Signer identifier: issuer + serial (v1) or subject key identifier (v3). */
  sid: { issuer: Name; serial: bigint } | { subjectKeyId: Uint8Array };
  digestAlgorithm: HashName;
  /** DER of the signed attributes re-tagged as SET OF (what the signature covers). */
  signedAttributes: Uint8Array | undefined;
  contentType: string | undefined;
  messageDigest: Uint8Array | undefined;
  signingTime: Date | undefined;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
}

export interface SOD {
  raw: Uint8Array;
  /** LDSSecurityObject version (0 for LDS 1.7, 1 for LDS 1.8 with ldsVersionInfo). */
  version: number;
  hashAlgorithm: HashName;
  /** Data group number → hash, in SOD order. */
  dataGroupHashes: Map<number, Uint8Array>;
  ldsVersion: string | undefined;
  unicodeVersion: string | undefined;
  eContentType: string;
  /** The encapsulated LDSSecurityObject DER (what message-digest covers). */
  eContent: Uint8Array;
  certificates: Certificate[];
  signerInfo: SignerInfo;
  /** The Document Signer certificate matching the SignerInfo, when the SOD carries it. */
  documentSigner: Certificate | undefined;
}

const LAX = { der: false } as const;

/** Builds the error for a structural fault (`detail` names the rule; the caller adds its prefix and code). */
export type SignedDataFault = (detail: string) => ChipIdError;
type Fail = SignedDataFault;

function readSignerInfo(node: Node, fail: Fail): SignerInfo {
  if (node.id !== TAG.SEQUENCE) throw fail('SignerInfo is not a SEQUENCE');
  const r = new Reader(node, LAX);
  const version = readInt(r.next(TAG.INTEGER));
  let sid: SignerInfo['sid'];
  const first = r.next();
  if (first.id === TAG.SEQUENCE) {
    const s = new Reader(first, LAX);
    sid = { issuer: readName(s.next(TAG.SEQUENCE)), serial: readBigInt(s.next(TAG.INTEGER)) };
  } else if (first.id === 0x80) {
    sid = { subjectKeyId: first.value };
  } else {
    throw fail('bad signer identifier');
  }
  const digestAlgorithm = hashFromOID(readAlgorithmIdentifier(r.next(TAG.SEQUENCE)).oid);
  const sa = r.optional(0xa0);
  let contentType: string | undefined;
  let messageDigest: Uint8Array | undefined;
  let signingTime: Date | undefined;
  let signedAttributes: Uint8Array | undefined;
  if (sa) {
    // RFC 5652 §5.4: the signature covers the DER of the attributes with an explicit SET OF tag.
    signedAttributes = concat(Uint8Array.of(0x31), sa.raw.subarray(1));
    const seen = new Set<string>();
    for (const attr of children(sa, LAX)) {
      const a = new Reader(attr, LAX);
      const type = readOID(a.next(TAG.OID));
      if (seen.has(type)) throw fail('duplicate signed attribute');
      seen.add(type);
      const values = children(a.next(TAG.SET), LAX);
      if (values.length !== 1) continue;
      const v = values[0]!;
      if (type === OID.contentType) contentType = readOID(v);
      else if (type === OID.messageDigest) messageDigest = readOctets(v);
      else if (type === OID.signingTime) {
        try {
          signingTime = readTime(v);
        } catch {
          // A malformed signing time is informational only; the signature still decides.
        }
      }
    }
  }
  const signatureAlgorithm = readAlgorithmIdentifier(r.next(TAG.SEQUENCE));
  const signature = readOctets(r.next(TAG.OCTET_STRING));
  // RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier.
  if (version !== ('subjectKeyId' in sid ? 3 : 1))
    throw fail('SignerInfo version does not match its signer identifier');
  return {
    version,
    sid,
    digestAlgorithm,
    signedAttributes,
    contentType,
    messageDigest,
    signingTime,
    signatureAlgorithm,
    signature,
  };
}

function readLDSSecurityObject(eContent: Uint8Array) {
  const r = Reader.of(eContent, TAG.SEQUENCE, LAX);
  const version = readInt(r.next(TAG.INTEGER));
  if (version !== 0 && version !== 1)
    throw new LDSError('ERR_SOD_INVALID', 'sod: LDSSecurityObject version must be v0 or v1');
  const hashAlgorithm = hashFromOID(readAlgorithmIdentifier(r.next(TAG.SEQUENCE)).oid);
  const dataGroupHashes = new Map<number, Uint8Array>();
  for (const item of new Reader(r.next(TAG.SEQUENCE), LAX).rest()) {
    const d = new Reader(item, LAX);
    const n = readInt(d.next(TAG.INTEGER));
    if (n < 1 || n > 16 || dataGroupHashes.has(n))
      throw new LDSError('ERR_SOD_INVALID', 'sod: bad data group number');
    dataGroupHashes.set(n, readOctets(d.next(TAG.OCTET_STRING)));
  }
  let ldsVersion: string | undefined;
  let unicodeVersion: string | undefined;
  const info = r.optional(TAG.SEQUENCE);
  if (info) {
    const i = new Reader(info, LAX);
    const text = (n: Node) => new TextDecoder('latin1').decode(n.value);
    ldsVersion = text(i.next());
    unicodeVersion = text(i.next());
  }
  // Doc 9303 Part 10 §4.6.2.3: v1 carries ldsVersionInfo, v0 does not.
  if ((version === 1) !== (info !== undefined))
    throw new LDSError('ERR_SOD_INVALID', 'sod: LDSSecurityObject version and ldsVersionInfo disagree');
  return { version, hashAlgorithm, dataGroupHashes, ldsVersion, unicodeVersion };
}

function matches(cert: Certificate, sid: SignerInfo['sid']): boolean {
  if ('subjectKeyId' in sid)
    return !!cert.subjectKeyId && toHex(cert.subjectKeyId) === toHex(sid.subjectKeyId);
  return cert.serial === sid.serial && cert.issuer.key === sid.issuer.key;
}

/** CMS SignedData (RFC 5652 §5.1) with one signer, as eMRTD PKI objects carry it (SOD, master lists). */
export interface SignedData {
  eContentType: string;
  /** The encapsulated content's octets (what message-digest covers). */
  eContent: Uint8Array;
  certificates: Certificate[];
  signerInfo: SignerInfo;
  /** The certificate matching the SignerInfo's identifier, when the SignedData carries it. */
  signer: Certificate | undefined;
}

/**
 * Reads a ContentInfo holding CMS SignedData (RFC 5652 §3, §5) with exactly one SignerInfo and
 * encapsulated content of type `content.oid` — the shape shared by EF.SOD (Doc 9303 Part 10 §4.6.2)
 * and the CSCA master list (Part 12 §9). Structural faults throw `fault(detail)`.
 *
 * @example
 * const sd = parseSignedData(contentInfo, { oid: OID.ldsSecurityObject, name: 'an LDSSecurityObject' },
 *   (detail) => new LDSError('ERR_SOD_INVALID', `sod: ${detail}`));
 */
export function parseSignedData(
  contentInfo: Uint8Array | Node,
  content: { oid: string; name: string },
  fault: SignedDataFault,
): SignedData {
  const ciNode = contentInfo instanceof Uint8Array ? parseOne(contentInfo, LAX) : contentInfo;
  if (ciNode.id !== TAG.SEQUENCE) throw fault('ContentInfo is not a SEQUENCE');
  const ci = new Reader(ciNode, LAX);
  if (readOID(ci.next(TAG.OID)) !== OID.signedData) throw fault('not CMS SignedData');
  const sdNode = parseOne(ci.next(0xa0).value, LAX);
  if (sdNode.id !== TAG.SEQUENCE) throw fault('SignedData is not a SEQUENCE');
  const sd = new Reader(sdNode, LAX);
  // RFC 5652 §5.1: an eContentType other than id-data makes SignedData version 3 (Doc 9303 Part 10
  // §4.6.2.2: v3); the version is outside the signature, so it is checked here.
  if (readInt(sd.next(TAG.INTEGER)) !== 3) throw fault('SignedData version must be 3');
  const digestAlgorithms = children(sd.next(TAG.SET), LAX).map((n) => readAlgorithmIdentifier(n).oid);
  const eci = new Reader(sd.next(TAG.SEQUENCE), LAX);
  const eContentType = readOID(eci.next(TAG.OID));
  if (eContentType !== content.oid) throw fault(`encapsulated content is not ${content.name}`);
  const eContent = readOctets(parseOne(eci.next(0xa0).value, LAX));
  const certsNode = sd.optional(0xa0);
  const certificates = certsNode
    ? children(certsNode, LAX)
        .filter((c) => c.id === TAG.SEQUENCE)
        .map((c) => parseCertificate(c.raw))
    : [];
  sd.optional(0xa1);
  const signerInfos = children(sd.next(TAG.SET), LAX);
  if (signerInfos.length !== 1) throw fault('expected exactly one SignerInfo');
  const signerInfo = readSignerInfo(signerInfos[0]!, fault);
  // RFC 5652 §5.1: digestAlgorithms names the algorithms the signers use (outside the signature).
  if (!digestAlgorithms.some((oid) => HASH_OID[oid] === signerInfo.digestAlgorithm))
    throw fault("digestAlgorithms does not list the signer's algorithm");
  return {
    eContentType,
    eContent,
    certificates,
    signerInfo,
    signer: certificates.find((c) => matches(c, signerInfo.sid)),
  };
}

const sodFault: SignedDataFault = (detail) => new LDSError('ERR_SOD_INVALID', `sod: ${detail}`);

/**
 * Parses EF.SOD (tag 0x77).
 *
 * @throws LDSError `ERR_SOD_INVALID` when the structure is not a Doc 9303 SOD.
 * @example
 * const sod = parseSOD(dump.sod);
 * sod.dataGroupHashes.get(1); // SHA-… of DG1 as signed
 */
export function parseSOD(bytes: Uint8Array): SOD {
  try {
    const outer = readNode77(bytes);
    const ci = parseOne(outer.value, LAX);
    const sd = parseSignedData(ci, { oid: OID.ldsSecurityObject, name: 'an LDSSecurityObject' }, sodFault);
    const lds = readLDSSecurityObject(sd.eContent);
    return {
      raw: bytes,
      ...lds,
      eContentType: sd.eContentType,
      eContent: sd.eContent,
      certificates: sd.certificates,
      signerInfo: sd.signerInfo,
      documentSigner: sd.signer,
    };
  } catch (e) {
    if (isChipIdError(e) && e.code === 'ERR_SOD_INVALID') throw e;
    throw truncatedFile('sod', bytes) ?? new LDSError('ERR_SOD_INVALID', 'sod: malformed', { cause: e });
  }
}

function readNode77(bytes: Uint8Array): Node {
  const n = parseOne(bytes, LAX);
  if (n.id !== 0x77) throw new LDSError('ERR_SOD_INVALID', 'sod: expected tag 0x77');
  return n;
}
