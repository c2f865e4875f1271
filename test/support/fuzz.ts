/**
 * Shared property-test helpers for the ICAO parsers: random and mutated (flipped, overwritten,
 * truncated, extended) copies of a valid file may only ever produce a ChipIdError.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';
import { ChipIdError } from '../../sdk/src/errors.ts';
import { concat } from '../../sdk/src/lib/bytes.ts';

/** Flipped, overwritten, truncated or extended copies of a valid file. */
export const mutations = (base: Uint8Array): fc.Arbitrary<Uint8Array> =>
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
export const onlyChipIdErrors = (
  parse: (b: Uint8Array) => unknown,
  base: Uint8Array,
  numRuns: number,
  randomMaxLength = 96,
): void =>
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: randomMaxLength }), mutations(base)), (b) => {
      try {
        parse(b);
      } catch (e) {
        expect(e).toBeInstanceOf(ChipIdError);
      }
    }),
    { numRuns },
  );

/** A reference file from test/vectors (see its SOURCES.md). */
export const vector = (path: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../vectors/${path}`, import.meta.url)));
