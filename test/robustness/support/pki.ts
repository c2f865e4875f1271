/**
 * Extra certificates for attack and benchmark fixtures — RFC 5280 X.509 v3 laid out like the sandbox
 * PKI (ICAO Doc 9303 Part 12 §7.1 profiles: CSCA with keyCertSign + basicConstraints CA, Document
 * Signer with digitalSignature), so a test can mint what the sandbox deliberately does not ship: a
 * look-alike CSCA with the trusted CSCA's exact name, a Document Signer of another country under the
 * trusted CSCA, or many distinct Document Signers (cold-cache benchmarks). Also re-signs a card's
 * data groups under any Document Signer.
 */
import { OID } from '../../../sdk/src/asn1/oid.ts';
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
} from '../../../sdk/src/asn1/writer.ts';
import type { ChipDumpJSON } from '../../../sdk/src/icao/dump.ts';
import {
  encodeSOD,
  type IssuedCertificate,
  type NameAttribute,
  toPEM,
} from '../../../sdk/src/sandbox/index.ts';
import { generateECKey, type SandboxKey } from '../../../sdk/src/sandbox/keys.ts';
import { encodeName, keyIdentifier } from '../../../sdk/src/sandbox/pki.ts';
import { createRandom } from '../../../sdk/src/sandbox/random.ts';

const extension = (id: string, critical: boolean, value: Uint8Array): Uint8Array =>
  critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));

/** What to put in a certificate. */
export interface CertificateSpec {
  serial: bigint;
  issuer: readonly NameAttribute[];
  subject: readonly NameAttribute[];
  notBefore: Date;
  notAfter: Date;
  key: SandboxKey;
  issuerKey: SandboxKey;
  ca: boolean;
  /** Authority key identifier to claim (default: SHA-1 of the issuer key, the honest value). */
  authorityKeyId?: Uint8Array;
}

/**
 * Issues a certificate (authority key id = SHA-1 of the issuer key, as the sandbox does).
 *
 * @example
 * const fake = await issueCertificate({ ...spec, issuerKey: attackerKey });
 */
export async function issueCertificate(spec: CertificateSpec): Promise<IssuedCertificate> {
  const ski = keyIdentifier(spec.key.spki);
  const aki = spec.authorityKeyId ?? keyIdentifier(spec.issuerKey.spki);
  const exts = spec.ca
    ? [
        extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, aki))),
        extension(OID.subjectKeyIdentifier, false, octets(ski)),
        extension(OID.keyUsage, true, bitString(Uint8Array.of(0x06), 1)),
        extension(OID.basicConstraints, true, seq(bool(true), int(0))),
      ]
    : [
        extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, aki))),
        extension(OID.subjectKeyIdentifier, false, octets(ski)),
        extension(OID.keyUsage, true, bitString(Uint8Array.of(0x80), 7)),
        extension('2.23.136.1.1.6.2', false, seq(int(0), setOf(printable('ID')))),
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

/** A P-256 key from a seed string (deterministic). */
export function seededP256(seed: string): SandboxKey {
  return generateECKey('p256', createRandom(seed));
}

/** A Document Signer name of `country` (C=…, like the sandbox's). */
export function dsName(cn: string, country = 'VN'): NameAttribute[] {
  return [
    { type: 'C', value: country },
    { type: 'O', value: 'chipid sandbox' },
    { type: 'OU', value: 'Document Signer' },
    { type: 'CN', value: cn },
  ];
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/**
 * The same data groups signed again under `ds` (a new SOD; `aa` dropped, since the caller answers a
 * challenge afresh if it wants one).
 *
 * @example
 * const dump = await resign(card.dump, foreignDs);
 */
export async function resign(
  dump: ChipDumpJSON,
  ds: IssuedCertificate,
  signingTime = new Date('2021-06-01'),
) {
  const dataGroups = new Map<number, Uint8Array>();
  for (const [n, k] of [
    [1, 'dg1'],
    [2, 'dg2'],
    [13, 'dg13'],
    [14, 'dg14'],
    [15, 'dg15'],
  ] as const) {
    const v = dump[k];
    if (v) dataGroups.set(n, unb64(v));
  }
  const { aa: _aa, ...rest } = dump;
  return { ...rest, sod: b64(await encodeSOD({ dataGroups, ds, signingTime })) } as ChipDumpJSON;
}
