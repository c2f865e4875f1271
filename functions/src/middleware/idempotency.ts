/**
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) on every POST: per client, the key
 * remembers a fingerprint of the request (method, path, body) and the answer. Same key + same body ⇒
 * the stored answer again with `Idempotent-Replayed: true`; same key + another body ⇒ 409
 * `ERR_IDEMPOTENCY_CONFLICT`. The record itself is written by the handler inside the transaction of
 * its own writes (`idempotencyItem`), so an answer is remembered exactly when its effects happened.
 *
 * Runs after authentication (keys are per client). A retry must resend the identical body (the same
 * signed request), which is also what makes the token's `jti` the same.
 *
 * At rest the answer is sealed (it can hold the claims a verification disclosed): AES-256-GCM
 * (NIST SP 800-38D) under a key made for that one record with HKDF-SHA256 (RFC 5869) from a Worker
 * secret (PAIRWISE_SECRET, under its own `info` label) and a hash of the request body that is stored
 * nowhere (salt; the record keeps only the fingerprint, another hash). The table, its backups and
 * replicas hold ciphertext only; to open it one needs the Worker secret *and* the original request,
 * which only the retrying client has — so the answer is gone for good with the request (the body holds
 * a request token refused once expired). The IV is random (96 bits) per seal; the additional data
 * binds the ciphertext to its environment, client, key, fingerprint, status and content type.
 */
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { type Bindings, ConfigError } from '../env.ts';
import { b64, fromB64, hex, sha256 } from '../lib/crypto.ts';
import { ApiError } from '../problems.ts';
import type { StoreContext } from '../store/db.ts';
import { getIdempotency, type IdempotencyRecord, idempotencyPut } from '../store/requests.ts';

const enc = new TextEncoder();
/** HKDF `info` prefix of record keys: this use of the Worker secret and no other (RFC 5869 §3.2). */
const SEAL_INFO = 'chipid/idempotency-record/v1';
/** Labels the body hash used as HKDF salt, so it is never the stored fingerprint. */
const SALT_LABEL = 'chipid/idempotency-salt/v1';

/** What seals and opens one record's answer: its key (never stored) and what the record is. */
export interface RecordSeal {
  /** `<env>\n<principal>\n<Idempotency-Key>\n<fingerprint>`: the additional data's fixed part. */
  context: string;
  key: CryptoKey;
}

/**
 * The seal of one idempotency record: AES-256-GCM key = HKDF-SHA256(ikm = PAIRWISE_SECRET, salt =
 * SHA-256(label ‖ body), info = label ‖ env ‖ principal ‖ Idempotency-Key).
 *
 * @example
 * const seal = await recordSeal(c.env, auth.store, auth.clientId, key, fingerprint, body);
 */
export async function recordSeal(
  env: Bindings,
  store: StoreContext,
  principal: string,
  idemKey: string,
  fingerprint: string,
  body: string,
): Promise<RecordSeal> {
  const secret = env.PAIRWISE_SECRET;
  if (!secret) throw new ConfigError('missing configuration PAIRWISE_SECRET');
  const where = `${store.env}\n${principal}\n${idemKey}`;
  // HKDF in JS (noble): a Web Crypto HKDF import + derive costs more than the few hashes it is.
  const raw = hkdf(
    nobleSha256,
    enc.encode(secret),
    await sha256(`${SALT_LABEL}\n${body}`),
    enc.encode(`${SEAL_INFO}\n${where}`),
    32,
  );
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  return { context: `${where}\n${fingerprint}`, key };
}

const aad = (seal: RecordSeal, status: number, contentType: string) =>
  enc.encode(`${seal.context}\n${status}\n${contentType}`);

/** The answer sealed for the table (standard base64 of IV ‖ ciphertext ‖ tag). */
export async function sealAnswer(
  seal: RecordSeal,
  status: number,
  contentType: string,
  body: string,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: aad(seal, status, contentType) },
      seal.key,
      enc.encode(body),
    ),
  );
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return b64(out);
}

/** The stored answer opened; undefined when it does not open (another secret, or tampered with). */
export async function openAnswer(seal: RecordSeal, stored: IdempotencyRecord): Promise<string | undefined> {
  const b = fromB64(stored.sealed);
  const raw = b && new Uint8Array(b);
  if (!raw || raw.length < 12 + 16) return undefined;
  try {
    const pt = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: raw.subarray(0, 12),
        additionalData: aad(seal, stored.status, stored.contentType),
      },
      seal.key,
      raw.subarray(12),
    );
    return new TextDecoder().decode(pt);
  } catch {
    return undefined;
  }
}

/** The record remembering `answer` (JSON) under `seal`'s key. */
export async function sealedRecord(
  seal: RecordSeal,
  fingerprint: string,
  status: number,
  answer: unknown,
): Promise<IdempotencyRecord> {
  const contentType = 'application/json';
  return {
    fingerprint,
    status,
    sealed: await sealAnswer(seal, status, contentType, JSON.stringify(answer)),
    contentType,
  };
}

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
export async function answerStored(
  stored: IdempotencyRecord,
  fingerprint: string,
  seal: RecordSeal,
): Promise<Response> {
  if (stored.fingerprint !== fingerprint) {
    throw new ApiError('ERR_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used with a different request');
  }
  const body = await openAnswer(seal, stored);
  // Same request, yet the answer does not open: the Worker secret changed since it was stored.
  if (body === undefined)
    throw new ApiError('ERR_CONFLICT', 'the answer stored for this Idempotency-Key can no longer be read');
  return replayStored(stored.status, body, stored.contentType);
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
  const [stored, seal] = await Promise.all([
    getIdempotency(auth.store, auth.clientId, bare),
    recordSeal(c.env, auth.store, auth.clientId, bare, fingerprint, body),
  ]);
  if (stored) {
    const replay = await answerStored(stored, fingerprint, seal);
    for (const [k, v] of Object.entries(settled?.headers ?? {})) replay.headers.set(k, v);
    return replay;
  }
  c.set('idempotency', { key: bare, fingerprint, seal });
  await next();
});

/** The stored answer, marked as a replay. */
export function replayStored(status: number, body: string, contentType: string): Response {
  return new Response(body, {
    status,
    headers: { 'Content-Type': contentType, 'Idempotent-Replayed': 'true', 'Cache-Control': 'no-store' },
  });
}

/** The TransactWriteItem remembering this answer (sealed), when the request carries a key. */
export async function idempotencyItem(
  c: Context<AppEnv>,
  status: number,
  body: unknown,
  expiresAt?: number,
): Promise<TransactWriteItem | undefined> {
  const idem = c.get('idempotency');
  if (!idem) return undefined;
  const auth = c.get('auth');
  return idempotencyPut(
    auth.store,
    auth.clientId,
    idem.key,
    await sealedRecord(idem.seal, idem.fingerprint, status, body),
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
  throw new StoredAnswer(await answerStored(stored, idem.fingerprint, idem.seal));
}
