/**
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) on every POST: per client, the key
 * remembers a fingerprint of the request (method, path, body) and the answer. Same key + same body ⇒
 * the stored answer again with `Idempotent-Replayed: true`; same key + another body ⇒ 409
 * `ERR_IDEMPOTENCY_CONFLICT`. The record itself is written by the handler inside the transaction of
 * its own writes (`idempotencyItem`), so an answer is remembered exactly when its effects happened.
 *
 * Runs after authentication (keys are per client). A retry must resend the identical body (the same
 * signed request), which is also what makes the token's `jti` the same.
 */
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { hex, sha256 } from '../lib/crypto.ts';
import { ApiError } from '../problems.ts';
import { getIdempotency, type IdempotencyRecord, idempotencyPut } from '../store/requests.ts';

const KEY_SYNTAX = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's `Idempotency-Key` (RFC 8941 string form `"abc"` or the bare token), checked; or undefined. */
export function idempotencyKeyOf(c: Context<AppEnv>): string | undefined {
  const key = c.req.header('Idempotency-Key');
  if (key === undefined) return undefined;
  const bare = key.startsWith('"') && key.endsWith('"') && key.length >= 2 ? key.slice(1, -1) : key;
  if (!KEY_SYNTAX.test(bare)) {
    throw new ApiError('ERR_REQUEST_INVALID', 'Idempotency-Key must be 1–128 characters of [A-Za-z0-9._:-]');
  }
  return bare;
}

/** What a key remembers of its request: SHA-256 (hex) over method, path and body. */
export async function requestFingerprint(c: Context<AppEnv>, body: string): Promise<string> {
  return hex(await sha256(`${c.req.method} ${new URL(c.req.url).pathname}\n${body}`));
}

/** Same fingerprint ⇒ the stored answer (a replay); another ⇒ 409 `ERR_IDEMPOTENCY_CONFLICT`. */
export function answerStored(stored: IdempotencyRecord, fingerprint: string): Response {
  if (stored.fingerprint !== fingerprint) {
    throw new ApiError('ERR_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used with a different request');
  }
  return replayStored(stored.status, stored.body, stored.contentType);
}

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  c.set('idempotency', undefined);
  if (c.req.method !== 'POST') return next();
  const bare = idempotencyKeyOf(c);
  if (bare === undefined) return next();
  // A stored answer goes only to a client decided now (POST /v1/verifications decides it in parallel).
  const decided = c.get('authDecided');
  const settled = decided ? await decided : undefined;
  const auth = settled?.auth ?? c.get('auth');
  let body = c.get('bodyText') as string | undefined;
  if (body === undefined) {
    body = await c.req.text();
    c.set('bodyText', body);
  }
  const fingerprint = await requestFingerprint(c, body);
  const stored = await getIdempotency(auth.store, auth.clientId, bare);
  if (stored) {
    const replay = answerStored(stored, fingerprint);
    for (const [k, v] of Object.entries(settled?.headers ?? {})) replay.headers.set(k, v);
    return replay;
  }
  c.set('idempotency', { key: bare, fingerprint });
  await next();
});

/** The stored answer, marked as a replay. */
export function replayStored(status: number, body: string, contentType: string): Response {
  return new Response(body, {
    status,
    headers: { 'Content-Type': contentType, 'Idempotent-Replayed': 'true', 'Cache-Control': 'no-store' },
  });
}

/** The TransactWriteItem remembering this answer, when the request carries a key. */
export function idempotencyItem(
  c: Context<AppEnv>,
  status: number,
  body: unknown,
  expiresAt?: number,
): TransactWriteItem | undefined {
  const idem = c.get('idempotency');
  if (!idem) return undefined;
  const auth = c.get('auth');
  return idempotencyPut(
    auth.store,
    auth.clientId,
    idem.key,
    { fingerprint: idem.fingerprint, status, body: JSON.stringify(body), contentType: 'application/json' },
    expiresAt,
  );
}

/**
 * A finished answer thrown out of a handler (a stored idempotent answer): `app.onError` sends it as is.
 * Handlers' typed responses can't return a raw Response, and this path is the exception.
 */
export class StoredAnswer extends Error {
  constructor(readonly response: Response) {
    super('stored answer');
    this.name = 'StoredAnswer';
  }
}

/** After a lost race on the key: answer (by throwing {@link StoredAnswer}) with what the winner stored. */
export async function replayAfterRace(c: Context<AppEnv>): Promise<never> {
  const idem = c.get('idempotency');
  const auth = c.get('auth');
  const stored = idem ? await getIdempotency(auth.store, auth.clientId, idem.key) : undefined;
  if (!idem || !stored)
    throw new ApiError('ERR_CONFLICT', 'a concurrent request with this Idempotency-Key is in progress');
  throw new StoredAnswer(answerStored(stored, idem.fingerprint));
}
