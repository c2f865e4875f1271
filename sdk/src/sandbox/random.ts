/**
 * Deterministic randomness for the sandbox — HMAC-DRBG with SHA-256 (NIST SP 800-90A Rev. 1 §10.1.2,
 * no prediction resistance, no reseed) when a seed is given; `crypto.getRandomValues` otherwise.
 *
 * Everything the chip factory draws (keys, citizens, ISO/IEC 9796-2 padding) comes from one of these,
 * so the same seed gives byte-identical dumps on every platform.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, utf8 } from '../lib/bytes.ts';

/** A source of random bytes with a few convenience draws. */
export interface SandboxRandom {
  /** `true` when the stream is reproducible (seeded). */
  readonly deterministic: boolean;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** Uniform integer in `[0, max)` (`max` ≤ 2^32), by rejection sampling. */
  int(max: number): number;
  /** A uniformly chosen element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** An independent stream for a named purpose (seeded streams derive from the parent seed). */
  fork(label: string): SandboxRandom;
}

/** HMAC-DRBG (SHA-256) state; SP 800-90A §10.1.2.2 (update), §10.1.2.5 (generate). Exported for tests. */
export class HmacDrbg {
  private k = new Uint8Array(32);
  private v = new Uint8Array(32).fill(1);

  constructor(seedMaterial: Uint8Array) {
    this.update(seedMaterial);
  }

  private update(data?: Uint8Array): void {
    this.k = hmac(sha256, this.k, concat(this.v, Uint8Array.of(0), data ?? new Uint8Array(0)));
    this.v = hmac(sha256, this.k, this.v);
    if (!data || data.length === 0) return;
    this.k = hmac(sha256, this.k, concat(this.v, Uint8Array.of(1), data));
    this.v = hmac(sha256, this.k, this.v);
  }

  generate(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      this.v = hmac(sha256, this.k, this.v);
      const take = Math.min(32, n - off);
      out.set(this.v.subarray(0, take), off);
      off += take;
    }
    this.update();
    return out;
  }
}

abstract class BaseRandom implements SandboxRandom {
  abstract readonly deterministic: boolean;
  abstract bytes(n: number): Uint8Array;
  abstract fork(label: string): SandboxRandom;

  int(max: number): number {
    if (!Number.isInteger(max) || max < 1 || max > 2 ** 32) throw new RangeError('random: bad range');
    if (max === 1) return 0;
    // Largest multiple of max below 2^32: draws above it are rejected to stay uniform.
    const limit = 2 ** 32 - (2 ** 32 % max);
    for (;;) {
      const b = this.bytes(4);
      const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      if (v < limit) return v % max;
    }
  }

  pick<T>(items: readonly T[]): T {
    const v = items[this.int(items.length)];
    if (v === undefined) throw new RangeError('random: pick from an empty list');
    return v;
  }
}

class SeededRandom extends BaseRandom {
  readonly deterministic = true;
  private readonly drbg: HmacDrbg;

  constructor(private readonly material: Uint8Array) {
    super();
    this.drbg = new HmacDrbg(material);
  }

  bytes(n: number): Uint8Array {
    return this.drbg.generate(n);
  }

  fork(label: string): SandboxRandom {
    return new SeededRandom(sha256(concat(this.material, utf8(`/${label}`))));
  }
}

class SystemRandom extends BaseRandom {
  readonly deterministic = false;

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    // getRandomValues fills at most 65536 bytes per call.
    for (let off = 0; off < n; off += 65536)
      crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
    return out;
  }

  fork(_label: string): SandboxRandom {
    return this;
  }
}

/**
 * A random source: HMAC-DRBG seeded from `seed` (a string or number, taken as its decimal text), or
 * the platform CSPRNG when `seed` is undefined.
 *
 * @example
 * const rnd = createRandom('42');
 * rnd.bytes(16); // the same 16 bytes on every run and platform
 */
export function createRandom(seed?: string | number): SandboxRandom {
  if (seed === undefined) return new SystemRandom();
  return new SeededRandom(sha256(utf8(`chipid-sandbox-drbg-v1:${String(seed)}`)));
}
