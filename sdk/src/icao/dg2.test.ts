import { describe, expect, it } from 'vitest';
import { onlyChipIdErrors, vector } from '../../../test/support/fuzz.ts';
import { tlv } from '../asn1/writer.ts';
import type { ChipIdError } from '../errors.ts';
import { concat } from '../lib/bytes.ts';
import { imageFormat, parseDG2 } from './dg2.ts';

// BSI TR-03105-5 ReferenceDataSet DG2 (test/vectors/SOURCES.md): one JPEG 2000 face.
const DG2 = vector('bsi-tr03105/Datagroup2.bin');

const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

/** An ISO/IEC 19794-5:2005 facial record with the given images (and feature points on each). */
function facialRecord(images: { data: Uint8Array; w: number; h: number; fp?: number }[]): Uint8Array {
  const blocks = images.map(({ data, w, h, fp = 0 }) => {
    const len = 20 + 8 * fp + 12 + data.length;
    const info = concat(u32(len), u16(fp), new Uint8Array(14));
    const points = new Uint8Array(8 * fp).fill(0x11);
    const imageInfo = concat(Uint8Array.of(1, 0), u16(w), u16(h), new Uint8Array(6));
    return concat(info, points, imageInfo, data);
  });
  const body = concat(...blocks);
  return concat(
    Uint8Array.of(0x46, 0x41, 0x43, 0, 0x30, 0x31, 0x30, 0),
    u32(14 + body.length),
    u16(images.length),
    body,
  );
}

const dg2 = (...records: Uint8Array[]) =>
  tlv(
    0x75,
    tlv(
      0x7f61,
      tlv(0x02, Uint8Array.of(records.length)),
      ...records.map((r) => tlv(0x7f60, tlv(0xa1, tlv(0x81, Uint8Array.of(2))), tlv(0x5f2e, r))),
    ),
  );

const JPEG = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9);
const J2K = Uint8Array.of(0xff, 0x4f, 0xff, 0x51, 9, 9, 9);

describe('parseDG2 (Doc 9303 Part 10 §4.7.2, ISO/IEC 19794-5)', () => {
  it('extracts the JPEG 2000 face of the BSI TR-03105 DG2', () => {
    const faces = parseDG2(DG2);
    expect(faces).toHaveLength(1);
    const [face] = faces;
    expect(face!.format).toBe('jp2');
    // JP2 signature box.
    expect(Array.from(face!.image.subarray(0, 12))).toEqual([
      0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a,
    ]);
    // The image runs to the end of the facial record block: 0x3AB7 (block length) − 20 − 12 bytes.
    expect(face!.image.length).toBe(0x3ab7 - 32);
    expect(face!.image.byteOffset - DG2.byteOffset + face!.image.length).toBe(DG2.length);
    expect(face!.image.buffer).toBe(DG2.buffer); // a view, not a copy
    expect(face!.width).toBe(0x151);
    expect(face!.height).toBe(0x1c1);
  });

  it('reads several records, several images per record, feature points and JPEG', () => {
    const faces = parseDG2(
      dg2(
        facialRecord([
          { data: JPEG, w: 480, h: 640, fp: 2 },
          { data: J2K, w: 0, h: 0 },
        ]),
        facialRecord([{ data: JPEG, w: 1, h: 2 }]),
      ),
    );
    expect(faces.map((f) => f.format)).toEqual(['jpeg', 'jp2', 'jpeg']);
    expect(Array.from(faces[0]!.image)).toEqual(Array.from(JPEG));
    expect(faces[0]).toMatchObject({ width: 480, height: 640 });
    expect(faces[1]!.width).toBeUndefined();
    expect(Array.from(faces[1]!.image)).toEqual(Array.from(J2K));
  });

  it('detects image formats by signature', () => {
    expect(imageFormat(JPEG)).toBe('jpeg');
    expect(imageFormat(J2K)).toBe('jp2');
    expect(imageFormat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47))).toBeUndefined();
  });

  it('rejects non-face records, unknown images and bad lengths with ERR_DG2_INVALID', () => {
    const code = (b: Uint8Array) => {
      try {
        parseDG2(b);
        return 'none';
      } catch (e) {
        return (e as ChipIdError).code;
      }
    };
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0);
    expect(code(dg2(facialRecord([{ data: png, w: 1, h: 1 }])))).toBe('ERR_DG2_INVALID');
    const rec = facialRecord([{ data: JPEG, w: 1, h: 1 }]);
    const wrongMagic = rec.slice();
    wrongMagic[0] = 0x46 + 1;
    expect(code(dg2(wrongMagic))).toBe('ERR_DG2_INVALID');
    const tooLong = rec.slice();
    tooLong.set(u32(1000), 14);
    expect(code(dg2(tooLong))).toBe('ERR_DG2_INVALID');
    expect(code(tlv(0x75, tlv(0x7f61, tlv(0x02, Uint8Array.of(0)))))).toBe('ERR_DG2_INVALID');
    expect(code(vector('bsi-tr03105/Datagroup1.bin'))).toBe('ERR_LDS_UNEXPECTED_TAG');
  });

  it('only ever throws ChipIdError (random and mutated input)', () => {
    onlyChipIdErrors(parseDG2, DG2, 300);
    onlyChipIdErrors(parseDG2, dg2(facialRecord([{ data: JPEG, w: 1, h: 1, fp: 1 }])), 300);
  });
});
