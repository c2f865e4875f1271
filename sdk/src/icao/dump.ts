/**
 * Chip dump — `chipid.dump/1`, what an app read from the chip (DESIGN.md "Wire formats").
 *
 * Each value is the standard base64 of the raw elementary file, outer LDS tag included.
 */

import { type DigestMemo, digest } from '../crypto/hash.ts';
import { LDSError } from '../errors.ts';
import { fromBase64, toBase64Url, utf8 } from '../lib/bytes.ts';
import * as z from '../lib/zod.ts';

export const DUMP_FORMAT = 'chipid.dump/1' as const;

/** Largest accepted elementary file (DG2 faces are ~15–150 KB; leaves room for high-res JPEG 2000). */
export const MAX_EF_BASE64_LENGTH = 1_400_000;

/** What every member holds: standard base64 (RFC 4648 §4), padding optional. */
export const DUMP_BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

const dumpObject = (b64: z.ZodString) =>
  z
    .object({
      format: z.literal(DUMP_FORMAT),
      com: b64.optional(),
      sod: b64.min(1),
      dg1: b64.min(1),
      dg2: b64.optional(),
      dg13: b64.optional(),
      dg14: b64.optional(),
      dg15: b64.optional(),
      aa: z
        .object({ challenge: b64.min(1).max(1024), signature: b64.min(1).max(2048) })
        .strict()
        .optional(),
    })
    .strict();

const b64String = z.string().max(MAX_EF_BASE64_LENGTH);
// What the structure schema still promises (decodeDump enforces it), for generated API documents.
const b64Documented = b64String.meta({ pattern: DUMP_BASE64_PATTERN.source });

/** zod schema of the dump JSON (unknown fields rejected, every member checked to be base64). */
export const chipDumpSchema = dumpObject(b64String.regex(DUMP_BASE64_PATTERN, 'must be standard base64'));

/**
 * The dump's structure only: the same members, sizes and strictness as {@link chipDumpSchema}, but
 * the base64 of the members is left to {@link decodeDump}, which checks it while decoding. For a
 * service that decodes right after validating: one pass over a 150 KB face instead of two.
 */
export const chipDumpStructureSchema = dumpObject(b64Documented);

/** The dump as JSON (base64 strings). */
export type ChipDumpJSON = z.infer<typeof chipDumpSchema>;

/** The outer LDS tag of each file member (Doc 9303 Part 10 §4.6). */
export const FILE_TAG = {
  com: 0x60,
  sod: 0x77,
  dg1: 0x61,
  dg2: 0x75,
  dg13: 0x6d,
  dg14: 0x6e,
  dg15: 0x6f,
} as const;

/** Names of the elementary files a dump can carry, with their data group numbers. */
export const DUMP_FILES = { com: 0, dg1: 1, dg2: 2, dg13: 13, dg14: 14, dg15: 15 } as const;
export type DumpFileName = keyof typeof DUMP_FILES;

/** The dump with every file decoded to bytes. */
export interface ChipDump {
  com?: Uint8Array;
  sod: Uint8Array;
  dg1: Uint8Array;
  dg2?: Uint8Array;
  dg13?: Uint8Array;
  dg14?: Uint8Array;
  dg15?: Uint8Array;
  aa?: { challenge: Uint8Array; signature: Uint8Array };
}

/**
 * Validates and decodes a `chipid.dump/1` JSON value.
 *
 * @throws LDSError `ERR_DUMP_INVALID` naming the offending field (never its value).
 * @example
 * const dump = parseDump(JSON.parse(text));
 * const dg1 = parseDG1(dump.dg1);
 */
export function parseDump(json: unknown): ChipDump {
  const r = chipDumpSchema.safeParse(json);
  if (!r.success)
    throw new LDSError('ERR_DUMP_INVALID', `dump: ${dumpIssueText(r.error)}`, { cause: r.error });
  return decodeDump(r.data);
}

/**
 * What is wrong with a dump, from its schema's first issue: the field and the schema's message
 * (`invalid field dg2: not base64`, `invalid field (root): Unrecognized key: "foo"`), never a value.
 */
export function dumpIssueText(error: {
  issues: readonly { path: PropertyKey[]; message: string }[];
}): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.map(String).join('.') : '(root)';
  return `invalid field ${where}: ${issue?.message ?? 'invalid'}`;
}

/**
 * Decodes a dump whose structure is valid ({@link chipDumpStructureSchema} or {@link chipDumpSchema}
 * accepted it), checking that every member is standard base64 as it goes; {@link parseDump} is full
 * validation + this.
 *
 * @throws LDSError `ERR_DUMP_INVALID` with `member` naming the first member that is not standard base64.
 */
export function decodeDump(d: ChipDumpJSON): ChipDump {
  const dec = (name: string, s: string) => {
    let bytes: Uint8Array | undefined;
    let failure: unknown;
    try {
      bytes = fromBase64(s, 'standard');
    } catch (cause) {
      failure = cause;
    }
    // Hex digits are base64 characters too: a hex dump decodes to garbage. Say so when the text, read
    // as hex, starts with the file's own LDS tag and the base64 reading does not.
    const tag = (FILE_TAG as Readonly<Record<string, number>>)[name];
    if (tag !== undefined && /^(?:[0-9a-fA-F]{2})+$/.test(s) && Number.parseInt(s.slice(0, 2), 16) === tag) {
      if (bytes?.[0] !== tag)
        throw new LDSError(
          'ERR_DUMP_INVALID',
          `dump: ${name} is hex, not base64 — chipid.dump/1 members are the standard base64 of the file as read (chipid dump --${name} <file> builds a dump from raw files)`,
          { member: name },
        );
    }
    if (bytes) return bytes;
    throw new LDSError('ERR_DUMP_INVALID', `dump: ${name} is not valid base64`, {
      cause: failure,
      member: name,
    });
  };
  const out: ChipDump = { sod: dec('sod', d.sod), dg1: dec('dg1', d.dg1) };
  for (const k of ['com', 'dg2', 'dg13', 'dg14', 'dg15'] as const) {
    const v = d[k];
    if (v !== undefined) out[k] = dec(k, v);
  }
  if (d.aa)
    out.aa = {
      challenge: dec('aa.challenge', d.aa.challenge),
      signature: dec('aa.signature', d.aa.signature),
    };
  return out;
}

/**
 * Canonical form of a dump: the JSON object with keys sorted (RFC 8785 JCS for this all-string
 * structure), no whitespace. `chip_digest` is SHA-256 over its UTF-8 bytes, base64url.
 *
 * With `o.decoded` — the caller's {@link decodeDump} accepted `json`, so every member is standard
 * base64 and needs no JSON escaping — the same text is put together without `JSON.stringify`'s scan
 * of each (150 KB) member.
 */
export function canonicalDump(json: ChipDumpJSON, o?: { decoded?: boolean }): string {
  if (o?.decoded) return canonicalOfDecoded(json as unknown as Record<string, unknown>);
  const sortKeys = (v: unknown): unknown => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sortKeys(json));
}

/** {@link canonicalDump} of members known to need no escaping (base64 and the format tag). */
function canonicalOfDecoded(v: Record<string, unknown>): string {
  let s = '{';
  for (const k of Object.keys(v).sort()) {
    const x = v[k];
    if (x === undefined) continue;
    if (s.length > 1) s += ',';
    s += `"${k}":${typeof x === 'string' ? `"${x}"` : canonicalOfDecoded(x as Record<string, unknown>)}`;
  }
  return `${s}}`;
}

/**
 * `chip_digest` claim value: base64url(SHA-256(canonical dump)). `o.decoded`: see {@link canonicalDump}.
 *
 * @example
 * const digest = await chipDigest(dumpJson); // put in the request JWS
 */
export async function chipDigest(json: ChipDumpJSON, o?: { decoded?: boolean }): Promise<string> {
  const bytes = o?.decoded
    ? canonicalBytesOfDecoded(json as unknown as Record<string, unknown>)
    : utf8(canonicalDump(json));
  return toBase64Url(await digest('SHA-256', bytes));
}

const encoder = new TextEncoder();

/**
 * {@link canonicalOfDecoded} as UTF-8 bytes, written once into one buffer: no joined string for the
 * encoder to flatten and copy again (a 150 KB face is 200 KB of base64). The text is ASCII (base64,
 * the format tag, member names); should a piece not be, the plain encoding answers instead.
 */
function canonicalBytesOfDecoded(v: Record<string, unknown>): Uint8Array<ArrayBuffer> {
  const parts: string[] = [];
  const walk = (o: Record<string, unknown>) => {
    parts.push('{');
    let first = true;
    for (const k of Object.keys(o).sort()) {
      const x = o[k];
      if (x === undefined) continue;
      parts.push(first ? `"${k}":` : `,"${k}":`);
      first = false;
      if (typeof x === 'string') parts.push('"', x, '"');
      else walk(x as Record<string, unknown>);
    }
    parts.push('}');
  };
  walk(v);
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    const r = encoder.encodeInto(p, out.subarray(at));
    if (r.read !== p.length || r.written !== p.length) return utf8(canonicalOfDecoded(v));
    at += r.written;
  }
  return out;
}

/**
 * The dump as `multipart/form-data` parts (`POST /v1/verifications`, the binary body): one file part of
 * raw bytes per member, named as the JSON members are (`aa.challenge`, `aa.signature` for the answer).
 */
export const DUMP_PARTS = [
  'com',
  'sod',
  'dg1',
  'dg2',
  'dg13',
  'dg14',
  'dg15',
  'aa.challenge',
  'aa.signature',
] as const;
export type DumpPartName = (typeof DUMP_PARTS)[number];

/** `format` of the manifest that a binary body's `chip_digest` covers ({@link chipPartsDigest}). */
export const PARTS_FORMAT = 'chipid.parts/1' as const;

/** Largest part in bytes per member: the JSON dump's base64 limits, decoded. */
export const MAX_PART_BYTES: Readonly<Record<DumpPartName, number>> = Object.fromEntries(
  DUMP_PARTS.map((n) => [
    n,
    (n === 'aa.challenge' ? 1024 : n === 'aa.signature' ? 2048 : MAX_EF_BASE64_LENGTH) * 0.75,
  ]),
) as Record<DumpPartName, number>;

/** The members a dump carries, as `[part name, bytes]` in {@link DUMP_PARTS} order (an empty one too, as in JSON). */
export function dumpParts(dump: ChipDump): [DumpPartName, Uint8Array][] {
  const out: [DumpPartName, Uint8Array][] = [];
  for (const n of DUMP_PARTS) {
    const v = n === 'aa.challenge' ? dump.aa?.challenge : n === 'aa.signature' ? dump.aa?.signature : dump[n];
    if (v) out.push([n, v]);
  }
  return out;
}

/**
 * The dump of a multipart body's members (part name → bytes): the inverse of {@link dumpParts}. `sod` and
 * `dg1` are the caller's to require; `aa` is set only when both of its halves are there.
 */
export function dumpFromParts(parts: ReadonlyMap<DumpPartName, Uint8Array>): ChipDump {
  const dump = {} as ChipDump;
  for (const k of ['com', 'sod', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15'] as const) {
    const v = parts.get(k);
    if (v) dump[k] = v; // an empty member too, as a JSON dump's "" (then checked like any other)
  }
  const challenge = parts.get('aa.challenge');
  const signature = parts.get('aa.signature');
  if (challenge && signature) dump.aa = { challenge, signature };
  return dump;
}

/**
 * `chip_digest` of a dump sent as binary parts: base64url(SHA-256(canonical JSON of the manifest)),
 * where the manifest is the dump's JSON shape with `format` `chipid.parts/1` and each member's value
 * base64url(SHA-256(its bytes)) — e.g. `{"aa":{"challenge":"…","signature":"…"},"dg1":"…","format":
 * "chipid.parts/1","sod":"…"}`. Each member is hashed once, over its raw bytes (a `memo` lets passive
 * authentication reuse those hashes); the JSON body's digest ({@link chipDigest}) covers the base64 text.
 *
 * @example
 * const digest = await chipPartsDigest(parseDump(json)); // sign with transport: 'multipart'
 */
export async function chipPartsDigest(dump: ChipDump, memo?: DigestMemo): Promise<string> {
  const parts = dumpParts(dump);
  const hashes = await Promise.all(
    parts.map(([, b]) => (memo ? memo.digest('SHA-256', b) : digest('SHA-256', b))),
  );
  const manifest: Record<string, unknown> = { format: PARTS_FORMAT };
  const aa: Record<string, string> = {};
  parts.forEach(([n], i) => {
    const h = toBase64Url(hashes[i] as Uint8Array);
    if (n === 'aa.challenge' || n === 'aa.signature') aa[n.slice(3)] = h;
    else manifest[n] = h;
  });
  if (aa.challenge) manifest.aa = aa;
  return toBase64Url(await digest('SHA-256', utf8(canonicalDump(manifest as ChipDumpJSON))));
}
