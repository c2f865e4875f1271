/**
 * Validation failures → RFC 9457 `ERR_VALIDATION` with `errors[].pointer` (RFC 6901 JSON pointers
 * into the request body; `/<name>` for path and query parameters). Replaces @hono/zod-openapi's
 * default hook on every sub-app (`newApp()`).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.ts';
import { ApiError, type ProblemError } from './problems.ts';

/** The 400 `ERR_VALIDATION` problem for `errors` (pointer and detail each, never the offending value). */
export function schemaMismatch(errors: ProblemError[]): ApiError {
  return new ApiError('ERR_VALIDATION', 'the request does not match the schema', { errors });
}

/** RFC 6901 pointer of a zod issue path. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('') || '';
}

const WHERE: Record<string, string> = {
  json: 'body',
  param: 'path parameter',
  query: 'query parameter',
  header: 'header',
};

/** What a zod issue carries that we read. */
export interface Issue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
}

/**
 * A zod issue's message — except for unknown keys, which zod quotes ('Unrecognized key: "…"'): a key
 * is the caller's text and may be personal data (a name, an id number), so it is counted, not echoed.
 * The issue's pointer names the object that holds it.
 */
export function issueMessage(i: Issue): string {
  if (i.code === 'unrecognized_keys') {
    const n = i.keys?.length ?? 1;
    return n === 1 ? 'unknown field (not in the schema)' : `${n} unknown fields (not in the schema)`;
  }
  return i.message;
}

/** zod issues → problem errors. Messages come from the schema (never the offending value). */
export function issuesToErrors(target: string, issues: readonly Issue[]): ProblemError[] {
  return issues.slice(0, 20).map((i) => ({
    pointer: jsonPointer(i.path),
    detail: `${WHERE[target] ?? target}: ${issueMessage(i)}`,
  }));
}

/** An OpenAPIHono whose validation failures are problems. */
export function newApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: async (result, c) => {
      if (!result.success) {
        // `POST /v1/verifications` decides its client (403 / 429) alongside: a refused client hears that,
        // not what its body lacks — the same order for both body kinds (`requestAuth`).
        await c.get('authDecided');
        throw schemaMismatch(issuesToErrors(result.target, result.error.issues));
      }
    },
  });
}
