/**
 * DG2 — encoded face, Doc 9303 Part 10 §4.7.2: biometric information group template (7F61) of
 * biometric information templates (7F60), each a header (A1) and a biometric data block (5F2E,
 * or 7F2E) holding an ISO/IEC 19794-5:2005 facial record (`FAC\0`).
 */
import { children, type Node } from '../asn1/der.ts';
import { LDSError } from '../errors.ts';
import { LDS_TAG, readLDSFile, withLDSErrors } from './lds.ts';

/** One face image from DG2. `image` is a view into the input bytes. */
export interface DG2Face {
  readonly format: 'jpeg' | 'jp2';
  readonly image: Uint8Array;
  /** Width in pixels from the ISO/IEC 19794-5 image information block (absent when 0/unknown). */
  readonly width?: number;
  /** Height in pixels from the ISO/IEC 19794-5 image information block (absent when 0/unknown). */
  readonly height?: number;
}

const TAG_BIT_GROUP = 0x7f61;
const TAG_BIT = 0x7f60;
const TAG_BDB = 0x5f2e;
const TAG_BDB_CONSTRUCTED = 0x7f2e;
const TAG_COUNT = 0x02;

const FACIAL_RECORD_HEADER = 14; // 'FAC\0', version, record length (4), number of images (2)
const FACIAL_INFORMATION = 20;
const FEATURE_POINT = 8;
const IMAGE_INFORMATION = 12;

const fail = (rule: string): never => {
  throw new LDSError('ERR_DG2_INVALID', `dg2: ${rule}`);
};

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number => u16(b, o) * 0x10000 + u16(b, o + 2);

/** Image format from the first bytes: JPEG (FF D8 FF), JP2 file (signature box) or J2K codestream (FF 4F FF 51). */
export function imageFormat(b: Uint8Array): 'jpeg' | 'jp2' | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (
    b.length >= 8 &&
    b[0] === 0 &&
    b[1] === 0 &&
    b[2] === 0 &&
    b[3] === 0x0c &&
    b[4] === 0x6a &&
    b[5] === 0x50 &&
    b[6] === 0x20 &&
    b[7] === 0x20
  )
    return 'jp2';
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51) return 'jp2';
  return undefined;
}

function face(image: Uint8Array, width: number, height: number): DG2Face {
  const format = imageFormat(image) ?? fail('image is neither JPEG nor JPEG 2000');
  return { format, image, ...(width > 0 ? { width } : {}), ...(height > 0 ? { height } : {}) };
}

/** First offset ≥ `from` where an image starts (fallback for facial record versions other than 2005's). */
function findImage(b: Uint8Array, from: number): number {
  for (let i = from; i < b.length - 3; i++) if (imageFormat(b.subarray(i, i + 8))) return i;
  return -1;
}

/** Faces of one ISO/IEC 19794-5 facial record. */
function parseFacialRecord(rec: Uint8Array): DG2Face[] {
  if (
    rec.length < FACIAL_RECORD_HEADER ||
    rec[0] !== 0x46 ||
    rec[1] !== 0x41 ||
    rec[2] !== 0x43 ||
    rec[3] !== 0
  )
    fail("biometric data block is not an ISO/IEC 19794-5 facial record ('FAC')");
  const is2005 = rec[4] === 0x30 && rec[5] === 0x31 && rec[6] === 0x30 && rec[7] === 0;
  const count = u16(rec, 12);
  if (!is2005) {
    // Later versions of 19794-5 changed the block layout; take the single image by its signature.
    const start = findImage(rec, FACIAL_RECORD_HEADER);
    if (start < 0) fail('no image in facial record');
    return [face(rec.subarray(start), 0, 0)];
  }
  if (count === 0) fail('facial record holds no image');
  const out: DG2Face[] = [];
  let pos = FACIAL_RECORD_HEADER;
  for (let i = 0; i < count; i++) {
    if (pos + FACIAL_INFORMATION > rec.length) fail('truncated facial information');
    const blockLength = u32(rec, pos);
    const featurePoints = u16(rec, pos + 4);
    const info = pos + FACIAL_INFORMATION + featurePoints * FEATURE_POINT;
    const dataStart = info + IMAGE_INFORMATION;
    const end = pos + blockLength;
    if (dataStart > end || end > rec.length) fail('facial record block length out of range');
    out.push(face(rec.subarray(dataStart, end), u16(rec, info + 2), u16(rec, info + 4)));
    pos = end;
  }
  return out;
}

/**
 * Parses DG2 and returns its face images (JPEG or JPEG 2000), as views into `bytes`.
 *
 * @throws LDSError `ERR_LDS_UNEXPECTED_TAG`, `ERR_LDS_INVALID`, `ERR_DG2_INVALID`
 * @example
 * const [face] = parseDG2(bytes);
 * face.format; // 'jp2'
 */
export function parseDG2(bytes: Uint8Array): DG2Face[] {
  const outer = readLDSFile(bytes, LDS_TAG.DG2);
  return withLDSErrors('ERR_DG2_INVALID', 'dg2: malformed DG2', () => {
    const opts = { der: false };
    const groups = children(outer, opts);
    const group = groups[0];
    if (!group || group.id !== TAG_BIT_GROUP || groups.length !== 1)
      fail('expected one biometric information group template (7F61)');
    const items = children(group as Node, opts);
    const faces: DG2Face[] = [];
    for (const item of items) {
      if (item.id === TAG_COUNT) continue;
      if (item.id !== TAG_BIT) fail('unexpected element in biometric information group');
      const bdb = children(item, opts).find((n) => n.id === TAG_BDB || n.id === TAG_BDB_CONSTRUCTED);
      if (!bdb) fail('biometric information template without a data block');
      faces.push(...parseFacialRecord((bdb as Node).value));
    }
    if (faces.length === 0) fail('no facial image');
    return faces;
  });
}
