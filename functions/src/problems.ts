/**
 * Problem details — RFC 9457 (`application/problem+json`): the one table from error code to HTTP
 * status and the one renderer every error answer of the service goes through.
 *
 * `detail` names the rule that failed, never the data (DG1/DG13 and the registry hold personal data).
 */
import type { Context } from 'hono';

/** Every problem code the service answers with, and its HTTP status. Stable: clients switch on these. */
export const PROBLEMS = {
  ERR_REQUEST_INVALID: { status: 400, title: 'Invalid request' },
  ERR_MALFORMED_JSON: { status: 400, title: 'Malformed JSON' },
  ERR_VALIDATION: { status: 400, title: 'Validation failed' },
  ERR_CHALLENGE_INVALID: { status: 409, title: 'Challenge invalid' },
  ERR_UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  ERR_FORBIDDEN: { status: 403, title: 'Forbidden' },
  ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  ERR_REQUEST_REPLAYED: { status: 409, title: 'Request replayed' },
  ERR_IDEMPOTENCY_CONFLICT: { status: 409, title: 'Idempotency key reused with a different request' },
  ERR_CONFLICT: { status: 409, title: 'Conflict' },
  ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  ERR_INTERNAL: { status: 500, title: 'Internal error' },
  ERR_STORE_UNAVAILABLE: { status: 503, title: 'Store unavailable' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

/** One entry of `errors` on validation problems: RFC 6901 JSON pointer into the request body. */
export interface ProblemError {
  pointer: string;
  detail: string;
}

/**
 * Prefix of problem `type` URIs: a URN (RFC 9457 §3.1.1 allows a non-dereferenceable URI), the same
 * for every deployment — sandbox, live, self-hosted — since the project owns no domain to publish
 * them under. Clients match on `code` (or `type`); errors.md documents each.
 */
export const PROBLEM_TYPE_BASE = 'urn:chipid:problem:';

/** `ERR_IDEMPOTENCY_CONFLICT` → `urn:chipid:problem:idempotency-conflict`. */
export function problemType(code: ProblemCode): string {
  return PROBLEM_TYPE_BASE + code.replace(/^ERR_/, '').toLowerCase().replaceAll('_', '-');
}

/**
 * An expected failure on the request path: thrown anywhere, rendered once by `app.onError`.
 *
 * @example
 * throw new ApiError('ERR_NOT_FOUND', 'no such verification');
 */
export class ApiError extends Error {
  readonly code: ProblemCode;
  readonly errors: ProblemError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: ProblemCode,
    detail: string,
    options?: { errors?: ProblemError[]; headers?: Record<string, string>; cause?: unknown },
  ) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.errors = options?.errors;
    this.headers = options?.headers ?? {};
  }

  get status(): number {
    return PROBLEMS[this.code].status;
  }
}

/** The JSON body of a problem answer. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  instance?: string;
  errors?: ProblemError[];
}

/**
 * Builds the problem body for a code.
 *
 * @example
 * problemBody('ERR_NOT_FOUND', 'no route', 'req_123').status; // 404
 */
export function problemBody(
  code: ProblemCode,
  detail: string,
  instance?: string,
  errors?: ProblemError[],
): ProblemBody {
  const p = PROBLEMS[code];
  const body: ProblemBody = { type: problemType(code), title: p.title, status: p.status, detail, code };
  if (instance !== undefined) body.instance = instance;
  if (errors !== undefined) body.errors = errors;
  return body;
}

/**
 * Renders a problem as a Response (the only place error answers are built).
 *
 * @example
 * return renderProblem(c, new ApiError('ERR_FORBIDDEN', 'client disabled'));
 */
export function renderProblem(c: Context, err: ApiError): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  const body = problemBody(err.code, err.message, requestId, err.errors);
  const headers = new Headers(err.headers);
  headers.set('Content-Type', 'application/problem+json');
  headers.set('Cache-Control', 'no-store');
  if (requestId) headers.set('X-Request-Id', requestId);
  return new Response(JSON.stringify(body), { status: err.status, headers });
}
