/** Sandbox randomness: HMAC-DRBG (NIST SP 800-90A §10.1.2) cross-checked against @noble/curves' RFC 6979 DRBG. */
import { createHmacDrbg } from '@noble/curves/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { toHex } from '../lib/bytes.ts';
import { createRandom, HmacDrbg } from './random.ts';

describe('HmacDrbg', () => {
  it('produces the same first block as an independent SP 800-90A HMAC-DRBG (noble, RFC 6979 §3.2)', () => {
    const seed = sha256(Uint8Array.of(1, 2, 3));
    const noble = createHmacDrbg<Uint8Array>(32, 32, (k: Uint8Array, m: Uint8Array) => hmac(sha256, k, m));
    const expected = noble(seed, (b) => Uint8Array.from(b));
    expect(toHex(new HmacDrbg(seed).generate(32))).toBe(toHex(expected));
  });

  it('continues the stream across calls (update after each generate)', () => {
    const seed = sha256(Uint8Array.of(9));
    const a = new HmacDrbg(seed);
    const first = a.generate(48);
    const second = a.generate(48);
    expect(toHex(first)).not.toBe(toHex(second));
    const b = new HmacDrbg(seed);
    expect(toHex(b.generate(48))).toBe(toHex(first));
  });
});

describe('createRandom', () => {
  it('is reproducible for a seed, differs across seeds and labels', () => {
    expect(toHex(createRandom('42').bytes(32))).toBe(toHex(createRandom(42).bytes(32)));
    expect(toHex(createRandom('42').bytes(32))).not.toBe(toHex(createRandom('43').bytes(32)));
    const r = createRandom('x');
    expect(toHex(r.fork('a').bytes(16))).toBe(toHex(createRandom('x').fork('a').bytes(16)));
    expect(toHex(r.fork('a').bytes(16))).not.toBe(toHex(r.fork('b').bytes(16)));
    expect(r.deterministic).toBe(true);
  });

  it('is random without a seed', () => {
    const r = createRandom();
    expect(r.deterministic).toBe(false);
    expect(toHex(r.bytes(16))).not.toBe(toHex(r.bytes(16)));
    expect(r.bytes(70_000).length).toBe(70_000);
  });

  it('draws integers in range, every value reachable', () => {
    const r = createRandom('ints');
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const v = r.int(7);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(7);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
    expect(() => r.int(0)).toThrow();
    expect(() => r.pick([])).toThrow();
  });
});
