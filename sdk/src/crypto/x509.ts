/**
 * X.509 certificates (RFC 5280) as profiled for eMRTD PKI (Doc 9303 Part 12 §7): CSCA and Document
 * Signer certificates, with the extensions passive authentication needs.
 */
import {
  children,
  type Node,
  parseOne,
  Reader,
  readBigInt,
  readBitString,
  readBoolean,
  readOctets,
  readOID,
  readString,
  readTime,
  TAG,
} from '../asn1/der.ts';
import { OID, oidName } from '../asn1/oid.ts';
import { CryptoError, isChipIdError } from '../errors.ts';
import { equalBytes, fromBase64, toBase64, toHex } from '../lib/bytes.ts';
import { type AlgorithmIdentifier, type PublicKey, parseSPKI, readAlgorithmIdentifier } from './keys.ts';

export interface NameAttribute {
  type: string;
  value: string;
}

export interface Name {
  raw: Uint8Array;
  attributes: NameAttribute[];
  /** Country (C) as written, upper-cased. */
  country: string | undefined;
  /** Normalised form for comparisons (RFC 5280 §7.1: case-folded, whitespace collapsed). */
  key: string;
  /** Readable `C=VN, O=…, CN=…`. */
  text: string;
}

export interface KeyUsage {
  digitalSignature: boolean;
  nonRepudiation: boolean;
  keyEncipherment: boolean;
  dataEncipherment: boolean;
  keyAgreement: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
}

export interface Extension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface Certificate {
  raw: Uint8Array;
  /** The DER TBSCertificate: what the issuer signed. */
  tbs: Uint8Array;
  version: number;
  serial: bigint;
  /** Serial number as lower-case hex (for CRL look-ups). */
  serialHex: string;
  signatureAlgorithm: AlgorithmIdentifier;
  issuer: Name;
  subject: Name;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  publicKey: PublicKey;
  extensions: Extension[];
  basicConstraints: { ca: boolean; pathLength?: number } | undefined;
  keyUsage: KeyUsage | undefined;
  subjectKeyId: Uint8Array | undefined;
  authorityKeyId: Uint8Array | undefined;
  signature: Uint8Array;
}

const SHORT: Readonly<Record<string, string>> = {
  [OID.countryName]: 'C',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.commonName]: 'CN',
  [OID.serialNumber]: 'SERIALNUMBER',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '1.2.840.113549.1.9.1': 'E',
};

export function readName(node: Node): Name {
  // The same issuer/subject names recur in every SOD of a Document Signer: decode each once.
  const raw = node.raw;
  const id = fingerprint(raw);
  const hit = nameCache.get(id);
  if (hit && equalBytes(hit.raw, raw)) return hit;
  const name = readNameUncached(node);
  if (nameCache.size >= CERT_CACHE_SIZE) nameCache.delete(nameCache.keys().next().value as number);
  nameCache.set(id, name);
  return name;
}

const nameCache = new Map<number, Name>();

function readNameUncached(node: Node): Name {
  const attributes: NameAttribute[] = [];
  for (const rdn of children(node, { der: false })) {
    for (const atv of children(rdn, { der: false })) {
      const r = new Reader(atv, { der: false });
      const type = readOID(r.next(TAG.OID));
      const v = r.next();
      let value: string;
      try {
        value = readString(v);
      } catch {
        value = `#${toHex(v.raw)}`;
      }
      attributes.push({ type, value });
    }
  }
  const country = attributes
    .find((a) => a.type === OID.countryName)
    ?.value.trim()
    .toUpperCase();
  const key = attributes
    .map((a) => `${a.type}=${a.value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase()}`)
    .join(',');
  const text = attributes.map((a) => `${SHORT[a.type] ?? oidName(a.type)}=${a.value}`).join(', ');
  return { raw: node.raw, attributes, country, key, text };
}

function readKeyUsage(value: Uint8Array): KeyUsage {
  const { bytes } = readBitString(parseOne(value, { der: false }));
  const bit = (i: number) => ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0;
  return {
    digitalSignature: bit(0),
    nonRepudiation: bit(1),
    keyEncipherment: bit(2),
    dataEncipherment: bit(3),
    keyAgreement: bit(4),
    keyCertSign: bit(5),
    cRLSign: bit(6),
  };
}

export function readExtensions(node: Node): Extension[] {
  return children(node, { der: false }).map((ext) => {
    const r = new Reader(ext, { der: false });
    const oid = readOID(r.next(TAG.OID));
    const c = r.optional(TAG.BOOLEAN);
    const critical = c ? readBoolean(c) : false;
    const value = readOctets(r.next(TAG.OCTET_STRING));
    return { oid, critical, value };
  });
}

/**
 * Parses a DER (or PEM) X.509 certificate.
 *
 * @throws CryptoError `ERR_CERT_INVALID` when malformed; `ERR_ALG_UNSUPPORTED` for a public key the
 *   SDK does not support (see `KEY_LIMITS` in keys.ts: e.g. RSA over 8192 bits, unknown explicit curves).
 * @example
 * const csca = parseCertificate(pemOrDer);
 * console.log(csca.subject.text, csca.notAfter);
 */
export function parseCertificate(input: Uint8Array | string): Certificate {
  const der = typeof input === 'string' ? pemToDer(input, 'CERTIFICATE') : input;
  // One Document Signer certificate rides along in thousands of SODs: parse it once.
  const id = fingerprint(der);
  const hit = certCache.get(id);
  if (hit && equalBytes(hit.raw, der)) return hit;
  const cert = parseCertificateUncached(der);
  if (certCache.size >= CERT_CACHE_SIZE) certCache.delete(certCache.keys().next().value as number);
  certCache.set(id, cert);
  return cert;
}

const CERT_CACHE_SIZE = 256;
const certCache = new Map<number, Certificate>();

/** FNV-1a over the bytes: a cheap cache key (a hit is confirmed by comparing the bytes). */
function fingerprint(b: Uint8Array): number {
  let h = 0x811c9dc5 ^ b.length;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

function parseCertificateUncached(der: Uint8Array): Certificate {
  try {
    const top = new Reader(parseOne(der, { der: false }), { der: false });
    if (top.node.id !== TAG.SEQUENCE)
      throw new CryptoError('ERR_CERT_INVALID', 'certificate: not a sequence');
    const tbsNode = top.next(TAG.SEQUENCE);
    const outerAlgorithm = top.next(TAG.SEQUENCE);
    const signatureAlgorithm = readAlgorithmIdentifier(outerAlgorithm);
    const sig = readBitString(top.next(TAG.BIT_STRING));
    top.end();
    const t = new Reader(tbsNode, { der: false });
    const v = t.optional(0xa0);
    const version = v ? Number(readBigInt(parseOne(v.value, { der: false }))) + 1 : 1;
    const serialNode = t.next(TAG.INTEGER);
    const serial = readBigInt(serialNode);
    // RFC 5280 §4.1.1.2: the signed copy of the algorithm must be the outer one (which is not signed).
    if (!equalBytes(t.next(TAG.SEQUENCE).raw, outerAlgorithm.raw))
      throw new CryptoError(
        'ERR_CERT_INVALID',
        'certificate: signature algorithm differs from its signed copy',
      );
    const issuer = readName(t.next(TAG.SEQUENCE));
    const validity = new Reader(t.next(TAG.SEQUENCE), { der: false });
    const notBefore = readTime(validity.next());
    const notAfter = readTime(validity.next());
    const subject = readName(t.next(TAG.SEQUENCE));
    const spkiNode = t.next(TAG.SEQUENCE);
    const publicKey = parseSPKI(spkiNode);
    t.optional(0x81);
    t.optional(0x82);
    const extNode = t.optional(0xa3);
    const extensions = extNode ? readExtensions(parseOne(extNode.value, { der: false })) : [];
    const ext = (oid: string) => extensions.find((e) => e.oid === oid);
    let basicConstraints: Certificate['basicConstraints'];
    const bc = ext(OID.basicConstraints);
    if (bc) {
      const r = new Reader(parseOne(bc.value, { der: false }), { der: false });
      const ca = r.optional(TAG.BOOLEAN);
      const pl = r.optional(TAG.INTEGER);
      basicConstraints = { ca: ca ? readBoolean(ca) : false };
      if (pl) basicConstraints.pathLength = Number(readBigInt(pl));
    }
    const ku = ext(OID.keyUsage);
    const ski = ext(OID.subjectKeyIdentifier);
    const aki = ext(OID.authorityKeyIdentifier);
    let authorityKeyId: Uint8Array | undefined;
    if (aki) {
      const r = new Reader(parseOne(aki.value, { der: false }), { der: false });
      authorityKeyId = r.optional(0x80)?.value;
    }
    const hexSerial = toHex(serialNode.value).replace(/^(00)+(?=.)/, '');
    return {
      raw: der,
      tbs: tbsNode.raw,
      version,
      serial,
      serialHex: hexSerial,
      signatureAlgorithm,
      issuer,
      subject,
      notBefore,
      notAfter,
      spki: spkiNode.raw,
      publicKey,
      extensions,
      basicConstraints,
      keyUsage: ku ? readKeyUsage(ku.value) : undefined,
      subjectKeyId: ski ? readOctets(parseOne(ski.value, { der: false })) : undefined,
      authorityKeyId,
      signature: sig.bytes,
    };
  } catch (e) {
    // A well-formed certificate whose key the SDK refuses (an algorithm, a curve, a size) says so.
    if (isChipIdError(e) && (e.code === 'ERR_CERT_INVALID' || e.code === 'ERR_ALG_UNSUPPORTED')) throw e;
    throw new CryptoError('ERR_CERT_INVALID', 'certificate: malformed', { cause: e });
  }
}

/** Decodes a PEM block of the given label (or returns DER unchanged when given DER-looking text). */
export function pemToDer(pem: string, label: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem);
  if (!m) throw new CryptoError('ERR_CERT_INVALID', `pem: no ${label} block`);
  try {
    return fromBase64(m[1]!.replace(/[\r\n\s]/g, ''));
  } catch (cause) {
    throw new CryptoError('ERR_CERT_INVALID', 'pem: bad base64', { cause });
  }
}

/** DER → PEM text. */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** All certificates found in PEM text (any number of blocks) or a single DER blob. */
export function readCertificates(input: Uint8Array | string): Certificate[] {
  if (typeof input === 'string') {
    const blocks = input.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new CryptoError('ERR_CERT_INVALID', 'pem: no CERTIFICATE block');
    return blocks.map((b) => parseCertificate(b));
  }
  return [parseCertificate(input)];
}
