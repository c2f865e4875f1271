import { describe, expect, it } from 'vitest';
import { onlyChipIdErrors } from '../../../test/support/fuzz.ts';
import { int, oid, printable, seq, setOf, tlv, utf8String } from '../asn1/writer.ts';
import { ChipIdError } from '../errors.ts';
import { concat, utf8 } from '../lib/bytes.ts';
import { cccdIdInfo, parseDG13 } from './dg13.ts';

const field = (n: number, ...values: Uint8Array[]) => seq(int(n), ...values);

/**
 * A DG13 in the layout read from real CCCD chips by public readers (REFERENCES.md, and the Dart
 * parser "NfcDg13Parser" decoding real hex): 6D { SEQUENCE { INTEGER 1, OID 1.0.10646.1.0.8,
 * SET { SEQUENCE { INTEGER n, UTF8String } … } } }, parents (13) and spouse (14) nested in a SEQUENCE.
 * The data is invented (the MRZ example of REFERENCES.md), never a real citizen's.
 */
function realLayoutDG13(extra: Uint8Array[] = []): Uint8Array {
  return tlv(
    0x6d,
    seq(
      int(1),
      oid('1.0.10646.1.0.8'),
      setOf(
        field(1, utf8String('001093047064')),
        field(2, utf8String('Ứng Hoàng Hiệp')),
        field(3, utf8String('05/01/1993')),
        field(4, utf8String('Nam')),
        field(5, utf8String('Việt Nam')),
        field(6, utf8String('Kinh')),
        field(7, utf8String('Không')),
        field(8, utf8String('Hà Nội')),
        field(9, utf8String('Số 1 Phố Tràng Tiền, Phường Tràng Tiền, Quận Hoàn Kiếm, Hà Nội')),
        field(10, utf8String('Nốt ruồi C:2cm trên trước mày phải')),
        field(11, utf8String('10/08/2021')),
        field(12, utf8String('05/01/2033')),
        field(13, seq(utf8String('Ứng Văn Bố'), utf8String('Nguyễn Thị Mẹ'))),
        field(14, seq()),
        field(15, utf8String('')),
        field(16, utf8String('013456789')),
        ...extra,
      ),
    ),
  );
}

describe('parseDG13 (Vietnam CCCD)', () => {
  it('reads every field of the real-card layout, with diacritics preserved', () => {
    const d = parseDG13(realLayoutDG13());
    expect(d).toMatchObject({
      version: 1,
      encoding: '1.0.10646.1.0.8',
      idNumber: '001093047064',
      fullName: 'Ứng Hoàng Hiệp',
      dateOfBirth: '05/01/1993',
      sex: 'Nam',
      nationality: 'Việt Nam',
      ethnicity: 'Kinh',
      religion: 'Không',
      placeOfOrigin: 'Hà Nội',
      placeOfResidence: 'Số 1 Phố Tràng Tiền, Phường Tràng Tiền, Quận Hoàn Kiếm, Hà Nội',
      identifyingMarks: 'Nốt ruồi C:2cm trên trước mày phải',
      dateOfIssue: '10/08/2021',
      dateOfExpiry: '05/01/2033',
      fatherName: 'Ứng Văn Bố',
      motherName: 'Nguyễn Thị Mẹ',
      oldIdNumber: '013456789',
    });
    expect(d.spouseName).toBeUndefined();
    expect(d.fields).toHaveLength(16);
    expect(d.fields.find((f) => f.id === 14)!.values).toEqual([]);
    expect(d.unknown).toEqual([{ id: 15, values: [''] }]);
  });

  it('keeps text exactly as stored (no Unicode normalisation)', () => {
    const nfd = 'Ứng Hoàng Hiệp'.normalize('NFD');
    expect(nfd).not.toBe('Ứng Hoàng Hiệp');
    const d = parseDG13(tlv(0x6d, field(2, utf8String(nfd))));
    expect(d.fullName).toBe(nfd);
  });

  it('keeps unknown ids and reads spouse, nested parents and PrintableString values', () => {
    const d = parseDG13(
      realLayoutDG13([
        field(14, seq(utf8String('Trần Thị Vợ'))),
        field(42, utf8String('x'), printable('Y1')),
      ]),
    );
    expect(d.spouseName).toBe('Trần Thị Vợ');
    expect(d.unknown).toContainEqual({ id: 42, values: ['x', 'Y1'] });
  });

  it('accepts the flat layout and parents as two separately nested strings', () => {
    const flat = tlv(
      0x6d,
      field(1, printable('079203000001')),
      field(2, utf8String('Lê Thị Hoa')),
      field(13, seq(utf8String('Lê Văn A')), seq(utf8String('Phạm Thị B'))),
    );
    const d = parseDG13(flat);
    expect(d.version).toBeUndefined();
    expect(d).toMatchObject({
      idNumber: '079203000001',
      fullName: 'Lê Thị Hoa',
      fatherName: 'Lê Văn A',
      motherName: 'Phạm Thị B',
    });
    expect(d.fields.map((f) => f.id)).toEqual([1, 2, 13]);
  });

  it('accepts the wrapper without an outer SEQUENCE and a SEQUENCE instead of the SET', () => {
    const d = parseDG13(tlv(0x6d, int(2), oid('1.0.10646.1.0.8'), seq(field(6, utf8String('Tày')))));
    expect(d).toMatchObject({ version: 2, ethnicity: 'Tày' });
  });

  it('rejects malformed content with ERR_DG13_INVALID, never echoing the data', () => {
    const code = (b: Uint8Array) => {
      try {
        parseDG13(b);
        return 'none';
      } catch (e) {
        expect((e as Error).message).not.toContain('Hiệp');
        return (e as ChipIdError).code;
      }
    };
    expect(code(tlv(0x6d, seq(utf8String('Ứng Hoàng Hiệp'))))).toBe('ERR_DG13_INVALID');
    expect(code(tlv(0x6d, field(2, int(5))))).toBe('ERR_DG13_INVALID');
    expect(code(tlv(0x6d, field(-1, utf8String('Hiệp'))))).toBe('ERR_DG13_INVALID');
    expect(code(tlv(0x6d, field(2, tlv(0x0c, Uint8Array.of(0xc3, 0x28)))))).toBe('ERR_DG13_INVALID'); // bad UTF-8
    expect(code(tlv(0x6d, int(1), oid('1.0.10646.1.0.8')))).toBe('ERR_DG13_INVALID');
    let deep = utf8String('Hiệp');
    for (let i = 0; i < 6; i++) deep = seq(deep);
    expect(code(tlv(0x6d, field(2, deep)))).toBe('ERR_DG13_INVALID');
    expect(code(tlv(0x6e, field(2, utf8String('x'))))).toBe('ERR_LDS_UNEXPECTED_TAG');
    expect(code(concat(realLayoutDG13(), utf8('x')))).toBe('ERR_LDS_INVALID');
  });

  it('only ever throws ChipIdError (random and mutated input)', () => {
    onlyChipIdErrors(parseDG13, realLayoutDG13(), 500);
  });
});

describe('cccdIdInfo (Circular 07/2016/TT-BCA)', () => {
  it('decodes province, sex, century and birth year', () => {
    expect(cccdIdInfo('001093047064')).toEqual({
      provinceCode: '001',
      sex: 'M',
      century: 1900,
      birthYear: 1993,
    });
    expect(cccdIdInfo('079303000001')).toEqual({
      provinceCode: '079',
      sex: 'F',
      century: 2000,
      birthYear: 2003,
    });
    expect(cccdIdInfo('001200000000')).toMatchObject({ sex: 'M', century: 2000, birthYear: 2000 });
    expect(cccdIdInfo('001499000000')).toMatchObject({ sex: 'M', century: 2100, birthYear: 2199 });
    expect(cccdIdInfo('001900000000')).toMatchObject({ sex: 'F', century: 2300, birthYear: 2300 });
  });

  it('rejects anything but 12 ASCII digits with ERR_CCCD_ID_INVALID', () => {
    for (const bad of ['', '00109304706', '0010930470641', '00109304706a', '٠٠١٠٩٣٠٤٧٠٦٤', ' 001093047064']) {
      try {
        cccdIdInfo(bad);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ChipIdError);
        expect((e as ChipIdError).code).toBe('ERR_CCCD_ID_INVALID');
      }
    }
  });
});
