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
/** Longest accepted signed request, in either body kind (the JSON member, the text part). */
export const MAX_REQUEST_LENGTH = 16_384;
/** Members that must not be empty (the JSON schema's `min(1)`); the others may be, as in JSON. */
export const NON_EMPTY: ReadonlySet<DumpPartName> = new Set(['sod', 'dg1', 'aa.challenge', 'aa.signature']);

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const DISPOSITION_TYPE = new RegExp(`\\s*(${TOKEN})\\s*`, 'y');
const DISPOSITION_PARAM = new RegExp(
  `;\\s*(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))\\s*`,
  'y',
);

/**
 * What a part's `Content-Disposition` says (RFC 7578 §4.2, the grammar of RFC 6266 §4.1): the type must be
 * `form-data`, parameter names are case-insensitive (`Name="sod"` names `sod`), values are tokens or
 * quoted strings; a file part carries a `filename` (or `filename*`). `undefined` when the header is
 * missing, another type, not in that grammar, or names a parameter twice — two readers of such a header
 * could disagree on which part it is. (`@remix-run/headers`' reader matches names case-sensitively.)
 */
export function formDataDisposition(
  value: string | undefined,
): { name: string; filename: boolean } | undefined {
  if (value === undefined) return undefined;
  DISPOSITION_TYPE.lastIndex = 0;
  const type = DISPOSITION_TYPE.exec(value);
  if (!type || type[1]!.toLowerCase() !== 'form-data') return undefined;
  const params = new Map<string, string>();
  let at = DISPOSITION_TYPE.lastIndex;
  while (at < value.length) {
    DISPOSITION_PARAM.lastIndex = at;
    const m = DISPOSITION_PARAM.exec(value);
    if (!m) {
      if (/^;\s*$/.test(value.slice(at))) break; // a trailing `;`, as some clients write
      return undefined;
    }
    const key = m[1]!.toLowerCase();
    if (params.has(key)) return undefined;
    params.set(key, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
    at = DISPOSITION_PARAM.lastIndex;
  }
  const name = params.get('name');
  if (name === undefined) return undefined;
  return { name, filename: params.has('filename') || params.has('filename*') };
}

const CR = 13;

/**
 * `message` from its first boundary on: RFC 2046 §5.1.1 lets a preamble (ignored) precede the first
 * delimiter, which then starts a line (`CRLF--boundary`); the parser expects the delimiter at byte 0.
 * The message unchanged when there is no such delimiter (the parser then names it malformed).
 */
function fromFirstBoundary(message: Uint8Array, boundary: string): Uint8Array {
  const delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
  const starts = (at: number, from: number) => {
    for (let i = from; i < delimiter.length; i++) if (message[at + i - from] !== delimiter[i]) return false;
    return true;
  };
  if (starts(0, 2)) return message;
  for (let at = message.indexOf(CR); at !== -1; at = message.indexOf(CR, at + 1)) {
    if (starts(at, 0)) return message.subarray(at + 2);
  }
  return message;
}

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
  const message = fromFirstBoundary(new Uint8Array(await body()), boundary);
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
      // The part's Content-Disposition read once, here (the part's own getters parse it per property,
      // with case-sensitive parameter names): a filename of either kind makes a file part.
      const disposition = formDataDisposition(part.headers['content-disposition']);
      if (!disposition) {
        errors.push({ pointer: '', detail: 'a part without a valid Content-Disposition: form-data; name=…' });
        continue;
      }
      const name = disposition.name;
      const isFile =
        disposition.filename ||
        /^application\/octet-stream\s*(;|$)/i.test(part.headers['content-type'] ?? '');
      if (name !== 'request' && !PART_NAMES.has(name)) {
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
