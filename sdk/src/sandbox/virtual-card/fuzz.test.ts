/**
 * The virtual card on garbage (property tests, fast-check): random APDUs, and mutated copies of the
 * commands of a real read — inside a PACE session and during PACE — always get a status word back,
 * never a crash or a hang; a wrong or missing MAC ends the session (6987/6988) as Doc 9303 Part 11
 * §9.8.6.1 says; and a genuine read still succeeds afterwards on a reset card.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readChip } from '../../reader/index.ts';
import { makeCard, type SandboxCard } from '../factory.ts';
import { type VirtualCard, virtualCard } from './index.ts';

let card: SandboxCard;
/** The commands of a genuine read (PACE-CAN, CA, files, AA), recorded. */
const recorded: Uint8Array[] = [];
beforeAll(async () => {
  card = await makeCard({ profile: 'valid', seed: 8 });
  const chip = virtualCard(card, { seed: 8 });
  const spy = {
    transceive: (c: Uint8Array) => {
      recorded.push(c.slice());
      return chip.transceive(c);
    },
  };
  await readChip(spy, { key: { can: card.citizen.idNumber.slice(-6) }, challenge: new Uint8Array(8) });
});

/** Sends and checks the answer is a response APDU (at least SW1 SW2) with a plausible SW1. */
async function answers(chip: VirtualCard, apdu: Uint8Array): Promise<number> {
  const r = await chip.transceive(apdu);
  expect(r.length).toBeGreaterThanOrEqual(2);
  const sw1 = r[r.length - 2]!;
  expect(sw1 === 0x90 || (sw1 >= 0x61 && sw1 <= 0x6f)).toBe(true);
  return (sw1 << 8) | r[r.length - 1]!;
}

const mutate = (base: Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
      const b = base.slice();
      b[i % b.length]! ^= x;
      return b;
    }),
    fc.nat(base.length).map((n) => base.slice(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((x) => Uint8Array.from([...base, ...x])),
  );

describe('virtual card on garbage', () => {
  it('random APDUs always get a status word', async () => {
    const chip = virtualCard(card, { seed: 8 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (apdu) => {
        await answers(chip, apdu);
      }),
      { numRuns: 400 },
    );
  });

  it('mutated commands of a real read, replayed in order, always get a status word; then a genuine read succeeds', async () => {
    expect(recorded.length).toBeGreaterThan(20);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(recorded.length - 1),
        fc.integer({ min: 0, max: 1_000_000 }),
        async (at, seed) => {
          const chip = virtualCard(card, { seed: 8 });
          // The genuine exchange up to `at` (the card's nonces are seeded: the same replay is valid) …
          for (let i = 0; i < at; i++) await chip.transceive(recorded[i]!);
          // … then a mutation of the next command.
          const [bad] = fc.sample(mutate(recorded[at]!), { numRuns: 1, seed });
          const sw = await answers(chip, bad!);
          // A protected command the card cannot check ends the session: nothing after it is accepted.
          if (sw === 0x6987 || sw === 0x6988) expect(chip.session).toBeUndefined();
        },
      ),
      { numRuns: 60 },
    );
    const chip = virtualCard(card, { seed: 8 });
    const read = await readChip(chip, { key: { can: card.citizen.idNumber.slice(-6) } });
    expect(read.dump.dg1).toBe(card.dump.dg1);
  });
});
