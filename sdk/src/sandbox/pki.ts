/**
 * Sandbox PKI — a Country Signing CA (CSCA) and Document Signer (DS) certificates laid out per
 * ICAO Doc 9303 Part 12 §7.1 (certificate profiles) on RFC 5280 X.509 v3, plus CRLs (Part 12 §7.1.4,
 * RFC 5280 §5).
 *
 * Everything here is deterministic: keys come from HMAC-DRBG streams seeded with fixed, published
 * strings (`chipid-sandbox-csca-v1`, …) and ECDSA signatures are RFC 6979, so every install and every
 * deployed sandbox builds byte-identical certificates and trusts the same anchor. These keys are
 * public by construction: live trust stores must never include the sandbox CSCA.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { children, parseOne, readBitString } from '../asn1/der.ts';
import { OID } from '../asn1/oid.ts';
import {
  bitString,
  bool,
  explicit,
  int,
  octets,
  oid,
  printable,
  seq,
  setOf,
  time,
  tlv,
  utf8String,
} from '../asn1/writer.ts';
import { toBase64 } from '../lib/bytes.ts';
import { generateECKey, type KeyKind, rsaKey, type SandboxKey } from './keys.ts';
import { createRandom } from './random.ts';
import { generateRSAKey } from './rsa.ts';

/** Published seed strings of the sandbox PKI (documented: anyone can rebuild the same keys). */
export const SANDBOX_PKI_SEEDS = {
  csca: 'chipid-sandbox-csca-v1',
  foreignCsca: 'chipid-sandbox-foreign-csca-v1',
  dsP256: 'chipid-sandbox-ds-p256-v1',
  dsBrainpool: 'chipid-sandbox-ds-brainpoolp256r1-v1',
  dsRSA: 'chipid-sandbox-ds-rsa2048-v1',
  dsExpired: 'chipid-sandbox-ds-expired-v1',
  dsForeign: 'chipid-sandbox-ds-foreign-v1',
} as const;

/** Country of the sandbox CSCA/DS (ISO 3166-1 alpha-2; the MRZ uses `VNM`). */
export const SANDBOX_COUNTRY = 'VN' as const;

/** Validity periods (fixed, so certificates are byte-stable). */
export const SANDBOX_VALIDITY = {
  csca: { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2045-01-01T00:00:00Z') },
  ds: { notBefore: new Date('2021-01-01T00:00:00Z'), notAfter: new Date('2045-01-01T00:00:00Z') },
  /** The `expired-ds` profile's Document Signer: expired on 2024-01-01. */
  dsExpired: { notBefore: new Date('2021-01-01T00:00:00Z'), notAfter: new Date('2024-01-01T00:00:00Z') },
} as const;

/** One attribute of a distinguished name. */
export interface NameAttribute {
  type: 'C' | 'O' | 'OU' | 'CN' | 'serialNumber';
  value: string;
}

/** A certificate with its private key (a CA or a Document Signer). */
export interface IssuedCertificate {
  /** DER certificate. */
  der: Uint8Array;
  /** PEM certificate (`-----BEGIN CERTIFICATE-----`). */
  pem: string;
  /** Certificate serial number. */
  serial: bigint;
  /** Subject distinguished name. */
  subject: NameAttribute[];
  /** DER subject Name. */
  subjectDER: Uint8Array;
  /** DER issuer Name (for CMS IssuerAndSerialNumber). */
  issuerDER: Uint8Array;
  /** Subject key identifier (SHA-1 of the subjectPublicKey, RFC 5280 §4.2.1.2 method 1). */
  ski: Uint8Array;
  /** The certified key pair (private: sandbox only). */
  key: SandboxKey;
  notBefore: Date;
  notAfter: Date;
}

/** The whole sandbox PKI. */
export interface SandboxPKI {
  /** The trusted sandbox CSCA (`chipid-sandbox-csca-v1`). */
  csca: IssuedCertificate;
  /** An untrusted look-alike CSCA for the `foreign-csca` profile. */
  foreignCsca: IssuedCertificate;
  /** Document Signers under the trusted CSCA, by key kind. */
  ds: Record<KeyKind, IssuedCertificate>;
  /** A P-256 Document Signer under the trusted CSCA whose validity ended 2024-01-01. */
  dsExpired: IssuedCertificate;
  /** A P-256 Document Signer under the foreign CSCA. */
  dsForeign: IssuedCertificate;
}

const ATTR_OID = {
  C: OID.countryName,
  O: OID.organizationName,
  OU: OID.organizationalUnitName,
  CN: OID.commonName,
  serialNumber: OID.serialNumber,
} as const;

/** DER Name (RFC 5280 §4.1.2.4): countryName and serialNumber PrintableString, the rest UTF8String. */
export function encodeName(attrs: readonly NameAttribute[]): Uint8Array {
  return seq(
    ...attrs.map((a) =>
      setOf(
        seq(
          oid(ATTR_OID[a.type]),
          a.type === 'C' || a.type === 'serialNumber' ? printable(a.value) : utf8String(a.value),
        ),
      ),
    ),
  );
}

/** PEM armour (RFC 7468). */
export function toPEM(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const extension = (id: string, critical: boolean, value: Uint8Array): Uint8Array =>
  critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));

/** keyIdentifier = SHA-1 of the BIT STRING value of subjectPublicKey (RFC 5280 §4.2.1.2 (1)). */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const [, subjectPublicKey] = children(parseOne(spki));
  if (!subjectPublicKey) throw new RangeError('pki: malformed SubjectPublicKeyInfo');
  return sha1(readBitString(subjectPublicKey).bytes);
}

/** Key usage bits (RFC 5280 §4.2.1.3) as a DER BIT STRING value. */
const KEY_USAGE = {
  digitalSignature: bitString(Uint8Array.of(0x80), 7),
  caSigning: bitString(Uint8Array.of(0x06), 1), // keyCertSign (5) + cRLSign (6)
} as const;

/** ICAO Doc 9303 Part 12 §7.1.1.3 Document Type List extension (id-icao-mrtd-security-extensions-documentTypeList). */
const DOCUMENT_TYPE_LIST_OID = '2.23.136.1.1.6.2';

/** What to put in a certificate. */
export interface CertificateSpec {
  serial: bigint;
  issuer: readonly NameAttribute[];
  subject: readonly NameAttribute[];
  notBefore: Date;
  notAfter: Date;
  key: SandboxKey;
  /** Key of the issuer (self for a CA root). */
  issuerKey: SandboxKey;
  ca: boolean;
  /** Authority key identifier to claim (default: SHA-1 of the issuer key, the honest value). */
  authorityKeyId?: Uint8Array;
  /** `false`: leave the (mandatory) key usage extension out, for tests of verifiers. */
  keyUsage?: false;
  /**
   * Extended key usage purposes (critical, RFC 5280 §4.2.1.12) of a non-CA certificate, in place of the
   * Document Type List — e.g. `['2.23.136.1.1.3']` for a Master List Signer (Doc 9303 Part 12 §7.1.1).
   */
  extendedKeyUsage?: readonly string[];
}

/**
 * Issues an X.509 v3 certificate with the Doc 9303 Part 12 §7.1 profile of a CSCA (`ca`) or a
 * Document Signer — for the sandbox PKI and for tests that need certificates it does not ship.
 *
 * @example
 * const ds = await issueCertificate({ ...spec, issuerKey: csca.key, ca: false });
 */
export async function issueCertificate(spec: CertificateSpec): Promise<IssuedCertificate> {
  const ski = keyIdentifier(spec.key.spki);
  const aki = spec.authorityKeyId ?? keyIdentifier(spec.issuerKey.spki);
  const exts = spec.ca
    ? [
        extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, aki))),
        extension(OID.subjectKeyIdentifier, false, octets(ski)),
        ...(spec.keyUsage === false ? [] : [extension(OID.keyUsage, true, KEY_USAGE.caSigning)]),
        extension(OID.basicConstraints, true, seq(bool(true), int(0))),
      ]
    : [
        extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, aki))),
        extension(OID.subjectKeyIdentifier, false, octets(ski)),
        ...(spec.keyUsage === false ? [] : [extension(OID.keyUsage, true, KEY_USAGE.digitalSignature)]),
        spec.extendedKeyUsage
          ? extension(OID.extKeyUsage, true, seq(...spec.extendedKeyUsage.map((p) => oid(p))))
          : extension(DOCUMENT_TYPE_LIST_OID, false, seq(int(0), setOf(printable('ID')))),
      ];
  const subjectDER = encodeName(spec.subject);
  const issuerDER = encodeName(spec.issuer);
  const tbs = seq(
    explicit(0, int(2)),
    int(spec.serial),
    spec.issuerKey.signatureAlgorithm,
    issuerDER,
    seq(time(spec.notBefore), time(spec.notAfter)),
    subjectDER,
    spec.key.spki,
    explicit(3, seq(...exts)),
  );
  const signature = await spec.issuerKey.sign(tbs);
  const der = seq(tbs, spec.issuerKey.signatureAlgorithm, bitString(signature));
  return {
    der,
    pem: toPEM(der),
    serial: spec.serial,
    subject: [...spec.subject],
    subjectDER,
    issuerDER,
    ski,
    key: spec.key,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
  };
}

const CSCA_NAME: NameAttribute[] = [
  { type: 'C', value: SANDBOX_COUNTRY },
  { type: 'O', value: 'chipid sandbox' },
  { type: 'CN', value: 'chipid Sandbox CSCA' },
];
const FOREIGN_CSCA_NAME: NameAttribute[] = [
  { type: 'C', value: SANDBOX_COUNTRY },
  { type: 'O', value: 'chipid sandbox' },
  { type: 'OU', value: 'untrusted' },
  { type: 'CN', value: 'chipid Sandbox Foreign CSCA' },
];
const dsName = (cn: string): NameAttribute[] => [
  { type: 'C', value: SANDBOX_COUNTRY },
  { type: 'O', value: 'chipid sandbox' },
  { type: 'OU', value: 'Document Signer' },
  { type: 'CN', value: cn },
];

let pkiPromise: Promise<SandboxPKI> | undefined;

/**
 * The sandbox PKI (built once per process, then cached; the RSA-2048 Document Signer key is generated
 * deterministically from its published seed, which takes a few hundred milliseconds the first time).
 *
 * @example
 * const { csca, ds } = await sandboxPKI();
 * ds.p256.pem; // a Document Signer issued by csca
 */
export function sandboxPKI(): Promise<SandboxPKI> {
  pkiPromise ??= buildPKI();
  return pkiPromise;
}

async function buildPKI(): Promise<SandboxPKI> {
  const S = SANDBOX_PKI_SEEDS;
  const cscaKey = generateECKey('p256', createRandom(S.csca));
  const foreignKey = generateECKey('p256', createRandom(S.foreignCsca));
  const csca = await issueCertificate({
    serial: 0x5c5ca001n,
    issuer: CSCA_NAME,
    subject: CSCA_NAME,
    ...SANDBOX_VALIDITY.csca,
    key: cscaKey,
    issuerKey: cscaKey,
    ca: true,
  });
  const foreignCsca = await issueCertificate({
    serial: 0x5c5cf001n,
    issuer: FOREIGN_CSCA_NAME,
    subject: FOREIGN_CSCA_NAME,
    ...SANDBOX_VALIDITY.csca,
    key: foreignKey,
    issuerKey: foreignKey,
    ca: true,
  });
  const ds = async (
    serial: bigint,
    cn: string,
    key: SandboxKey,
    issuer = csca,
    validity = SANDBOX_VALIDITY.ds,
  ) =>
    issueCertificate({
      serial,
      issuer: issuer.subject,
      subject: dsName(cn),
      ...validity,
      key,
      issuerKey: issuer.key,
      ca: false,
    });
  const [p256, brainpool, rsa, dsExpired, dsForeign] = await Promise.all([
    ds(0x0d5001n, 'chipid Sandbox DS P-256 01', generateECKey('p256', createRandom(S.dsP256))),
    ds(
      0x0d5002n,
      'chipid Sandbox DS brainpoolP256r1 01',
      generateECKey('brainpoolP256r1', createRandom(S.dsBrainpool)),
    ),
    ds(0x0d5003n, 'chipid Sandbox DS RSA-2048 01', rsaKey(generateRSAKey(2048, createRandom(S.dsRSA)))),
    ds(
      0x0d5004n,
      'chipid Sandbox DS P-256 expired',
      generateECKey('p256', createRandom(S.dsExpired)),
      csca,
      SANDBOX_VALIDITY.dsExpired,
    ),
    ds(
      0x0d5f01n,
      'chipid Sandbox Foreign DS P-256',
      generateECKey('p256', createRandom(S.dsForeign)),
      foreignCsca,
    ),
  ]);
  return { csca, foreignCsca, ds: { p256, brainpoolP256r1: brainpool, rsa }, dsExpired, dsForeign };
}

/**
 * The sandbox CSCA certificate: the trust anchor of every sandbox chip.
 *
 * @example
 * const { pem } = await sandboxCSCA();
 * // pass `pem` as the trust store of `verifyPassive` / `chipid verify --csca`
 */
export async function sandboxCSCA(): Promise<{ der: Uint8Array; pem: string }> {
  const { csca } = await sandboxPKI();
  return { der: csca.der, pem: csca.pem };
}

/**
 * A v2 CRL (RFC 5280 §5.1) signed by `ca`, listing `revokedSerials` (revocation date = `thisUpdate`),
 * with authorityKeyIdentifier and cRLNumber extensions (Doc 9303 Part 12 §7.1.4).
 *
 * @example
 * const { csca, ds } = await sandboxPKI();
 * const crl = await buildCRL(csca, [ds.p256.serial], new Date('2025-01-01'), new Date('2045-01-01'));
 */
export async function buildCRL(
  ca: IssuedCertificate,
  revokedSerials: readonly bigint[],
  thisUpdate: Date,
  nextUpdate: Date,
  crlNumber = 1n,
): Promise<{ der: Uint8Array; pem: string }> {
  const revoked = revokedSerials.map((s) => seq(int(s), time(thisUpdate)));
  const tbs = seq(
    int(1),
    ca.key.signatureAlgorithm,
    ca.subjectDER,
    time(thisUpdate),
    time(nextUpdate),
    ...(revoked.length ? [seq(...revoked)] : []),
    explicit(
      0,
      seq(
        extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, ca.ski))),
        extension(OID.crlNumber, false, int(crlNumber)),
      ),
    ),
  );
  const der = seq(tbs, ca.key.signatureAlgorithm, bitString(await ca.key.sign(tbs)));
  return { der, pem: toPEM(der, 'X509 CRL') };
}
