import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tlv } from '../asn1/writer.ts';
import { ChipIdError } from '../errors.ts';
import { ascii, concat } from '../lib/bytes.ts';
import { parseCOM } from './com.ts';

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

const vector = (p: string) =>
  new Uint8Array(readFileSync(new URL(`../../../test/vectors/${p}`, import.meta.url)));
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
