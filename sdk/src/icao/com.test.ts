import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutations, vector } from '../../../test/support/fuzz.ts';
import { tlv } from '../asn1/writer.ts';
import { ChipIdError } from '../errors.ts';
import { ascii } from '../lib/bytes.ts';
import { parseCOM } from './com.ts';

// BSI TR-03105-5 ReferenceDataSet EF.COM (test/vectors/SOURCES.md).
const COM = vector('bsi-tr03105/EF_COM.bin');

describe('parseCOM (Doc 9303 Part 10 §4.6.1)', () => {
  it('reads the BSI TR-03105 EF.COM', () => {
    const com = parseCOM(COM);
    expect(com.ldsVersion).toBe('0107');
    expect(com.unicodeVersion).toBe('040000');
    expect(com.tags).toEqual([0x61, 0x75, 0x63, 0x76, 0x6e]);
    expect(com.dataGroups).toEqual([1, 2, 3, 4, 14]);
  });

  it('keeps unknown tags in `tags` but not in `dataGroups`', () => {
    const file = tlv(
      0x60,
      tlv(0x5f01, ascii('0108')),
      tlv(0x5f36, ascii('040000')),
      tlv(0x5c, Uint8Array.of(0x61, 0x99, 0x6d)),
    );
    const com = parseCOM(file);
    expect(com.ldsVersion).toBe('0108');
    expect(com.tags).toEqual([0x61, 0x99, 0x6d]);
    expect(com.dataGroups).toEqual([1, 13]);
  });

  it('rejects missing elements and bad versions', () => {
    const code = (b: Uint8Array) => {
      try {
        parseCOM(b);
        return 'none';
      } catch (e) {
        return (e as ChipIdError).code;
      }
    };
    expect(code(tlv(0x60, tlv(0x5f01, ascii('0107')), tlv(0x5c, Uint8Array.of(0x61))))).toBe(
      'ERR_LDS_INVALID',
    );
    expect(
      code(tlv(0x60, tlv(0x5f01, ascii('01x7')), tlv(0x5f36, ascii('040000')), tlv(0x5c, new Uint8Array(0)))),
    ).toBe('ERR_LDS_INVALID');
    expect(code(tlv(0x61, tlv(0x5f01, ascii('0107'))))).toBe('ERR_LDS_UNEXPECTED_TAG');
  });

  it('only ever throws ChipIdError (random and mutated input)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutations(COM)), (b) => {
        try {
          parseCOM(b);
        } catch (e) {
          expect(e).toBeInstanceOf(ChipIdError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
