import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { int, oid, seq, tlv } from '../asn1/writer.ts';
import { ChipIdError } from '../errors.ts';
import { concat, equalBytes } from '../lib/bytes.ts';
import { parseDG15 } from './dg15.ts';

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
// BSI TR-03105-5 ReferenceDataSet DG15 (RSA-1024) and DG15_pk.bin, its SubjectPublicKeyInfo alone.
const BSI = vector('bsi-tr03105/Datagroup15.bin');
const BSI_PK = vector('bsi-tr03105/DG15_pk.bin');
// A real Slovenian passport's DG15 (ZeroPass port-py-server test vectors; test/vectors/SOURCES.md).
const SI = vector('slovenia-passport/ef.dg15_ef.sod_si_454CB206.bin');

describe('parseDG15 (Doc 9303 Part 11 §6.1)', () => {
  it('reads the BSI TR-03105 RSA-1024 key', () => {
    const { spki, key } = parseDG15(BSI);
    expect(equalBytes(spki, BSI_PK)).toBe(true);
    expect(spki.buffer).toBe(BSI.buffer); // a view into the input
    if (key.kind !== 'rsa') throw new Error('expected RSA');
    expect(key.bits).toBe(1024);
    expect(key.e).toBe(65537n);
    expect(key.n.toString(16).startsWith('8130e120bb785a45')).toBe(true);
  });

  it('reads the Slovenian passport key', () => {
    const { key } = parseDG15(SI);
    expect(key.kind).toBe('rsa');
    if (key.kind === 'rsa') expect(key.bits).toBe(1024);
  });

  it('rejects other files and non-keys', () => {
    const code = (b: Uint8Array) => {
      try {
        parseDG15(b);
        return 'none';
      } catch (e) {
        return (e as ChipIdError).code;
      }
    };
    expect(code(vector('bsi-tr03105/Datagroup14.bin'))).toBe('ERR_LDS_UNEXPECTED_TAG');
    expect(code(tlv(0x6f, seq(int(1))))).toBe('ERR_DG15_INVALID');
    expect(code(tlv(0x6f, BSI_PK, BSI_PK))).toBe('ERR_DG15_INVALID');
    expect(code(tlv(0x6f))).toBe('ERR_DG15_INVALID');
    expect(code(tlv(0x6f, seq(seq(oid('1.2.3')), tlv(0x03, Uint8Array.of(0, 1)))))).toBe(
      'ERR_ALG_UNSUPPORTED',
    );
  });

  it('only ever throws ChipIdError (random and mutated input)', () => {
    onlyChipIdErrors(parseDG15, BSI, 400);
  });
});
