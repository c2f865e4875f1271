import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChipIdError } from '../errors.ts';
import { parseDG2 } from './dg2.ts';
import { parseSOD } from './sod.ts';

// BSI TR-03105 Part 5.2 test data set (test/vectors/SOURCES.md).
const vector = (p: string) =>
  new Uint8Array(readFileSync(new URL(`../../../test/vectors/bsi-tr03105/${p}`, import.meta.url)));

const thrown = (f: () => unknown): ChipIdError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ChipIdError);
    return e as ChipIdError;
  }
  throw new Error('did not throw');
};

describe('reads cut short (errors.md: ERR_ASN1_TRUNCATED, "hold the card still")', () => {
  const sod = vector('EF_SOD.bin');
  const dg2 = vector('Datagroup2.bin');

  it('parses the whole SOD', () => {
    expect(parseSOD(sod).dataGroupHashes.size).toBeGreaterThan(0);
  });

  it('a half-length SOD is ERR_ASN1_TRUNCATED, not a malformed SOD', () => {
    const e = thrown(() => parseSOD(sod.subarray(0, sod.length >> 1)));
    expect(e.code).toBe('ERR_ASN1_TRUNCATED');
    expect(e.message).toMatch(/^sod: .*cut short/);
  });

  it('a SOD whose inside is broken (full length) stays ERR_SOD_INVALID', () => {
    const broken = sod.slice();
    broken[6] = 0x05; // the ContentInfo's OID tag becomes NULL: malformed, not truncated
    expect(thrown(() => parseSOD(broken)).code).toBe('ERR_SOD_INVALID');
  });

  it('a half DG2 is ERR_ASN1_TRUNCATED', () => {
    expect(thrown(() => parseDG2(dg2.subarray(0, dg2.length >> 1))).code).toBe('ERR_ASN1_TRUNCATED');
  });
});
