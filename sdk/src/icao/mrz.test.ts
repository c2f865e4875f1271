import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChipIdError } from '../errors.ts';
import { assertMRZValid, checkDigit, type MRZ, mrzInformation, parseMRZ } from './mrz.ts';

// ICAO Doc 9303 Part 5 (TD1) specimen.
const TD1_SPECIMEN = [
  'I<UTOD231458907<<<<<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<6',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
];
// ICAO Doc 9303 Part 4 (TD3) specimen.
const TD3_SPECIMEN = [
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
  'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
];
// Vietnam CCCD TD1 layout (REFERENCES.md): document number = last 9 digits of the 12-digit id, optional
// data 1 = the 12-digit id + fillers + that id's own 7-3-1 check digit. Check digits computed with the
// Part 3 algorithm (checkDigit below): '093047064' → 1, '001093047064' → 2, '930105' → 4, '330105' → 2,
// composite (line1[5..29] + line2[0..6] + line2[8..14] + line2[18..28]) → 8.
const VN_CCCD = [
  'IDVNM0930470641001093047064<<2',
  '9301054M3301052VNM<<<<<<<<<<<8',
  'UNG<<HOANG<HIEP<<<<<<<<<<<<<<<',
];

const failed = (m: MRZ) => m.checks.filter((c) => !c.ok).map((c) => c.field);

describe('checkDigit (Doc 9303 Part 3 §4.9)', () => {
  it('computes 7-3-1 check digits', () => {
    expect(checkDigit('L898902C<')).toBe(3); // Part 11 Appendix D
    expect(checkDigit('690806')).toBe(1);
    expect(checkDigit('940623')).toBe(6);
    expect(checkDigit('D23145890')).toBe(7); // Part 5 specimen
    expect(checkDigit('<<<<<')).toBe(0);
    expect(checkDigit('')).toBe(0);
  });

  it('rejects characters outside 0-9 A-Z <', () => {
    expect(() => checkDigit('ab')).toThrow(ChipIdError);
    expect(() => checkDigit('É')).toThrow(/character set/);
  });
});

describe('parseMRZ', () => {
  it('parses the Part 5 TD1 specimen', () => {
    const m = parseMRZ(TD1_SPECIMEN.join('\n'));
    expect(m).toMatchObject({
      format: 'TD1',
      documentCode: 'I',
      issuingState: 'UTO',
      documentNumber: 'D23145890',
      optionalData: '',
      optionalData2: '',
      dateOfBirth: '740812',
      dateOfExpiry: '120415',
      sex: 'F',
      nationality: 'UTO',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      valid: true,
    });
    expect(m.checks.map((c) => c.field)).toEqual([
      'documentNumber',
      'dateOfBirth',
      'dateOfExpiry',
      'composite',
    ]);
    expect(m.lines).toEqual(TD1_SPECIMEN);
  });

  it('parses the Part 4 TD3 specimen, lines joined or separated', () => {
    for (const text of [TD3_SPECIMEN.join('\n'), TD3_SPECIMEN.join(''), `  ${TD3_SPECIMEN.join('\r\n')}\n`]) {
      const m = parseMRZ(text);
      expect(m).toMatchObject({
        format: 'TD3',
        documentCode: 'P',
        issuingState: 'UTO',
        documentNumber: 'L898902C3',
        optionalData: 'ZE184226B',
        dateOfBirth: '740812',
        dateOfExpiry: '120415',
        sex: 'F',
        nationality: 'UTO',
        surname: 'ERIKSSON',
        givenNames: 'ANNA MARIA',
        valid: true,
      });
      expect(m.optionalData2).toBeUndefined();
      expect(m.checks).toHaveLength(5);
    }
  });

  it('parses a Vietnam CCCD TD1', () => {
    const m = parseMRZ(VN_CCCD.join('\n'));
    expect(m).toMatchObject({
      format: 'TD1',
      documentCode: 'ID',
      issuingState: 'VNM',
      documentNumber: '093047064',
      optionalData: '001093047064<<2',
      sex: 'M',
      dateOfBirth: '930105',
      dateOfExpiry: '330105',
      nationality: 'VNM',
      surname: 'UNG',
      givenNames: 'HOANG HIEP',
      valid: true,
    });
    // The id's own check digit at the end of optional data 1.
    expect(checkDigit('001093047064')).toBe(2);
  });

  it('applies the TD1 document-number overflow rule (Part 5 §4.2.2, note j)', () => {
    // Part 5 example of a 12-character document number: D23145890734, check digit 9, position 15 '<'.
    const l1 = 'I<UTOD23145890<7349<<<<<<<<<<<';
    const l2head = '7408122F1204159UTO<<<<<<<<<<<';
    const composite = checkDigit(
      l1.slice(5, 30) + l2head.slice(0, 7) + l2head.slice(8, 15) + l2head.slice(18, 29),
    );
    const m = parseMRZ([l1, l2head + composite, TD1_SPECIMEN[2]].join('\n'));
    expect(m.documentNumber).toBe('D23145890734');
    expect(m.optionalData).toBe('');
    expect(m.valid).toBe(true);
    expect(mrzInformation(m)).toBe(`D23145890734${checkDigit('D23145890734')}74081221204159`);
    expect(checkDigit('D23145890734')).toBe(9);
    // Remaining optional data after the overflow is kept.
    const l1b = 'I<UTOD23145890<7349<AB12<<<<<<';
    const c2 = checkDigit(l1b.slice(5, 30) + l2head.slice(0, 7) + l2head.slice(8, 15) + l2head.slice(18, 29));
    const mb = parseMRZ([l1b, l2head + c2, TD1_SPECIMEN[2]].join(''));
    expect(mb.documentNumber).toBe('D23145890734');
    expect(mb.optionalData).toBe('AB12');
    expect(mb.valid).toBe(true);
    // A wrong overflow check digit is reported against the document number.
    const bad = parseMRZ(['I<UTOD23145890<7341<<<<<<<<<<<', l2head + composite, TD1_SPECIMEN[2]].join(''));
    expect(failed(bad)).toContain('documentNumber');
  });

  it('parses TD2 with composite check', () => {
    const l1 = 'I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<';
    const head = 'D231458907UTO7408122F1204159<<<<<<<';
    const c = checkDigit(head.slice(0, 10) + head.slice(13, 20) + head.slice(21, 35));
    const m = parseMRZ(`${l1}\n${head}${c}`);
    expect(m).toMatchObject({
      format: 'TD2',
      documentNumber: 'D23145890',
      optionalData: '',
      valid: true,
      sex: 'F',
    });
    expect(failed(parseMRZ(`${l1}\n${head}${(c + 1) % 10}`))).toEqual(['composite']);
  });

  it('reports check-digit failures without throwing, and assertMRZValid names the field', () => {
    const tampered = [TD3_SPECIMEN[0], TD3_SPECIMEN[1]!.replace('L898902C3', 'L898902C4')].join('\n');
    const m = parseMRZ(tampered);
    expect(m.valid).toBe(false);
    expect(failed(m)).toEqual(['documentNumber', 'composite']);
    expect(() => assertMRZValid(m)).toThrow('mrz: check digit mismatch (document number)');
    try {
      assertMRZValid(m);
    } catch (e) {
      expect((e as ChipIdError).code).toBe('ERR_MRZ_CHECK_DIGIT');
      expect((e as Error).message).not.toContain('L898902C4');
    }
    expect(() => assertMRZValid(parseMRZ(TD3_SPECIMEN.join('')))).not.toThrow();
    // Date of birth changed: its own check and the composite fail.
    const dob = parseMRZ([TD3_SPECIMEN[0], TD3_SPECIMEN[1]!.replace('7408122', '7408132')].join(''));
    expect(failed(dob)).toEqual(['dateOfBirth', 'composite']);
  });

  it('accepts a filler check digit only for an all-filler personal number (TD3)', () => {
    const base = 'L898902C36UTO7408122F1204159<<<<<<<<<<<<<<';
    const comp = (l: string) => checkDigit(l.slice(0, 10) + l.slice(13, 20) + l.slice(21, 43));
    const withFiller = `${base}<`;
    expect(parseMRZ(TD3_SPECIMEN[0] + withFiller + comp(withFiller)).valid).toBe(true);
    const nonEmpty = 'L898902C36UTO7408122F1204159ZE184226B<<<<<<';
    expect(failed(parseMRZ(TD3_SPECIMEN[0] + nonEmpty + comp(nonEmpty)))).toEqual(['optionalData']);
  });

  it('maps sex < and X to X', () => {
    const l2 = TD3_SPECIMEN[1]!;
    expect(parseMRZ(TD3_SPECIMEN[0] + `${l2.slice(0, 20)}<${l2.slice(21)}`).sex).toBe('X');
    expect(parseMRZ(TD3_SPECIMEN[0] + `${l2.slice(0, 20)}X${l2.slice(21)}`).sex).toBe('X');
  });

  it('rejects wrong lengths, line widths and characters with ERR_MRZ_INVALID', () => {
    const code = (t: string) => {
      try {
        parseMRZ(t);
        return 'none';
      } catch (e) {
        return (e as ChipIdError).code;
      }
    };
    expect(code('')).toBe('ERR_MRZ_INVALID');
    expect(code(TD3_SPECIMEN.join('').slice(1))).toBe('ERR_MRZ_INVALID');
    expect(code(TD3_SPECIMEN.join('').toLowerCase())).toBe('ERR_MRZ_INVALID');
    expect(code(`${TD3_SPECIMEN[0]}<\n${TD3_SPECIMEN[1]!.slice(1)}`)).toBe('ERR_MRZ_INVALID');
    const l2 = TD3_SPECIMEN[1]!;
    expect(code(TD3_SPECIMEN[0] + `${l2.slice(0, 20)}Q${l2.slice(21)}`)).toBe('ERR_MRZ_INVALID');
  });

  it('only ever throws ChipIdError', () => {
    const alphabet = fc.constantFrom(...'0123456789ABCXYZ<<<<\n '.split(''));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(alphabet, { minLength: 85, maxLength: 95 }).map((a) => a.join('')),
          fc.array(alphabet, { minLength: 88, maxLength: 88 }).map((a) => a.join('')),
        ),
        (t) => {
          try {
            const m = parseMRZ(t);
            expect(typeof m.valid).toBe('boolean');
          } catch (e) {
            expect(e).toBeInstanceOf(ChipIdError);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('mrzInformation (Doc 9303 Part 11 §9.7.1)', () => {
  it('builds the Appendix D example string', () => {
    expect(
      mrzInformation({ documentNumber: 'L898902C', dateOfBirth: '690806', dateOfExpiry: '940623' }),
    ).toBe('L898902C<369080619406236');
  });

  it('uses computed check digits and the full document number', () => {
    expect(mrzInformation(parseMRZ(TD3_SPECIMEN.join('')))).toBe('L898902C3674081221204159');
    expect(mrzInformation(parseMRZ(VN_CCCD.join('')))).toBe('093047064193010543301052');
  });
});
