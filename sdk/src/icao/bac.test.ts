import { describe, expect, it } from 'vitest';
import { ChipIdError } from '../errors.ts';
import { toHex } from '../lib/bytes.ts';
import { adjustParity, deriveBACKeys } from './bac.ts';
import { mrzInformation, parseMRZ } from './mrz.ts';

describe('deriveBACKeys (Doc 9303 Part 11 §9.7.1)', () => {
  it('matches the Part 11 Appendix D worked example', () => {
    const { kSeed, kEnc, kMac } = deriveBACKeys('L898902C<369080619406236');
    expect(toHex(kSeed)).toBe('239ab9cb282daf66231dc5a4df6bfbae');
    expect(toHex(kEnc)).toBe('ab94fdecf2674fdfb9b391f85d7f76f2');
    expect(toHex(kMac)).toBe('7962d9ece03d1acd4c76089dce131543');
  });

  it('works from a parsed MRZ (document number shorter than 9 characters is padded)', () => {
    const info = mrzInformation({
      documentNumber: 'L898902C',
      dateOfBirth: '690806',
      dateOfExpiry: '940623',
    });
    expect(toHex(deriveBACKeys(info).kEnc)).toBe('ab94fdecf2674fdfb9b391f85d7f76f2');
    const td3 = parseMRZ(
      'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10',
    );
    expect(deriveBACKeys(mrzInformation(td3)).kEnc).toHaveLength(16);
  });

  it('sets odd parity on every key byte', () => {
    const { kEnc, kMac } = deriveBACKeys('C11T002JM496081222310314');
    for (const b of [...kEnc, ...kMac]) {
      let ones = 0;
      for (let v = b; v; v >>= 1) ones += v & 1;
      expect(ones % 2).toBe(1);
    }
    expect(toHex(adjustParity(Uint8Array.of(0x00, 0x01, 0xfe, 0xff)))).toBe('0101fefe');
  });

  it('rejects strings that are not MRZ information', () => {
    expect(() => deriveBACKeys('short')).toThrow(ChipIdError);
    expect(() => deriveBACKeys('l898902c<369080619406236')).toThrow(/MRZ characters/);
  });
});
