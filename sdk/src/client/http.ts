/**
 * HTTP transport of the client — timeouts, safe retries (RFC 9110 §15.6.4 / RFC 6585 §4 `Retry-After`,
 * the IETF httpapi `Idempotency-Key` draft) and RFC 9457 problem documents turned into `ClientError`.
 *
 * Internal to `client/`: not part of the public surface.
 */

import type { ErrorCode } from '../errors.ts';
import { ClientError, ERROR_CODES } from '../errors.ts';
import { toBase64Url } from '../lib/bytes.ts';

/** The `fetch` signature the client needs (the global one, undici's, a test double…). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Statuses worth retrying: the request was not processed or the server asks to come back. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export interface TransportOptions {
  fetch: FetchLike;
  timeoutMs: number;
  retries: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  /** Injected in tests; defaults to Math.random. */
  random?: () => number;
}

export interface SendOptions {
  method: 'GET' | 'POST';
  url: string;
  /** Path used in error messages. */
  path: string;
  /** Built per attempt (auth tokens are single-use and may be re-signed). */
  headers: () => Promise<Record<string, string>>;
  /** Sent as is on every attempt. */
  body?: string | Uint8Array<ArrayBuffer>;
  signal?: AbortSignal;
  /** Epoch ms after which no attempt may start (e.g. the signed request's `exp`). */
  deadline?: number;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  json: unknown;
}

/** A fresh `Idempotency-Key`: 16 random bytes, base64url. */
export function newIdempotencyKey(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/** Parses `Retry-After` (delta-seconds or HTTP-date) into milliseconds, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

const SDK_CODES = new Set<string>(ERROR_CODES);

/** Turns a non-2xx answer into a ClientError carrying the RFC 9457 document. */
export function problemError(status: number, body: unknown, label: string): ClientError {
  const problem =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const raw = typeof problem?.code === 'string' ? problem.code : undefined;
  const code: ErrorCode = raw !== undefined && SDK_CODES.has(raw) ? (raw as ErrorCode) : 'ERR_HTTP';
  const text =
    typeof problem?.detail === 'string' && problem.detail
      ? problem.detail
      : typeof problem?.title === 'string'
        ? problem.title
        : 'request failed';
  const opts: { status: number; problem?: Record<string, unknown> } = { status };
  if (problem) opts.problem = problem;
  return new ClientError(
    code,
    `${label}: HTTP ${status}${raw ? ` ${raw}` : ''}: ${text.slice(0, 300)}`,
    opts,
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal | undefined): ClientError {
  return new ClientError('ERR_NETWORK', 'request aborted by the caller', { cause: signal?.reason });
}

/**
 * Sends one logical request, retrying on network errors, timeouts, 429, 502, 503 and 504 with
 * jittered exponential backoff (or the server's `Retry-After`). Never retries other statuses. The body
 * and the headers the caller builds stay identical across attempts apart from what `headers()`
 * re-signs, so a server-side idempotency record answers a retry of a request that was processed.
 */
type Attempt =
  | { kind: 'ok'; answer: HttpAnswer }
  | { kind: 'fatal'; error: ClientError }
  | { kind: 'retry'; error: ClientError; retryAfterMs?: number };

/** ` (ECONNREFUSED)`-style detail from a fetch failure (undici nests the system error as `cause`). */
function networkReason(e: unknown): string {
  const inner = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = inner?.code ?? (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return ` (${code})`;
  const m = inner?.message;
  return typeof m === 'string' && m.length > 0 && m.length <= 80 && !m.includes('\n') ? ` (${m})` : '';
}

async function attemptOnce(t: TransportOptions, o: SendOptions, label: string): Promise<Attempt> {
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, t.timeoutMs);
  const onOuterAbort = () => ctrl.abort();
  o.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const headers = await o.headers();
    const init: RequestInit = { method: o.method, headers, signal: ctrl.signal, redirect: 'error' };
    if (o.body !== undefined) init.body = o.body;
    let res: Response;
    let text: string;
    try {
      res = await t.fetch(o.url, init);
      text = await res.text();
    } catch (cause) {
      if (o.signal?.aborted) return { kind: 'fatal', error: abortError(o.signal) };
      // The URL (the service's, no personal data) and the runtime's reason say what could not be reached.
      const where = `${o.method} ${o.url}`;
      const msg = timedOut
        ? `${where}: no answer within ${t.timeoutMs} ms`
        : `${where}: network error${networkReason(cause)}`;
      return { kind: 'retry', error: new ClientError('ERR_NETWORK', msg, { cause }) };
    }
    let json: unknown;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch (cause) {
        if (res.ok) {
          const error = new ClientError('ERR_HTTP', `${label}: the answer is not JSON`, {
            cause,
            status: res.status,
          });
          return { kind: 'fatal', error };
        }
      }
    }
    if (res.ok) return { kind: 'ok', answer: { status: res.status, headers: res.headers, json } };
    const error = problemError(res.status, json, label);
    if (!RETRYABLE_STATUS.has(res.status)) return { kind: 'fatal', error };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    return retryAfterMs === undefined ? { kind: 'retry', error } : { kind: 'retry', error, retryAfterMs };
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * Sends one logical request, retrying on network errors, timeouts, 429, 502, 503 and 504 with
 * jittered exponential backoff (or the server's `Retry-After`). Never retries other statuses. The body
 * and the headers the caller builds stay identical across attempts apart from what `headers()`
 * re-signs, so a server-side idempotency record answers a retry of a request that was processed.
 *
 * @throws ClientError: the problem's code (or `ERR_HTTP`) with `status`/`problem`; `ERR_NETWORK`.
 */
export async function send(t: TransportOptions, o: SendOptions): Promise<HttpAnswer> {
  const label = `${o.method} ${o.path}`;
  const random = t.random ?? Math.random;
  let lastError: ClientError | undefined;
  for (let attempt = 0; attempt <= t.retries; attempt++) {
    if (o.signal?.aborted) throw abortError(o.signal);
    const r = await attemptOnce(t, o, label);
    if (r.kind === 'ok') return r.answer;
    if (r.kind === 'fatal') throw r.error;
    lastError = r.error;
    if (attempt === t.retries) break;
    const backoff = t.retryBaseDelayMs * 2 ** attempt;
    const jittered = backoff / 2 + random() * (backoff / 2);
    const wait = r.retryAfterMs ?? Math.min(jittered, t.maxRetryDelayMs);
    // Waiting longer than allowed, or past the signed request's expiry, cannot succeed: stop here.
    if (wait > t.maxRetryDelayMs) break;
    if (o.deadline !== undefined && Date.now() + wait >= o.deadline) break;
    await sleep(wait, o.signal);
  }
  throw lastError ?? new ClientError('ERR_NETWORK', `${label}: request failed`);
}
