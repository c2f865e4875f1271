/**
 * The binary body of `POST /v1/verifications`: `multipart/form-data` with the signed request as the text
 * part `request` and the dump's members as file parts of raw bytes (`sod`, `dg1`, `dg2`, …,
 * `aa.challenge`, `aa.signature`). `chip_digest` then covers the parts' manifest (`chipPartsDigest`):
 * each member is hashed once, and passive authentication reuses those hashes — a 150 KB face costs its
 * hashing, not a base64 decode, a JSON parse and a second hash.
 *
 * Checked like the JSON body: unknown or repeated parts, a member sent as text, a missing `sod`/`dg1`, half
 * an Active Authentication answer and over-long members are 400 `ERR_VALIDATION` naming the part
 * (`/dg2`, `/aa.challenge`), never its content.
 */
import {
  type ChipDump,
  chipPartsDigest,
  createDigestMemo,
  type DigestMemo,
  DUMP_PARTS,
  type DumpPartName,
  dumpFromParts,
  MAX_PART_BYTES,
} from '@chipid/sdk';
import { ContentDisposition } from '@remix-run/headers/content-disposition';
import {
  getMultipartBoundary,
  MaxHeaderSizeExceededError,
  MaxPartsExceededError,
  parseMultipart,
} from '@remix-run/multipart-parser';
import type { ProblemError } from '../problems.ts';
import { schemaMismatch } from '../validation.ts';

/** The dump of a multipart body, with its `chip_digest` and the member hashes behind it. */
export interface ChipParts {
  dump: ChipDump;
  /** `chipPartsDigest(dump)`: what the request's `chip_digest` must be. */
  digest: string;
  /** SHA-256 of each member, for passive authentication. */
  digests: DigestMemo;
}

const PART_NAMES: ReadonlySet<string> = new Set(DUMP_PARTS);

/** The media type of a `Content-Type` value, lower-cased, without parameters. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Most parts a body may have: the request and every member once. */
const MAX_PARTS = DUMP_PARTS.length + 1;
/** Longest accepted part header (Content-Disposition and Content-Type of one part). */
const MAX_PART_HEADER = 1024;
/** Longest accepted request part, as the JSON body's `request` member. */
const MAX_REQUEST_LENGTH = 16_384;
/** Members that must not be empty (the JSON schema's `min(1)`); the others may be, as in JSON. */
const NON_EMPTY: ReadonlySet<DumpPartName> = new Set(['sod', 'dg1', 'aa.challenge', 'aa.signature']);

/**
 * The parts of a multipart body: `token` (the text part `request`, when there is one), the members'
 * bytes, and what is wrong with the parts — left to the caller to answer after the token is checked, in
 * the JSON body's order. The body is parsed as bytes (`@remix-run/multipart-parser`): members are
 * views into it, not copies — workerd's `Request.formData()` costs ≈ 0.24 ms even for a 19 KB body.
 *
 * @throws ApiError `ERR_VALIDATION` when the body is not multipart/form-data at all (no boundary,
 *   broken framing, too many parts, an over-long or non-UTF-8 part header)
 */
export async function readPartsBody(
  contentType: string,
  body: () => Promise<ArrayBuffer>,
): Promise<{ token: string | undefined; files: Map<DumpPartName, Uint8Array>; errors: ProblemError[] }> {
  const boundary = getMultipartBoundary(contentType);
  if (!boundary)
    throw schemaMismatch([{ pointer: '', detail: 'body: multipart/form-data without a boundary' }]);
  const message = new Uint8Array(await body());
  const errors: ProblemError[] = [];
  const files = new Map<DumpPartName, Uint8Array>();
  let token: string | undefined;
  const seen = new Set<string>();
  try {
    for (const part of parseMultipart(message, {
      boundary,
      maxParts: MAX_PARTS,
      maxHeaderSize: MAX_PART_HEADER,
      // The body is in memory already (and within the body limit): each member's own limit is checked below.
      maxFileSize: message.length,
      maxTotalSize: message.length,
    })) {
      // The part's Content-Disposition parsed once (the part's own getters parse it per property, and
      // decoding a `filename*` may write to the console): a filename of either kind makes a file part.
      const disposition = ContentDisposition.from(part.headers['content-disposition'] ?? null);
      const name = disposition.name;
      const isFile =
        disposition.filename !== undefined ||
        disposition.filenameSplat !== undefined ||
        /^application\/octet-stream\s*(;|$)/i.test(part.headers['content-type'] ?? '');
      if (name === undefined || (name !== 'request' && !PART_NAMES.has(name))) {
        errors.push({ pointer: '', detail: 'unknown part (not in the schema)' });
        continue;
      }
      if (seen.has(name)) {
        errors.push({ pointer: `/${name}`, detail: 'part given more than once' });
        continue;
      }
      seen.add(name);
      if (name === 'request') {
        if (isFile)
          errors.push({
            pointer: '/request',
            detail: 'must be a text part: compact JWS (chipid-request+jwt)',
          });
        else if (part.size > MAX_REQUEST_LENGTH)
          errors.push({ pointer: '/request', detail: `longer than ${MAX_REQUEST_LENGTH} characters` });
        else token = part.text;
        continue;
      }
      const member = name as DumpPartName;
      const size = part.size;
      if (!isFile) {
        errors.push({ pointer: `/${member}`, detail: 'must be a file part of raw bytes (with a filename)' });
      } else if (size > MAX_PART_BYTES[member]) {
        errors.push({ pointer: `/${member}`, detail: `longer than ${MAX_PART_BYTES[member]} bytes` });
      } else if (size === 0 && NON_EMPTY.has(member)) {
        errors.push({ pointer: `/${member}`, detail: 'empty' });
      } else files.set(member, part.content.length === 1 ? (part.content[0] as Uint8Array) : part.bytes);
    }
  } catch (err) {
    // The parser's own errors, or its strict UTF-8 decoder's TypeError on a part header (or the request
    // part) that is not UTF-8: the body, not the service, is at fault. Only the parser and its getters
    // run in the loop.
    const detail =
      err instanceof MaxPartsExceededError
        ? `more than ${MAX_PARTS} parts`
        : err instanceof MaxHeaderSizeExceededError
          ? `a part header longer than ${MAX_PART_HEADER} bytes`
          : 'not a valid multipart/form-data body';
    throw schemaMismatch([{ pointer: '', detail: `body: ${detail}` }]);
  }
  if (!seen.has('request'))
    errors.push({ pointer: '/request', detail: 'required: compact JWS (chipid-request+jwt)' });
  for (const req of ['sod', 'dg1'] as const) {
    if (!seen.has(req)) errors.push({ pointer: `/${req}`, detail: 'required' });
  }
  if (seen.has('aa.challenge') !== seen.has('aa.signature'))
    errors.push({
      pointer: seen.has('aa.challenge') ? '/aa.signature' : '/aa.challenge',
      detail: 'aa.challenge and aa.signature go together',
    });
  return { token, files, errors };
}

/** The dump of the members, its `chip_digest` and the members' hashes (after the token has been checked). */
export async function readParts(files: Map<DumpPartName, Uint8Array>): Promise<ChipParts> {
  const dump = dumpFromParts(files); // `readPartsBody` required sod and dg1 and both AA halves together
  const digests = createDigestMemo();
  return { dump, digest: await chipPartsDigest(dump, digests), digests };
}
