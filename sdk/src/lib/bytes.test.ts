import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, toBase64Url } from './bytes.ts';

describe('base64 (RFC 4648)', () => {
  it('RFC 4648 §10 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, enc] of vectors) {
      expect(toBase64(new TextEncoder().encode(plain))).toBe(enc);
      expect(new TextDecoder().decode(fromBase64(enc))).toBe(plain);
    }
  });

  it('round-trips standard and URL-safe forms, short and long (native and JS decoders)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (b) => {
        expect(fromBase64(toBase64(b))).toEqual(b);
        expect(fromBase64(toBase64Url(b))).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects bad characters, white space and bad lengths, short and long', () => {
    const long = toBase64(new Uint8Array(600));
    for (const bad of [
      'A',
      'AB$D',
      'ABC\u0100',
      'AB=C',
      'ABCD===',
      `${long.slice(0, 100)} ${long.slice(100)}`,
      `${long}!`,
      `\u4e00${long.slice(1)}`,
    ]) {
      expect(() => fromBase64(bad), JSON.stringify(bad.slice(0, 12))).toThrow(TypeError);
    }
  });
});
