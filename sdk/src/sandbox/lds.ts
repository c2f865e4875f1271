/**
 * LDS encoders for sandbox chips — ICAO Doc 9303 Part 10 (EF.COM §4.6.1, DG1 §4.7.1, DG2 §4.7.2 with
 * ISO/IEC 19794-5:2005 facial records inside the CBEFF biometric templates of ISO/IEC 7816-11, DG14
 * §4.7.14, DG15 §4.7.15, EF.SOD §4.6.2), the Vietnam CCCD DG13, and the SOD as CMS SignedData
 * (RFC 5652) carrying an LDSSecurityObject (Doc 9303 Part 10 §4.6.2.2, Part 12 §7.1.2).
 *
 * These are the WRITING side, built from the standards independently of the SDK's parsers.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { OID } from '../asn1/oid.ts';
import { explicit, int, octets, oid, seq, setOf, time, tlv, utf8String } from '../asn1/writer.ts';
import { ascii, concat } from '../lib/bytes.ts';
import type { Card, Citizen } from './citizens.ts';
import type { SandboxKey } from './keys.ts';
import { cccdMRZ } from './mrz.ts';
import type { IssuedCertificate } from './pki.ts';

/** LDS application tags (Doc 9303 Part 10 Table 34). */
export const LDS_TAGS = {
  com: 0x60,
  dg1: 0x61,
  dg2: 0x75,
  dg13: 0x6d,
  dg14: 0x6e,
  dg15: 0x6f,
  sod: 0x77,
} as const;

/** OIDs only the sandbox writes (kept here so the shared table stays the readers'). */
export const SANDBOX_OID = {
  /** ISO/IEC 10646 UTF-8 marker at the head of the CCCD DG13. */
  iso10646utf8: '1.0.10646.1.0.8',
  /** BSI TR-03110 id-CA-ECDH-AES-CBC-CMAC-128. */
  idCA_ECDH_AES_CBC_CMAC_128: '0.4.0.127.0.7.2.2.3.2.2',
} as const;

/**
 * EF.COM: LDS version 1.7, Unicode 4.0.0, and the tag list of the data groups present.
 *
 * @example
 * encodeCOM([0x61, 0x75, 0x6d, 0x6e, 0x6f]);
 */
export function encodeCOM(tags: readonly number[]): Uint8Array {
  return tlv(
    LDS_TAGS.com,
    tlv(0x5f01, ascii('0107')),
    tlv(0x5f36, ascii('040000')),
    tlv(0x5c, Uint8Array.from(tags)),
  );
}

/** Fields that override what DG1 says (for the `wrong-country` and `tampered-dg1` profiles). */
export interface DG1Options {
  issuingState?: string;
  expiryDate?: string;
}

/**
 * DG1: `61 { 5F1F <90 MRZ characters> }` for a CCCD TD1.
 *
 * @example
 * encodeDG1(citizen, card);
 */
export function encodeDG1(citizen: Citizen, card: Card, opts: DG1Options = {}): Uint8Array {
  const lines = cccdMRZ({
    idNumber: citizen.idNumber,
    documentNumber: card.documentNumber,
    issuingState: opts.issuingState ?? 'VNM',
    birthDate: citizen.birthDate,
    sex: citizen.sex,
    expiryDate: opts.expiryDate ?? card.expiresOn,
    fullName: citizen.fullName,
  });
  return tlv(LDS_TAGS.dg1, tlv(0x5f1f, ascii(lines.join(''))));
}

/** Input of the DG2 encoder. */
export interface DG2Options {
  /** The image: JPEG, or JPEG 2000 with `format: 'jp2'`. */
  jpeg: Uint8Array;
  /** Image data type (ISO/IEC 19794-5 §5.7.2: 0 JPEG, 1 JPEG 2000); default `jpeg`. */
  format?: 'jpeg' | 'jp2';
  width: number;
  height: number;
  sex?: 'M' | 'F';
  /** Pad the JPEG with COM segments (ISO/IEC 10918-1 §B.2.4.5) to at least this many bytes. */
  padTo?: number;
  /** Creation date of the biometric record (CBEFF tag 83). */
  created?: Date;
}

/** JPEG padded with comment segments right after SOI to at least `size` bytes (image unchanged). */
export function padJPEG(jpeg: Uint8Array, size: number): Uint8Array {
  let need = size - jpeg.length;
  if (need <= 0) return jpeg;
  const segments: Uint8Array[] = [];
  while (need > 0) {
    // A segment is FF FE + 2 length octets (counting themselves) + payload ≤ 65533.
    const total = Math.max(4, Math.min(need, 65537));
    const seg = new Uint8Array(total);
    seg.set([0xff, 0xfe, ((total - 2) >> 8) & 0xff, (total - 2) & 0xff]);
    for (let i = 4; i < total; i++) seg[i] = 0x20;
    segments.push(seg);
    need -= total;
  }
  return concat(jpeg.subarray(0, 2), ...segments, jpeg.subarray(2));
}

/**
 * JP2 file padded with a trailing `free` box (ISO/IEC 15444-1 §I.4: readers skip boxes they do not
 * know) to at least `size` bytes (image unchanged).
 */
export function padJP2(jp2: Uint8Array, size: number): Uint8Array {
  const need = size - jp2.length;
  if (need <= 0) return jp2;
  const len = Math.max(8, need);
  const free = new Uint8Array(len);
  free.set([(len >>> 24) & 0xff, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff, 0x66, 0x72, 0x65, 0x65]);
  return concat(jp2, free);
}

const u16 = (n: number) => Uint8Array.of((n >> 8) & 0xff, n & 0xff);
const u32 = (n: number) => Uint8Array.of((n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
const bcd = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (p) => Number.parseInt(p, 16));

/**
 * ISO/IEC 19794-5:2005 facial record: header `FAC\0` `010\0`, one facial information block (no feature
 * points, neutral expression, frontal pose), image information (full frontal, JPEG, 24-bit RGB,
 * digital still camera) and the image.
 */
export function encodeFacialRecord(opts: DG2Options): Uint8Array {
  const jp2 = opts.format === 'jp2';
  const image = opts.padTo
    ? jp2
      ? padJP2(opts.jpeg, opts.padTo)
      : padJPEG(opts.jpeg, opts.padTo)
    : opts.jpeg;
  const gender = opts.sex === 'M' ? 1 : opts.sex === 'F' ? 2 : 0;
  const faceDataLength = 20 + 12 + image.length;
  const facialInfo = concat(
    u32(faceDataLength),
    u16(0), // feature points
    Uint8Array.of(gender, 0, 0), // gender, eye colour, hair colour (unspecified)
    Uint8Array.of(0, 0, 0), // feature mask
    u16(1), // expression: neutral
    Uint8Array.of(0, 0, 0, 0, 0, 0), // pose angle yaw/pitch/roll + uncertainty
  );
  const imageInfo = concat(
    Uint8Array.of(1, jp2 ? 1 : 0), // face image type: full frontal; image data type: JPEG / JPEG 2000
    u16(opts.width),
    u16(opts.height),
    Uint8Array.of(1, 2), // colour space: 24-bit RGB; source: digital still camera
    u16(0), // device type
    u16(0), // quality: unspecified
  );
  const header = concat(ascii('FAC\0'), ascii('010\0'), u32(14 + faceDataLength), u16(1));
  return concat(header, facialInfo, imageInfo, image);
}

/**
 * DG2: `75 { 7F61 { 02 01 01, 7F60 { A1 {BHT}, 5F2E {facial record} } } }` (Doc 9303 Part 10 §4.7.2.1).
 *
 * @example
 * encodeDG2({ jpeg, width: 240, height: 320, sex: 'F' });
 */
export function encodeDG2(opts: DG2Options): Uint8Array {
  const d = opts.created;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const bht = tlv(
    0xa1,
    tlv(0x80, Uint8Array.of(0x01, 0x01)), // ICAO header version 1.1
    tlv(0x81, Uint8Array.of(0x02)), // biometric type: facial features
    tlv(0x82, Uint8Array.of(0x00)), // subtype: no information
    ...(d
      ? [
          tlv(
            0x83,
            bcd(
              `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`,
            ),
          ),
        ]
      : []),
    tlv(0x87, Uint8Array.of(0x01, 0x01)), // format owner: ISO/IEC JTC 1/SC 37
    tlv(0x88, Uint8Array.of(0x00, 0x08)), // format type: face image (19794-5)
  );
  return tlv(
    LDS_TAGS.dg2,
    tlv(0x7f61, tlv(0x02, Uint8Array.of(1)), tlv(0x7f60, bht, tlv(0x5f2e, encodeFacialRecord(opts)))),
  );
}

/** `YYYY-MM-DD` → `DD/MM/YYYY` as printed on the card and stored in DG13. */
export const dg13Date = (iso: string): string => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

/** Field ids of the CCCD DG13 (as reported by public CCCD readers; see REFERENCES.md). */
export const DG13_FIELDS = {
  idNumber: 1,
  fullName: 2,
  birthDate: 3,
  sex: 4,
  nationality: 5,
  ethnicity: 6,
  religion: 7,
  placeOfOrigin: 8,
  placeOfResidence: 9,
  identifyingMarks: 10,
  issueDate: 11,
  expiryDate: 12,
  parents: 13,
  spouse: 14,
  oldIdNumber: 16,
} as const;

/**
 * DG13 as laid out on CCCD cards: `6D { SEQUENCE { INTEGER 1, OID 1.0.10646.1.0.8, SET { SEQUENCE {
 * INTEGER n, UTF8String value… } … } } }`, fields in id order; field 13 holds father then mother;
 * 14 (spouse) and 16 (old 9-digit CMND) only when known.
 *
 * @example
 * encodeDG13(citizen, card);
 */
export function encodeDG13(citizen: Citizen, card: Card): Uint8Array {
  const F = DG13_FIELDS;
  const field = (n: number, ...values: string[]) => seq(int(n), ...values.map((v) => utf8String(v)));
  const fields = [
    field(F.idNumber, citizen.idNumber),
    field(F.fullName, citizen.fullName),
    field(F.birthDate, dg13Date(citizen.birthDate)),
    field(F.sex, citizen.sex === 'M' ? 'Nam' : 'Nữ'),
    field(F.nationality, 'Việt Nam'),
    field(F.ethnicity, citizen.ethnicity),
    field(F.religion, citizen.religion),
    field(F.placeOfOrigin, citizen.placeOfOrigin),
    field(F.placeOfResidence, citizen.placeOfResidence),
    field(F.identifyingMarks, citizen.identifyingMarks),
    field(F.issueDate, dg13Date(card.issuedOn)),
    field(F.expiryDate, dg13Date(card.expiresOn)),
    field(F.parents, citizen.fatherName, citizen.motherName),
    ...(citizen.spouseName ? [field(F.spouse, citizen.spouseName)] : []),
    ...(citizen.oldIdNumber ? [field(F.oldIdNumber, citizen.oldIdNumber)] : []),
  ];
  // Cards list the fields in id order, not in DER SET OF order: keep theirs.
  return tlv(LDS_TAGS.dg13, seq(int(1), oid(SANDBOX_OID.iso10646utf8), tlv(0x31, ...fields)));
}

/** What DG14 announces. */
export interface DG14Options {
  /** ActiveAuthenticationInfo with ecdsa-plain-SHA256 (Doc 9303 Part 11 §6.1): for EC AA keys. */
  aaECDSA: boolean;
  /** Chip Authentication public key (ECDH), announced with ChipAuthenticationInfo (BSI TR-03110 §A.1.1.2). */
  caPublicKeyInfo?: Uint8Array;
}

/**
 * DG14: `6E { SET OF SecurityInfo }`.
 *
 * @example
 * encodeDG14({ aaECDSA: true, caPublicKeyInfo: caKey.spki });
 */
export function encodeDG14(opts: DG14Options): Uint8Array {
  const infos: Uint8Array[] = [];
  if (opts.aaECDSA) infos.push(seq(oid(OID.idAA), int(1), oid(OID.ecdsaPlainSHA256)));
  if (opts.caPublicKeyInfo) {
    infos.push(seq(oid(SANDBOX_OID.idCA_ECDH_AES_CBC_CMAC_128), int(1)));
    infos.push(seq(oid(OID.idPK_ECDH), opts.caPublicKeyInfo));
  }
  return tlv(LDS_TAGS.dg14, setOf(...infos));
}

/**
 * DG15: `6F { SubjectPublicKeyInfo }` of the Active Authentication key.
 *
 * @example
 * encodeDG15(aaKey.spki);
 */
export function encodeDG15(spki: Uint8Array): Uint8Array {
  return tlv(LDS_TAGS.dg15, spki);
}

/** Input of the SOD encoder. */
export interface SODOptions {
  /** Raw data group files by number (outer tag included); hashed with SHA-256. */
  dataGroups: ReadonlyMap<number, Uint8Array>;
  /** The Document Signer certificate and key. */
  ds: IssuedCertificate;
  /** `signingTime` signed attribute. */
  signingTime: Date;
  /** Flip a bit of the signature value (the `bad-sod-signature` profile). */
  corruptSignature?: boolean;
}

const SHA256_ALG = seq(oid(OID.sha256));

/**
 * The LDSSecurityObject v0: `SEQUENCE { version 0, hashAlgorithm sha256, dataGroupHashValues }`.
 *
 * @example
 * encodeLDSSecurityObject(new Map([[1, dg1]]));
 */
export function encodeLDSSecurityObject(dataGroups: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const hashes = [...dataGroups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([n, bytes]) => seq(int(n), octets(sha256(bytes))));
  return seq(int(0), SHA256_ALG, seq(...hashes));
}

/**
 * EF.SOD: `77 { ContentInfo { signedData { version 3, {sha256}, encapContentInfo
 * { id-icao-mrtd-security-ldsSecurityObject, LDSSecurityObject }, [0] { DS certificate },
 * { SignerInfo v1 (issuerAndSerialNumber, signed attributes contentType, signingTime, messageDigest) } } } }`.
 * The signature covers the DER of the signed attributes as an explicit SET OF (RFC 5652 §5.4).
 *
 * @example
 * const sod = await encodeSOD({ dataGroups, ds: pki.ds.p256, signingTime: new Date('2021-04-12') });
 */
export async function encodeSOD(opts: SODOptions): Promise<Uint8Array> {
  const lso = encodeLDSSecurityObject(opts.dataGroups);
  const signedAttrsSet = setOf(
    seq(oid(OID.contentType), setOf(oid(OID.ldsSecurityObject))),
    seq(oid(OID.signingTime), setOf(time(opts.signingTime))),
    seq(oid(OID.messageDigest), setOf(octets(sha256(lso)))),
  );
  const key: SandboxKey = opts.ds.key;
  const signature = await key.sign(signedAttrsSet);
  if (opts.corruptSignature) signature[signature.length - 1] = signature[signature.length - 1]! ^ 0x01;
  // [0] IMPLICIT: same contents as the SET OF, retagged.
  const signedAttrs = concat(Uint8Array.of(0xa0), signedAttrsSet.subarray(1));
  const signerInfo = seq(
    int(1),
    seq(opts.ds.issuerDER, int(opts.ds.serial)),
    SHA256_ALG,
    signedAttrs,
    key.signatureAlgorithm,
    octets(signature),
  );
  const signedData = seq(
    int(3),
    setOf(SHA256_ALG),
    seq(oid(OID.ldsSecurityObject), explicit(0, octets(lso))),
    tlv(0xa0, opts.ds.der),
    setOf(signerInfo),
  );
  return tlv(LDS_TAGS.sod, seq(oid(OID.signedData), explicit(0, signedData)));
}
