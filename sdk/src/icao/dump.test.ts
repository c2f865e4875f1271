import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LDSError } from '../errors.ts';
import { toBase64 } from '../lib/bytes.ts';
import { makeCard } from '../sandbox/index.ts';
import {
  type ChipDumpJSON,
  canonicalDump,
  chipDigest,
  chipDumpSchema,
  chipDumpStructureSchema,
  decodeDump,
  parseDump,
} from './dump.ts';

const b64 = fc.uint8Array({ maxLength: 400 }).map(toBase64);
const dumps: fc.Arbitrary<ChipDumpJSON> = fc.record(
  {
    format: fc.constant('chipid.dump/1' as const),
    com: b64,
    sod: b64.filter((s) => s.length > 0),
    dg1: b64.filter((s) => s.length > 0),
    dg2: b64,
    dg13: b64,
    dg14: b64,
    dg15: b64,
    aa: fc.record({
      challenge: b64.filter((s) => s.length > 0),
      signature: b64.filter((s) => s.length > 0),
    }),
  },
  { requiredKeys: ['format', 'sod', 'dg1'] },
);

describe('canonical dump (chip_digest input)', () => {
  it("the decoded-dump shortcut writes exactly JSON.stringify's text with sorted keys", async () => {
    fc.assert(
      fc.property(dumps, (d) => {
        decodeDump(d); // what makes the shortcut applicable
        expect(canonicalDump(d, { decoded: true })).toBe(canonicalDump(d));
      }),
      { numRuns: 300 },
    );
    // And the digest over the bytes written piece by piece is the digest of that text.
    await fc.assert(
      fc.asyncProperty(dumps, async (d) => {
        decodeDump(d);
        expect(await chipDigest(d, { decoded: true })).toBe(await chipDigest(d));
      }),
      { numRuns: 100 },
    );
    const card = await makeCard({ profile: 'valid', seed: 'dump-test', challenge: new Uint8Array(8) });
    expect(canonicalDump(card.dump, { decoded: true })).toBe(canonicalDump(card.dump));
    expect(await chipDigest(card.dump, { decoded: true })).toBe(await chipDigest(card.dump));
  });

  it('the plain form escapes what needs escaping (so a bad member cannot pass for a good one)', () => {
    const d = { format: 'chipid.dump/1', sod: 'AA"', dg1: 'AA==' } as ChipDumpJSON;
    expect(canonicalDump(d)).toBe('{"dg1":"AA==","format":"chipid.dump/1","sod":"AA\\""}');
  });
});

describe('structure schema + decodeDump = full validation', () => {
  it('both refuse unknown members and missing ones; only the full schema checks base64 itself', () => {
    for (const bad of [
      { format: 'chipid.dump/1', sod: 'AA==' },
      { format: 'chipid.dump/1', sod: 'AA==', dg1: 'AA==', dg3: 'AA==' },
      { format: 'chipid.dump/2', sod: 'AA==', dg1: 'AA==' },
    ]) {
      expect(chipDumpSchema.safeParse(bad).success).toBe(false);
      expect(chipDumpStructureSchema.safeParse(bad).success).toBe(false);
    }
    const urlSafe = { format: 'chipid.dump/1', sod: 'AA==', dg1: 'A-_=' };
    expect(chipDumpSchema.safeParse(urlSafe).success).toBe(false);
    expect(chipDumpStructureSchema.safeParse(urlSafe).success).toBe(true);
  });

  it('decodeDump names the first member that is not standard base64', () => {
    const good = { format: 'chipid.dump/1' as const, sod: 'AA==', dg1: 'AA==' };
    const cases: [string, ChipDumpJSON][] = [
      ['dg1', { ...good, dg1: 'A-_=' }],
      ['sod', { ...good, sod: 'AA =' }],
      ['dg2', { ...good, dg2: `${'A'.repeat(4000)}\u0144AAA` }],
      ['aa.signature', { ...good, aa: { challenge: 'AA==', signature: 'A!==' } }],
    ];
    for (const [member, d] of cases) {
      let err: unknown;
      try {
        decodeDump(d);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LDSError);
      expect(err).toMatchObject({ code: 'ERR_DUMP_INVALID', member });
      expect(() => parseDump(d)).toThrow(LDSError);
    }
  });
});
