import { describe, expect, it } from 'vitest';
import { onlyChipIdErrors, vector } from '../../../test/support/fuzz.ts';
import { tlv } from '../asn1/writer.ts';
import type { ChipIdError } from '../errors.ts';
import { ascii } from '../lib/bytes.ts';
import { parseDG1 } from './dg1.ts';
import { mrzInformation } from './mrz.ts';

// BSI TR-03105-5 ReferenceDataSet DG1 (test/vectors/SOURCES.md): TD3 MRZ of MUSTERMANN ERIKA.
const DG1 = vector('bsi-tr03105/Datagroup1.bin');

describe('parseDG1 (Doc 9303 Part 10 §4.7.1)', () => {
  it('parses the BSI TR-03105 DG1', () => {
    const { mrz, raw } = parseDG1(DG1);
    expect(raw).toBe(
      ['P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<', 'C11T002JM4D<<9608122F2310314<<<<<<<<<<<<<<<4'].join(
        '',
      ),
    );
    expect(raw).toHaveLength(88);
    expect(mrz).toMatchObject({
      format: 'TD3',
      documentCode: 'P',
      issuingState: 'D',
      surname: 'MUSTERMANN',
      givenNames: 'ERIKA',
      documentNumber: 'C11T002JM',
      nationality: 'D',
      dateOfBirth: '960812',
      sex: 'F',
      dateOfExpiry: '231031',
      optionalData: '',
      valid: true,
    });
    expect(mrzInformation(mrz)).toBe('C11T002JM496081222310314');
  });

  it('reads a TD1 DG1 and reports a check-digit failure as a value', () => {
    const td1 = 'I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<';
    expect(parseDG1(tlv(0x61, tlv(0x5f1f, ascii(td1)))).mrz.valid).toBe(true);
    const bad = parseDG1(tlv(0x61, tlv(0x5f1f, ascii(td1.replace('7408122', '7408123')))));
    expect(bad.mrz.valid).toBe(false);
  });

  it('rejects other files, missing MRZ objects and non-MRZ characters', () => {
    const code = (b: Uint8Array) => {
      try {
        parseDG1(b);
        return 'none';
      } catch (e) {
        return (e as ChipIdError).code;
      }
    };
    expect(code(vector('bsi-tr03105/EF_COM.bin'))).toBe('ERR_LDS_UNEXPECTED_TAG');
    expect(code(tlv(0x61, tlv(0x5f20, ascii('x'))))).toBe('ERR_LDS_INVALID');
    expect(code(tlv(0x61, tlv(0x5f1f, ascii('P<D')), tlv(0x5f1f, ascii('P<D'))))).toBe('ERR_LDS_INVALID');
    const mrz = new TextDecoder().decode(DG1.subarray(5));
    expect(code(tlv(0x61, tlv(0x5f1f, ascii(`${mrz.slice(0, 44)}\n${mrz.slice(44, 87)}`))))).toBe(
      'ERR_MRZ_INVALID',
    );
    expect(code(tlv(0x61, tlv(0x5f1f, ascii(mrz.slice(1)))))).toBe('ERR_MRZ_INVALID');
  });

  it('only ever throws ChipIdError (random and mutated input)', () => {
    onlyChipIdErrors(parseDG1, DG1, 400);
  });
});
