/**
 * Hostile key material for the CPU-exhaustion cases of issue 19, as real DER: SubjectPublicKeyInfos
 * (RFC 5280 §4.1.2.7) with oversized RSA moduli (RFC 8017 RSAPublicKey) or explicit EC domain
 * parameters of a large prime field (RFC 3279 §2.3.5), DG15 files carrying them, Document Signer
 * certificates on them, and sandbox cards re-signed by the public sandbox PKI so that passive
 * authentication vouches for such a DG15 (what anyone can do in the sandbox: its keys are public).
 */
import { randomBytes } from 'node:crypto';
import { OID } from '../../sdk/src/asn1/oid.ts';
import { bitString, int, octets, oid, seq } from '../../sdk/src/asn1/writer.ts';
import type { ChipDumpJSON } from '../../sdk/src/index.ts';
import { fromBase64, toBase64 } from '../../sdk/src/lib/bytes.ts';
import {
  encodeDG15,
  encodeSOD,
  type IssuedCertificate,
  issueCertificate,
  makeCard,
  type SandboxCard,
  type SandboxKey,
  sandboxPKI,
} from '../../sdk/src/sandbox/index.ts';

/** A random odd integer of exactly `bits` bits (the top bit set). */
export function oddInteger(bits: number): bigint {
  const bytes = randomBytes(Math.ceil(bits / 8));
  const excess = bytes.length * 8 - bits;
  bytes[0] = (bytes[0]! & (0xff >> excess)) | (0x80 >> excess);
  bytes[bytes.length - 1]! |= 1;
  return BigInt(`0x${bytes.toString('hex')}`);
}

/** RSA SubjectPublicKeyInfo (rsaEncryption, NULL parameters) for modulus `n` and exponent `e`. */
export function rsaSPKI(n: bigint, e: bigint): Uint8Array {
  return seq(seq(oid(OID.rsaEncryption), Uint8Array.of(0x05, 0x00)), bitString(seq(int(n), int(e))));
}

/** RSA SubjectPublicKeyInfo with a random odd `bits`-bit modulus (not a real key: the verifier cannot tell). */
export const oversizedRSASPKI = (bits: number, e = 65537n): Uint8Array => rsaSPKI(oddInteger(bits), e);

/**
 * id-ecPublicKey SubjectPublicKeyInfo with explicit ECParameters over a `bits`-bit prime field: p, a,
 * b, the base point, the order n (all of that size) and cofactor 1, and a public point of the same size.
 */
export function explicitCurveSPKI(bits: number): Uint8Array {
  const len = Math.ceil(bits / 8);
  const field = (v: bigint) => {
    const hex = v.toString(16).padStart(len * 2, '0');
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  };
  const point = () => Uint8Array.from([0x04, ...field(oddInteger(bits - 1)), ...field(oddInteger(bits - 1))]);
  const params = seq(
    int(1),
    seq(oid(OID.primeField), int(oddInteger(bits))),
    seq(octets(field(oddInteger(bits - 1))), octets(field(oddInteger(bits - 1)))),
    octets(point()),
    int(oddInteger(bits)),
    int(1),
  );
  return seq(seq(oid(OID.ecPublicKey), params), bitString(point()));
}

/** A DG15 (tag 0x6F) around `spki`. */
export const dg15Of = (spki: Uint8Array): Uint8Array => encodeDG15(spki);

/**
 * A signing key whose certificate carries `spki` and whose "signatures" are `sigLength` random bytes
 * below 2^(8·sigLength − 1) — under any modulus of that length with its top bit set, so a verifier
 * does the whole exponentiation before refusing it.
 */
export function fakeKey(spki: Uint8Array, sigLength: number): SandboxKey {
  return {
    kind: 'rsa',
    spki,
    signatureAlgorithm: seq(oid(OID.sha256WithRSAEncryption), Uint8Array.of(0x05, 0x00)),
    sign: async () => {
      const sig = Uint8Array.from(randomBytes(sigLength));
      sig[0]! &= 0x7f;
      return sig;
    },
  };
}

/**
 * A Document Signer certificate for `spki`, issued by `issuer` (the trusted sandbox CSCA, or an
 * untrusted one), in the sandbox's name and validity.
 */
export async function dsCertificateFor(
  spki: Uint8Array,
  bits: number,
  issuer: IssuedCertificate,
): Promise<IssuedCertificate> {
  const pki = await sandboxPKI();
  return issueCertificate({
    serial: 0x1919n,
    issuer: issuer.subject,
    subject: [...pki.ds.p256.subject.filter((a) => a.type !== 'CN'), { type: 'CN', value: 'hostile DS' }],
    notBefore: pki.ds.p256.notBefore,
    notAfter: pki.ds.p256.notAfter,
    key: fakeKey(spki, Math.ceil(bits / 8)),
    issuerKey: issuer.key,
    ca: false,
  });
}

/**
 * The sandbox `valid` card (or `valid-rsa`: its DG14 names no ECDSA hash, for RSA DG15 keys) with its DG15 replaced by `dg15` and its SOD re-signed by `ds` (default the
 * sandbox P-256 Document Signer, which chains to the trusted sandbox CSCA): passive authentication
 * vouches for the new DG15.
 */
export async function resignedCard(
  changes: { dg15?: Uint8Array; ds?: IssuedCertificate; seed?: string; profile?: 'valid' | 'valid-rsa' } = {},
): Promise<SandboxCard> {
  const card = await makeCard({ profile: changes.profile ?? 'valid', seed: changes.seed ?? 'hostile' });
  const pki = await sandboxPKI();
  const dump: ChipDumpJSON = { ...card.dump };
  if (changes.dg15) dump.dg15 = toBase64(changes.dg15);
  const groups = new Map<number, Uint8Array>();
  for (const [n, key] of [
    [1, 'dg1'],
    [2, 'dg2'],
    [13, 'dg13'],
    [14, 'dg14'],
    [15, 'dg15'],
  ] as const) {
    const b64 = dump[key];
    if (b64) groups.set(n, fromBase64(b64));
  }
  dump.sod = toBase64(
    await encodeSOD({
      dataGroups: groups,
      ds: changes.ds ?? pki.ds.p256,
      signingTime: new Date(`${card.card.issuedOn}T02:00:00Z`),
    }),
  );
  return { ...card, dump };
}
