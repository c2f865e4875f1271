import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tlv } from '../asn1/writer.ts';
import { ChipIdError } from '../errors.ts';
import { ascii, concat } from '../lib/bytes.ts';
import { parseDG1 } from './dg1.ts';
import { mrzInformation } from './mrz.ts';

/** Flipped, overwritten, truncated or extended copies of a valid file. */
const mutations = (base: Uint8Array) =>
  fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
      const b = base.slice();
      b[i % b.length]! ^= x;
      return b;
    }),
    fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }).map((ps) => {
      const b = base.slice();
      for (const [i, v] of ps) b[i % b.length] = v;
      return b;
    }),
    fc.nat(base.length).map((n) => base.slice(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 16 }).map((x) => concat(base, x)),
  );

/** Runs `parse` on random and mutated input: it may only throw ChipIdError. */
const onlyChipIdErrors = (parse: (b: Uint8Array) => unknown, base: Uint8Array, numRuns: number) =>
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 96 }), mutations(base)), (b) => {
      try {
        parse(b);
      } catch (e) {
        expect(e).toBeInstanceOf(ChipIdError);
      }
    }),
    { numRuns },
  );

const vector = (p: string) =>
  new Uint8Array(readFileSync(new URL(`../../../test/vectors/${p}`, import.meta.url)));
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
