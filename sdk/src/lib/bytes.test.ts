import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, fromBase64, toBase64, toBase64Url } from './bytes.ts';

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

  it('answers a plain Uint8Array owning its buffer, whichever decoder ran', () => {
    for (const n of [10, 300, 5_000, 150_000]) {
      const b = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
      const d = fromBase64(toBase64(b));
      expect(Object.getPrototypeOf(d)).toBe(Uint8Array.prototype);
      expect(d.byteOffset).toBe(0);
      expect(d.buffer.byteLength).toBe(n);
      expect(d).toEqual(b);
    }
    // Non-zero bits after the last byte (not what an encoder writes): same answer as the JS decoder.
    const long = toBase64(new Uint8Array(400).fill(0x66));
    const tweaked = `${long.slice(0, -3)}h==`;
    expect(fromBase64(tweaked)).toEqual(fromBase64(`${long.slice(0, -3)}g==`));
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

describe("base64, standard alphabet only (fromBase64(s, 'standard'))", () => {
  it('decodes what toBase64 writes, short and long, and refuses the URL-safe alphabet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (b) => {
        expect(fromBase64(toBase64(b), 'standard')).toEqual(b);
        const url = toBase64Url(b);
        if (/[-_]/.test(url)) expect(() => fromBase64(url, 'standard')).toThrow(TypeError);
        else expect(fromBase64(url, 'standard')).toEqual(b); // unpadded: accepted
      }),
      { numRuns: 500 },
    );
  });

  it("refuses '-' and '_' where the default accepts them (short: JS decoder; long: native paths)", () => {
    for (const n of [30, 3_000]) {
      const s = toBase64(new Uint8Array(n).fill(0xfb)); // '+' and '/' all over
      expect(fromBase64(s.replaceAll('+', '-').replaceAll('/', '_'))).toEqual(fromBase64(s));
      expect(() => fromBase64(s.replaceAll('+', '-'), 'standard')).toThrow(TypeError);
      expect(() => fromBase64(s.replaceAll('/', '_'), 'standard')).toThrow(TypeError);
    }
  });
});

describe('bufferSource (Web Crypto input without a copy)', () => {
  it('passes ArrayBuffer-backed views through (offsets honoured) and copies SharedArrayBuffer ones', async () => {
    const whole = new Uint8Array(64).map((_, i) => i);
    const view = whole.subarray(10, 42);
    expect(bufferSource(view)).toBe(view);
    const hash = async (b: BufferSource) => new Uint8Array(await crypto.subtle.digest('SHA-256', b));
    expect(await hash(bufferSource(view))).toEqual(await hash(new Uint8Array(view)));
    const shared = new Uint8Array(new SharedArrayBuffer(32)).fill(5);
    const src = bufferSource(shared);
    expect(src).not.toBe(shared);
    expect(src.buffer).toBeInstanceOf(ArrayBuffer);
    expect(src).toEqual(new Uint8Array(32).fill(5));
  });
});
