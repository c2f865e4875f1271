import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDigestMemo, type HashName } from '../crypto/hash.ts';
import { verifyPassive } from '../crypto/passive-auth.ts';
import { LDSError } from '../errors.ts';
import { toBase64 } from '../lib/bytes.ts';
import { verificationFormData } from '../request/sign.ts';
import { makeCard } from '../sandbox/index.ts';
import {
  type ChipDumpJSON,
  canonicalDump,
  chipDigest,
  chipDumpSchema,
  chipDumpStructureSchema,
  chipPartsDigest,
  DUMP_PARTS,
  decodeDump,
  dumpFromParts,
  dumpParts,
  PARTS_FORMAT,
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

describe('a dump written in hex instead of base64', () => {
  const hex = (b64s: string) => Buffer.from(b64s, 'base64').toString('hex');
  it('says the member is hex (its hex reading starts with the file tag), for odd and even hex lengths', async () => {
    const { dump } = await makeCard({ profile: 'valid', seed: 7 });
    for (const member of ['sod', 'dg1', 'dg2', 'dg13'] as const) {
      for (const upper of [false, true]) {
        const h = hex(dump[member]!);
        const bad = { ...dump, [member]: upper ? h.toUpperCase() : h };
        expect(() => parseDump(bad)).toThrow(new RegExp(`^dump: ${member} is hex, not base64`));
        expect(() => parseDump(bad)).toThrow(expect.objectContaining({ code: 'ERR_DUMP_INVALID', member }));
      }
    }
    // The genuine base64 still decodes, even where it happens to be made of hex digits only.
    expect(parseDump(dump).dg1[0]).toBe(0x61);
    expect(decodeDump({ format: 'chipid.dump/1', sod: 'dead', dg1: 'beef' }).sod).toEqual(
      Uint8Array.from(Buffer.from('dead', 'base64')),
    );
  });
});

describe('the binary body: parts and their digest', () => {
  const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('base64url');

  it('chipPartsDigest is SHA-256 of the sorted, compact manifest of member hashes (recomputed with node:crypto)', async () => {
    await fc.assert(
      fc.asyncProperty(dumps, fc.boolean(), async (json, withAa) => {
        const j = withAa ? json : { ...json, aa: undefined };
        const dump = decodeDump(j);
        const m: Record<string, unknown> = { format: PARTS_FORMAT };
        for (const k of ['com', 'sod', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15'] as const) {
          const v = dump[k];
          if (v) m[k] = sha(v);
        }
        if (dump.aa) m.aa = { challenge: sha(dump.aa.challenge), signature: sha(dump.aa.signature) };
        const text = JSON.stringify(
          Object.fromEntries(
            Object.keys(m)
              .sort()
              .map((k) => [k, m[k]]),
          ),
        );
        expect(await chipPartsDigest(dump)).toBe(sha(text));
        // Not the JSON body's digest: a request signed for one transport does not fit the other.
        expect(await chipPartsDigest(dump)).not.toBe(await chipDigest(j));
      }),
      { numRuns: 40 },
    );
  });

  it('dumpParts lists present members in DUMP_PARTS order; the FormData carries them as files beside the request', async () => {
    const { dump: json } = await makeCard({ profile: 'valid', seed: 'parts', challenge: new Uint8Array(8) });
    const dump = parseDump(json);
    const names = dumpParts(dump).map(([n]) => n);
    expect(names).toEqual(DUMP_PARTS.filter((n) => names.includes(n)));
    expect(names).toEqual(expect.arrayContaining(['sod', 'dg1', 'dg2', 'aa.challenge', 'aa.signature']));
    const form = verificationFormData('a.b.c', dump);
    expect(form.get('request')).toBe('a.b.c');
    const dg2 = form.get('dg2') as Blob;
    expect(typeof dg2).not.toBe('string');
    expect(new Uint8Array(await dg2.arrayBuffer())).toEqual(dump.dg2);
    expect([...form.keys()]).toEqual(['request', ...names]);
    expect(dumpFromParts(new Map(dumpParts(dump)))).toEqual(dump); // the inverse
    // An empty member is a part, as an empty JSON member is a member (and checked like any other).
    expect(dumpParts({ ...dump, dg13: new Uint8Array(0) }).map(([n]) => n)).toContain('dg13');
  });

  it('a digest memo hashes each array once and answers per algorithm; passive authentication takes it', async () => {
    const memo = createDigestMemo();
    const a = new Uint8Array(5000).fill(7);
    const h1 = memo.digest('SHA-256', a);
    expect(memo.digest('SHA-256', a)).toBe(h1); // the same promise: not hashed again
    expect(await h1).toEqual(new Uint8Array(createHash('sha256').update(a).digest()));
    expect(await memo.digest('SHA-1', a)).toEqual(new Uint8Array(createHash('sha1').update(a).digest()));
    expect(await memo.digest('SHA-256', a.slice())).toEqual(await h1); // another array, same bytes
    const { dump: json } = await makeCard({ profile: 'valid', seed: 'memo' });
    const dump = parseDump(json);
    const seen: number[] = [];
    const counting = {
      digest: (n: HashName, b: Uint8Array) => {
        seen.push(b.length);
        return memo.digest(n, b);
      },
    };
    const { sandboxCSCA } = await import('../sandbox/index.ts');
    const report = await verifyPassive(dump, { cscas: [(await sandboxCSCA()).pem], digests: counting });
    expect(report.valid).toBe(true);
    expect(seen).toContain(dump.dg2?.length);
  });
});
