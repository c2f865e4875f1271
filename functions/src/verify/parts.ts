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
  MAX_PART_BYTES,
} from '@chipid/sdk';
import { ContentDisposition } from '@remix-run/headers/content-disposition';
import { getMultipartBoundary, parseMultipart } from '@remix-run/multipart-parser';
import { ApiError } from '../problems.ts';

/** The dump of a multipart body, with its `chip_digest` and the member hashes behind it. */
export interface ChipParts {
  dump: ChipDump;
  /** `chipPartsDigest(dump)`: what the request's `chip_digest` must be. */
  digest: string;
  /** SHA-256 of each member, for passive authentication. */
  digests: DigestMemo;
}

const PART_NAMES: ReadonlySet<string> = new Set(DUMP_PARTS);

/** `Content-Type` of a multipart body (`multipart/form-data; boundary=…`). */
export function isMultipart(contentType: string | undefined): boolean {
  return !!contentType && /^multipart\/form-data\s*(;|$)/i.test(contentType.trim());
}

/** Most parts a body may have: the request and every member once (more is refused while parsing). */
const MAX_PARTS = DUMP_PARTS.length + 1;

/**
 * The parts of a multipart body, their names and kinds checked; `request` is the token (text). The body
 * is parsed as bytes (`@remix-run/multipart-parser`): members are views into it, not copies —
 * workerd's `Request.formData()` costs ≈ 0.24 ms even for a 19 KB body, this ≈ a tenth of that.
 *
 * @throws ApiError `ERR_VALIDATION` (not multipart, unknown / repeated / wrong-kind / missing parts)
 */
export async function readPartsBody(
  contentType: string,
  body: () => Promise<ArrayBuffer>,
): Promise<{ token: string; files: Map<DumpPartName, Uint8Array> }> {
  const boundary = getMultipartBoundary(contentType);
  if (!boundary) throw invalid([{ pointer: '', detail: 'body: multipart/form-data without a boundary' }]);
  const message = new Uint8Array(await body());
  const errors: { pointer: string; detail: string }[] = [];
  const files = new Map<DumpPartName, Uint8Array>();
  let token: string | undefined;
  const seen = new Set<string>();
  try {
    for (const part of parseMultipart(message, {
      boundary,
      maxParts: MAX_PARTS,
      maxHeaderSize: 1024,
      maxFileSize: Math.max(...Object.values(MAX_PART_BYTES)) + 1,
      maxTotalSize: message.length,
    })) {
      // The part's Content-Disposition parsed once (the part's own getters parse it per property).
      const disposition = ContentDisposition.from(part.headers['content-disposition'] ?? null);
      const name = disposition.name;
      const isFile =
        disposition.preferredFilename !== undefined ||
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
        if (!isFile) token = part.text;
        else
          errors.push({
            pointer: '/request',
            detail: 'must be a text part: compact JWS (chipid-request+jwt)',
          });
        continue;
      }
      const member = name as DumpPartName;
      const size = part.size;
      if (!isFile) {
        errors.push({ pointer: `/${member}`, detail: 'must be a file part of raw bytes (with a filename)' });
      } else if (size > MAX_PART_BYTES[member]) {
        errors.push({ pointer: `/${member}`, detail: `longer than ${MAX_PART_BYTES[member]} bytes` });
      } else if (size === 0) {
        errors.push({ pointer: `/${member}`, detail: 'empty' });
      } else files.set(member, part.content.length === 1 ? (part.content[0] as Uint8Array) : part.bytes);
    }
  } catch {
    // The parser's MultipartParseError, or its strict UTF-8 decoder's TypeError on a part header (or
    // the request part) that is not UTF-8: either way the body, not the service, is at fault. Nothing
    // but the parser and its getters runs in the loop.
    throw invalid([{ pointer: '', detail: 'body: not a valid multipart/form-data body' }]);
  }
  if (token === undefined && !seen.has('request'))
    errors.push({ pointer: '/request', detail: 'required: compact JWS (chipid-request+jwt)' });
  for (const req of ['sod', 'dg1'] as const) {
    if (!seen.has(req)) errors.push({ pointer: `/${req}`, detail: 'required' });
  }
  if (seen.has('aa.challenge') !== seen.has('aa.signature'))
    errors.push({
      pointer: seen.has('aa.challenge') ? '/aa.signature' : '/aa.challenge',
      detail: 'aa.challenge and aa.signature go together',
    });
  if (errors.length || token === undefined) throw invalid(errors);
  return { token, files };
}

/** The dump of the members, its `chip_digest` and the members' hashes (after the token has been checked). */
export async function readParts(files: Map<DumpPartName, Uint8Array>): Promise<ChipParts> {
  const dump = { sod: files.get('sod'), dg1: files.get('dg1') } as ChipDump;
  for (const k of ['com', 'dg2', 'dg13', 'dg14', 'dg15'] as const) {
    const v = files.get(k);
    if (v) dump[k] = v;
  }
  const challenge = files.get('aa.challenge');
  const signature = files.get('aa.signature');
  if (challenge && signature) dump.aa = { challenge, signature };
  const digests = createDigestMemo();
  return { dump, digest: await chipPartsDigest(dump, digests), digests };
}

function invalid(errors: { pointer: string; detail: string }[]): ApiError {
  return new ApiError('ERR_VALIDATION', 'the request does not match the schema', { errors });
}
