import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tlv } from '../asn1/writer.ts';
import { ChipIdError } from '../errors.ts';
import { concat } from '../lib/bytes.ts';
import { DG_NUMBER_BY_TAG, DG_TAG_BY_NUMBER, dgNumber, dgTag, LDS_TAG, readLDSFile } from './lds.ts';

const vector = (p: string) =>
  new Uint8Array(readFileSync(new URL(`../../../test/vectors/${p}`, import.meta.url)));

const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'none';
  } catch (e) {
    expect(e).toBeInstanceOf(ChipIdError);
    return (e as ChipIdError).code;
  }
};

describe('LDS tags (Doc 9303 Part 10 §4.6)', () => {
  it('maps data-group numbers to tags and back', () => {
    expect(dgTag(1)).toBe(0x61);
    expect(dgTag(2)).toBe(0x75);
    expect(dgTag(4)).toBe(0x76);
    expect(dgTag(13)).toBe(0x6d);
    expect(dgTag(16)).toBe(0x70);
    expect(dgTag(17)).toBeUndefined();
    expect(dgNumber(LDS_TAG.DG15)).toBe(15);
    expect(dgNumber(LDS_TAG.SOD)).toBeUndefined();
    expect(DG_TAG_BY_NUMBER.size).toBe(16);
    for (const [n, tag] of DG_TAG_BY_NUMBER) expect(DG_NUMBER_BY_TAG.get(tag)).toBe(n);
  });
});

describe('readLDSFile', () => {
  const dg1 = vector('bsi-tr03105/Datagroup1.bin');

  it('reads the outer TLV of a real file (BSI TR-03105 DG1)', () => {
    const node = readLDSFile(dg1, LDS_TAG.DG1);
    expect(node.id).toBe(0x61);
    expect(node.raw.length).toBe(dg1.length);
  });

  it('rejects another file with ERR_LDS_UNEXPECTED_TAG', () => {
    expect(codeOf(() => readLDSFile(dg1, LDS_TAG.DG2))).toBe('ERR_LDS_UNEXPECTED_TAG');
  });

  it('accepts 00/FF padding after the TLV, nothing else', () => {
    expect(readLDSFile(concat(dg1, new Uint8Array(7)), LDS_TAG.DG1).raw.length).toBe(dg1.length);
    expect(readLDSFile(concat(dg1, Uint8Array.of(0xff, 0xff, 0x00)), LDS_TAG.DG1).raw.length).toBe(
      dg1.length,
    );
    expect(codeOf(() => readLDSFile(concat(dg1, Uint8Array.of(0x00, 0x01)), LDS_TAG.DG1))).toBe(
      'ERR_LDS_INVALID',
    );
    expect(codeOf(() => readLDSFile(concat(dg1, dg1), LDS_TAG.DG1))).toBe('ERR_LDS_INVALID');
  });

  it('reads non-minimal (BER) lengths', () => {
    const ber = Uint8Array.of(0x61, 0x82, 0x00, 0x03, 0x5f, 0x1f, 0x00);
    expect(readLDSFile(ber, LDS_TAG.DG1).value.length).toBe(3);
  });

  it('says a file cut short is truncated (ERR_ASN1_TRUNCATED: "hold the card still", as errors.md promises)', () => {
    expect(codeOf(() => readLDSFile(dg1.subarray(0, 40), LDS_TAG.DG1))).toBe('ERR_ASN1_TRUNCATED');
    expect(codeOf(() => readLDSFile(dg1.subarray(0, 1), LDS_TAG.DG1))).toBe('ERR_ASN1_TRUNCATED');
    expect(() => readLDSFile(dg1.subarray(0, 40), LDS_TAG.DG1)).toThrow(/cut short/);
  });

  it('rejects empty and primitive files with ERR_LDS_INVALID', () => {
    expect(codeOf(() => readLDSFile(new Uint8Array(0), LDS_TAG.DG1))).toBe('ERR_LDS_INVALID');
    expect(codeOf(() => readLDSFile(tlv(0x41, Uint8Array.of(1)), 0x41))).toBe('ERR_LDS_INVALID');
  });
});
