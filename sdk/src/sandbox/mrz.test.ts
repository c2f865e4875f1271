/**
 * MRZ writer: check digits recomputed here independently (Doc 9303 Part 3 §4.9), worked examples from
 * Doc 9303 Part 3 §4.9 / Part 5 Appendix A (TD1 specimen) and the CCCD line 1 quoted in REFERENCES.md.
 */
import { describe, expect, it } from 'vitest';
import { cccdMRZ, mrzCheckDigit, mrzName, mrzTransliterate } from './mrz.ts';

/** Independent 7-3-1 check digit. */
function cd(s: string): number {
  const v = (c: string) => (c === '<' ? 0 : /\d/.test(c) ? Number(c) : c.charCodeAt(0) - 55);
  return [...s].reduce((sum, c, i) => sum + v(c) * [7, 3, 1][i % 3]!, 0) % 10;
}

/** Every TD1 check digit of three lines (Doc 9303 Part 5 §4.2.2.1), recomputed from positions. */
function td1ChecksOk(l1: string, l2: string): boolean {
  return (
    cd(l1.slice(5, 14)) === Number(l1[14]) &&
    cd(l2.slice(0, 6)) === Number(l2[6]) &&
    cd(l2.slice(8, 14)) === Number(l2[14]) &&
    cd(l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29)) === Number(l2[29])
  );
}

describe('mrzCheckDigit', () => {
  it('matches the Doc 9303 Part 3 worked examples', () => {
    expect(mrzCheckDigit('L898902C3')).toBe('6');
    expect(mrzCheckDigit('740812')).toBe('2');
    expect(mrzCheckDigit('120415')).toBe('9');
    expect(mrzCheckDigit('D23145890')).toBe('7');
  });
});

describe('TD1 composite rule (helper self-test)', () => {
  it('accepts the Doc 9303 Part 5 TD1 specimen and rejects a one-digit change', () => {
    expect(td1ChecksOk('I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6')).toBe(true);
    expect(td1ChecksOk('I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<5')).toBe(false);
  });
});

describe('cccdMRZ', () => {
  it('lays out line 1 as the CCCD in REFERENCES.md (document number = last 9 digits, id + own check digit)', () => {
    const [l1, l2, l3] = cccdMRZ({
      idNumber: '001093047064',
      birthDate: '1993-01-05',
      sex: 'M',
      expiryDate: '2033-01-05',
      fullName: 'Ứng Hoàng Hiệp',
    });
    expect(l1).toBe('IDVNM0930470641001093047064<<2');
    expect(l2.startsWith('9301054M3301052VNM<<<<<<<<<<<')).toBe(true);
    expect(l3).toBe('UNG<<HOANG<HIEP<<<<<<<<<<<<<<<');
    expect(td1ChecksOk(l1, l2)).toBe(true);
    // The id's own check digit in the last optional-data position.
    expect(cd('001093047064')).toBe(Number(l1[29]));
  });

  it('keeps every check digit right for other states, sexes and dates', () => {
    const [l1, l2] = cccdMRZ({
      idNumber: '079195004127',
      issuingState: 'LAO',
      birthDate: '1995-11-02',
      sex: 'F',
      expiryDate: '2035-11-02',
      fullName: 'Lê Thị Hồng Nhung',
    });
    expect(l1.slice(2, 5)).toBe('LAO');
    expect(l2[7]).toBe('F');
    expect(td1ChecksOk(l1, l2)).toBe(true);
  });

  it('rejects malformed ids and dates', () => {
    const base = { birthDate: '1990-01-01', sex: 'M' as const, expiryDate: '2030-01-01', fullName: 'A B' };
    expect(() => cccdMRZ({ ...base, idNumber: '12345' })).toThrow();
    expect(() => cccdMRZ({ ...base, idNumber: '001090000000', birthDate: '01/01/1990' })).toThrow();
  });
});

describe('names', () => {
  it('removes Vietnamese diacritics, Đ → D', () => {
    expect(mrzTransliterate('Đặng Thu Trang')).toBe('DANG<THU<TRANG');
    expect(mrzName('Ngô Thị Mỹ Duyên')).toBe('NGO<<THI<MY<DUYEN<<<<<<<<<<<<<');
    expect(mrzName('Nguyễn Thị Thanh Hương Giang Hoàng Phương Linh')).toHaveLength(30);
  });
});
