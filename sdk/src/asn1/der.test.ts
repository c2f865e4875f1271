import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChipIdError } from '../errors.ts';
import { fromHex } from '../lib/bytes.ts';
import { children, parseOne, Reader, readBigInt, readNode, readOID, readTime, TAG } from './der.ts';
import * as der from './writer.ts';

describe('DER reader', () => {
  it('reads multi-byte LDS tags (Doc 9303 Part 10: 5F1F MRZ in DG1)', () => {
    const dg1 = fromHex('610b5f1f08414243443c3c3c3c');
    const outer = parseOne(dg1, { der: false });
    expect(outer.id).toBe(0x61);
    const [mrz] = children(outer, { der: false });
    expect(mrz!.id).toBe(0x5f1f);
    expect(mrz!.tag).toBe(0x1f);
    expect(mrz!.value.length).toBe(8);
  });

  it('reads long-form lengths and rejects non-minimal ones in DER mode only', () => {
    const long = der.octets(new Uint8Array(300));
    expect(parseOne(long).value.length).toBe(300);
    const nonMinimal = fromHex('04810100');
    expect(() => parseOne(nonMinimal)).toThrow(/minimal/);
    expect(parseOne(nonMinimal, { der: false }).value.length).toBe(1);
  });

  it('rejects indefinite length, truncation and trailing data with codes', () => {
    const codeOf = (b: string) => {
      try {
        parseOne(fromHex(b));
        return 'none';
      } catch (e) {
        return (e as ChipIdError).code;
      }
    };
    expect(codeOf('3080')).toBe('ERR_ASN1_INVALID_LENGTH');
    expect(codeOf('0405aabb')).toBe('ERR_ASN1_TRUNCATED');
    expect(codeOf('0401aa00')).toBe('ERR_ASN1_TRAILING_DATA');
    expect(codeOf('04850000000001')).toBe('ERR_ASN1_INVALID_LENGTH');
  });

  it('round-trips integers, OIDs and times through the writer', () => {
    for (const n of [0n, 1n, 127n, 128n, 255n, 256n, -1n, -128n, -129n, 2n ** 200n + 7n]) {
      expect(readBigInt(parseOne(der.int(n)))).toBe(n);
    }
    for (const o of ['2.23.136.1.1.1', '1.2.840.113549.1.1.10', '0.4.0.127.0.7.2.2.4', '2.999.3']) {
      expect(readOID(parseOne(der.oid(o)))).toBe(o);
    }
    const d = new Date(Date.UTC(2031, 4, 6, 7, 8, 9));
    expect(readTime(parseOne(der.time(d))).getTime()).toBe(d.getTime());
    const far = new Date(Date.UTC(2051, 0, 1));
    expect(parseOne(der.time(far)).id).toBe(TAG.GENERALIZED_TIME);
    expect(readTime(parseOne(der.time(far))).getTime()).toBe(far.getTime());
  });

  it('encodes the RFC 5280 sha256WithRSAEncryption OID exactly', () => {
    // Known DER from RFC 4055 §5 / every X.509 certificate: 06 09 2A 86 48 86 F7 0D 01 01 0B
    expect(der.oid('1.2.840.113549.1.1.11')).toEqual(fromHex('06092a864886f70d01010b'));
  });

  it('sorts SET OF encodings (X.690 §11.6)', () => {
    const s = parseOne(der.setOf(der.int(5), der.int(1), der.int(3)));
    expect(children(s).map((c) => Number(readBigInt(c)))).toEqual([1, 3, 5]);
  });

  it('Reader walks sequences with optional elements', () => {
    const seq = der.seq(der.int(1), der.explicit(0, der.int(2)), der.oid('1.2.3'));
    const r = Reader.of(seq, TAG.SEQUENCE);
    expect(readBigInt(r.next())).toBe(1n);
    expect(r.optional(0xa1)).toBeUndefined();
    expect(r.optional(0xa0)).toBeDefined();
    expect(readOID(r.next(TAG.OID))).toBe('1.2.3');
    r.end();
    expect(r.done).toBe(true);
  });

  it('property: random bytes only ever give a ChipIdError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, strict) => {
        try {
          const n = readNode(bytes, 0, { der: strict });
          if (n.constructed) children(n, { der: strict });
        } catch (e) {
          expect(e).toBeInstanceOf(ChipIdError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
