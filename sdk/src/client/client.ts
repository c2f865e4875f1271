/**
 * chipid API client — SERVICE-CONTRACT.md "RP endpoints": challenges, verifications, assertion checks.
 *
 * Requests are signed with the relying party's key (see `request/`); POSTs carry an `Idempotency-Key`
 * made once per call and reused on every retry, with the same body (the same request JWS, same `jti`),
 * so a retry after a timeout or a 5xx is answered from the service's idempotency record instead of
 * being verified twice.
 */

import { ClientError } from '../errors.ts';
import type { ChipDumpJSON } from '../icao/dump.ts';
import { chipDumpSchema, decodeDump, dumpIssueText } from '../icao/dump.ts';
import { equalBytes, fromBase64 } from '../lib/bytes.ts';
import * as z from '../lib/zod.ts';
import { type ChipRead, type ChipTransport, type ReadChipOptions, readChip } from '../reader/index.ts';
import type { PrivateKeyInput, SigningKey } from '../request/keys.ts';
import { importSigningKey } from '../request/keys.ts';
import {
  CLIENT_ID_PATTERN,
  encodeFormData,
  signAuthToken,
  signVerificationRequest,
  verificationFormData,
} from '../request/sign.ts';
import type { JWKSInput } from './assertion.ts';
import { assertionIssuer, remoteJWKS, verifyAssertion as verifyAssertionWith } from './assertion.ts';
import type { FetchLike, HttpAnswer, TransportOptions } from './http.ts';
import { newIdempotencyKey, send } from './http.ts';
import type {
  AssertionClaims,
  Challenge,
  Portrait,
  VerificationOutcome,
  VerificationRecord,
  WithheldReason,
} from './types.ts';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** Service base URL, e.g. `http://127.0.0.1:8787` (trailing `/` ignored). */
  baseUrl: string;
  /** Your client id (`sandbox_…` or `live_…`). */
  clientId: string;
  /** Your registered private key: a private JWK with `kid`, or a CryptoKey plus `kid`. */
  privateKey: PrivateKeyInput | SigningKey;
  /** Key id, required with a bare CryptoKey (overrides the JWK's). */
  kid?: string;
  /**
   * The service's own URL (request `aud`; assertion `iss` of live clients, + `/sandbox` of sandbox
   * ones) when it differs from `baseUrl` (proxies).
   */
  serviceUrl?: string;
  /** fetch implementation (default: the global fetch). */
  fetch?: FetchLike;
  /** Per-attempt timeout in ms, body included (default 15000). */
  timeoutMs?: number;
  /** Retries after the first attempt on network errors, timeouts, 429, 502, 503, 504 (default 2). */
  retries?: number;
  /** First backoff step in ms; doubles each retry, jittered (default 250). */
  retryBaseDelayMs?: number;
  /** Longest wait between attempts in ms; a longer `Retry-After` ends the retries (default 10000). */
  maxRetryDelayMs?: number;
  /**
   * Service keys for assertion checks (default: the client's environment's, `<issuer>/.well-known/jwks.json`
   * — `<serviceUrl>/sandbox/.well-known/jwks.json` for a sandbox client —, cached).
   */
  jwks?: JWKSInput;
}

/** Per-call options shared by every method. */
export interface CallOptions {
  /** Cancels the call (and its retries). */
  signal?: AbortSignal;
}

/** Options of {@link ChipIdClient.verify}. */
export interface VerifyOptions extends CallOptions {
  /**
   * Claim names wanted (only those your client is allowed come back); `portrait` asks for the chip's
   * face as JPEG, returned as `outcome.portrait` and checked against the assertion.
   */
  scope: readonly string[];
  /** Why you verify (≤ 200 characters), kept in the audit log. */
  purpose: string;
  /**
   * The challenge the chip answered (from `challenge()`), for active authentication. When its bytes are
   * given, the dump's `aa.challenge` is checked against them before sending.
   */
  challenge?: { id: string; challenge?: Uint8Array };
  /** Idempotency key (default: a fresh random one per call, reused on its retries). */
  idempotencyKey?: string;
  /** Lifetime of the signed request in seconds (default 120, at most 300). */
  ttlSeconds?: number;
  /** Verify the returned assertion against the service JWKS (default true; leave it on). */
  verifyAssertion?: boolean;
  /**
   * `json` (default): the body `{ request, chip }`. `multipart`: `multipart/form-data` with the dump's
   * members as raw bytes — no base64 on the wire, a third fewer bytes, less service CPU for large faces.
   * Needs `FormData` and `Blob` (browsers, Node, workerd; not React Native's).
   */
  transport?: 'json' | 'multipart';
}

/** Options of {@link ChipIdClient.verifyCard}. */
export interface VerifyCardOptions
  extends Omit<VerifyOptions, 'challenge'>,
    Omit<ReadChipOptions, 'challenge' | 'signal'> {
  /** The access key: `{ can }`, `{ mrz: … }` or `{ cccd: … }` (see `readChip`). */
  key: ReadChipOptions['key'];
}

/** What {@link ChipIdClient.verifyCard} returns: the service's verified outcome and what the read did. */
export interface CardVerificationOutcome extends VerificationOutcome {
  /** The read: access control, Chip Authentication, counters, and the dump that was sent. */
  readonly read: ChipRead;
}

/** A chipid API client bound to one relying party and key. */
export interface ChipIdClient {
  readonly baseUrl: string;
  readonly clientId: string;
  /** Gets a one-time active-authentication challenge (`POST /v1/challenges`). */
  challenge(options?: CallOptions & { idempotencyKey?: string }): Promise<Challenge>;
  /** Submits a chip dump (`POST /v1/verifications`) and returns the verified outcome. */
  verify(dump: ChipDumpJSON, options: VerifyOptions): Promise<VerificationOutcome>;
  /**
   * Reads a card and verifies it in one call: a fresh challenge (`challenge()`), the chip read answering
   * it (`readChip(transport, { key, challenge })`), then `verify(dump, …)`. For programs that both read
   * and hold the RP key (a desk reader at a counter, a kiosk, tests with the sandbox virtual card); an
   * app on a phone reads and lets its backend verify.
   */
  verifyCard(transport: ChipTransport, options: VerifyCardOptions): Promise<CardVerificationOutcome>;
  /** Reads a past verification of this client (`GET /v1/verifications/:id`). */
  getVerification(id: string, options?: CallOptions): Promise<VerificationRecord>;
  /**
   * Verifies an assertion from this service for this client (cached JWKS); with `portrait`, also that
   * the assertion was issued for that image (its SHA-256 is the assertion's attachment digest).
   */
  verifyAssertion(
    jwt: string,
    options?: { maxAgeSeconds?: number; currentDate?: Date; portrait?: Uint8Array },
  ): Promise<AssertionClaims>;
}

const IDEM_KEY_RE = /^[\x21-\x7e]{1,255}$/;
const resultSchema = z.enum(['verified', 'rejected', 'inconclusive']);
const challengeSchema = z.object({
  id: z.string().min(1).max(200),
  challenge: z.string().min(1),
  expiresAt: z.string(),
});
const outcomeSchema = z.object({
  id: z.string().min(1).max(200),
  result: resultSchema,
  reasons: z.array(z.string()),
  assertion: z.string().min(1),
  withheld: z.record(z.string(), z.string()).optional(),
  portrait: z.object({ media_type: z.literal('image/jpeg'), data: z.string().min(1) }).optional(),
});
const recordSchema = z.object({
  id: z.string().min(1),
  result: resultSchema,
  reasons: z.array(z.string()),
  createdAt: z.string(),
  checks: z.unknown(),
});

function config(msg: string): ClientError {
  return new ClientError('ERR_CONFIG', msg);
}

function normalizeUrl(s: string, name: string): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch (cause) {
    throw new ClientError('ERR_CONFIG', `${name} is not a valid URL`, { cause });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw config(`${name} must be http or https`);
  if (u.search || u.hash || u.username || u.password)
    throw config(`${name} must not carry a query, fragment or credentials`);
  return u.href.replace(/\/+$/, '');
}

function nonNegInt(v: number | undefined, dflt: number, name: string, max: number): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw config(`${name} must be an integer between 0 and ${max}`);
  return n;
}

function badAnswer(label: string, a: HttpAnswer, cause: unknown): ClientError {
  return new ClientError('ERR_HTTP', `${label}: unexpected answer shape`, { cause, status: a.status });
}

/**
 * Creates a client for the chipid service.
 *
 * @throws ClientError `ERR_CONFIG` for bad options (the key is checked on first use).
 * @example
 * const client = createClient({ baseUrl: 'http://127.0.0.1:8787', clientId: 'sandbox_demo', privateKey: jwk });
 * const ch = await client.challenge();
 * // … the reading app makes the chip sign ch.challenge (active authentication) …
 * const out = await client.verify(dump, { scope: ['given_name', 'age_over_18'], purpose: 'onboarding', challenge: ch });
 * if (out.result === 'verified') console.log(out.claims?.sub);
 */
export function createClient(options: ClientOptions): ChipIdClient {
  if (typeof options !== 'object' || options === null) throw config('options object required');
  const baseUrl = normalizeUrl(options.baseUrl, 'baseUrl');
  const serviceUrl =
    options.serviceUrl === undefined ? baseUrl : normalizeUrl(options.serviceUrl, 'serviceUrl');
  const clientId = options.clientId;
  if (typeof clientId !== 'string' || !CLIENT_ID_PATTERN.test(clientId))
    throw config(
      'clientId must be sandbox_ or live_ and 3–64 of A–Z a–z 0–9 _ - (as the service registers them)',
    );
  if (options.privateKey === undefined || options.privateKey === null) throw config('privateKey is required');
  const fetchImpl: FetchLike =
    options.fetch ??
    ((input, init) => {
      if (typeof fetch !== 'function') throw config('no global fetch: pass options.fetch');
      return fetch(input, init);
    });
  const transport: TransportOptions = {
    fetch: fetchImpl,
    timeoutMs: nonNegInt(options.timeoutMs, 15_000, 'timeoutMs', 600_000) || 15_000,
    retries: nonNegInt(options.retries, 2, 'retries', 10),
    retryBaseDelayMs: nonNegInt(options.retryBaseDelayMs, 250, 'retryBaseDelayMs', 60_000),
    maxRetryDelayMs: nonNegInt(options.maxRetryDelayMs, 10_000, 'maxRetryDelayMs', 600_000),
  };
  // Import the key once, on first use (import is async; createClient stays synchronous).
  let keyPromise: Promise<SigningKey> | undefined;
  const signingKey = (): Promise<SigningKey> => {
    if (!keyPromise) {
      keyPromise = importSigningKey(options.privateKey, options.kid);
      // A failed import is not cached, so a fixed configuration can be retried.
      keyPromise.catch(() => {
        keyPromise = undefined;
      });
    }
    return keyPromise;
  };
  // Each environment its own issuer and keys: the client's id says which (a live client never
  // fetches, let alone trusts, the sandbox key set).
  const issuer = assertionIssuer(serviceUrl, clientId);
  let jwks: JWKSInput | undefined = options.jwks;
  const getJwks = (): JWKSInput => {
    jwks ??= remoteJWKS(`${issuer}/.well-known/jwks.json`, {
      fetch: fetchImpl,
      timeoutMs: transport.timeoutMs,
    });
    return jwks;
  };

  const authHeaders = (method: 'GET' | 'POST', path: string) => async (): Promise<Record<string, string>> => {
    // A fresh single-use token per attempt: the Idempotency-Key, not the token, makes a retry safe.
    const token = await signAuthToken({
      clientId,
      privateKey: await signingKey(),
      audience: serviceUrl,
      method,
      path,
    });
    return { authorization: `Bearer ${token}`, accept: 'application/json' };
  };

  const idemKey = (k: string | undefined): string => {
    if (k === undefined) return newIdempotencyKey();
    if (typeof k !== 'string' || !IDEM_KEY_RE.test(k))
      throw new ClientError('ERR_REQUEST_INVALID', 'idempotencyKey must be 1–255 visible ASCII characters');
    return k;
  };

  const verifyAssertion = (
    jwt: string,
    o: { maxAgeSeconds?: number; currentDate?: Date; portrait?: Uint8Array } = {},
  ) => {
    const opts: Parameters<typeof verifyAssertionWith>[1] = {
      issuer,
      audience: clientId,
      jwks: getJwks(),
    };
    if (o.maxAgeSeconds !== undefined) opts.maxAgeSeconds = o.maxAgeSeconds;
    if (o.currentDate !== undefined) opts.currentDate = o.currentDate;
    if (o.portrait !== undefined) opts.portrait = o.portrait;
    return verifyAssertionWith(jwt, opts);
  };

  const api: ChipIdClient = {
    baseUrl,
    clientId,

    async challenge(o = {}) {
      const path = '/v1/challenges';
      const key = idemKey(o.idempotencyKey);
      const headers = authHeaders('POST', path);
      const a = await send(transport, {
        method: 'POST',
        url: baseUrl + path,
        path,
        body: '{}',
        headers: async () => ({
          ...(await headers()),
          'content-type': 'application/json',
          'idempotency-key': key,
        }),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const r = challengeSchema.safeParse(a.json);
      if (!r.success) throw badAnswer(`POST ${path}`, a, r.error);
      let bytes: Uint8Array;
      try {
        bytes = fromBase64(r.data.challenge);
      } catch (cause) {
        throw badAnswer(`POST ${path}`, a, cause);
      }
      const expiresAt = new Date(r.data.expiresAt);
      if (bytes.length === 0 || bytes.length > 256 || Number.isNaN(expiresAt.getTime()))
        throw badAnswer(`POST ${path}`, a, undefined);
      return { id: r.data.id, challenge: bytes, expiresAt };
    },

    async verify(dump, o) {
      const path = '/v1/verifications';
      if (typeof o !== 'object' || o === null)
        throw new ClientError('ERR_REQUEST_INVALID', 'verify: options required');
      const parsed = chipDumpSchema.safeParse(dump);
      if (!parsed.success) {
        throw new ClientError('ERR_DUMP_INVALID', `chip: ${dumpIssueText(parsed.error)}`, {
          cause: parsed.error,
        });
      }
      if (o.challenge !== undefined) {
        if (typeof o.challenge?.id !== 'string')
          throw new ClientError('ERR_REQUEST_INVALID', 'verify: challenge.id is required');
        const expected = o.challenge.challenge;
        const aa = dump.aa;
        // A card without Active Authentication (no DG15) cannot answer: the service reports
        // `aa_not_supported`. One that has it must have answered this very challenge.
        if (expected !== undefined && !aa && dump.dg15 !== undefined)
          throw new ClientError(
            'ERR_REQUEST_INVALID',
            'chip: the card has Active Authentication (DG15) but the dump has no aa answer: have the chip sign the challenge',
          );
        if (expected !== undefined && aa) {
          let got: Uint8Array;
          try {
            got = fromBase64(aa.challenge);
          } catch (cause) {
            throw new ClientError('ERR_DUMP_INVALID', 'chip: aa.challenge is not valid base64', { cause });
          }
          if (!equalBytes(got, expected))
            throw new ClientError('ERR_REQUEST_INVALID', 'chip: aa.challenge is not the challenge given');
        }
      }
      const key = idemKey(o.idempotencyKey);
      const signOpts: Parameters<typeof signVerificationRequest>[0] = {
        clientId,
        privateKey: await signingKey(),
        audience: serviceUrl,
        chip: dump,
        scope: o.scope,
        purpose: o.purpose,
      };
      if (o.challenge !== undefined) signOpts.challengeId = o.challenge.id;
      if (o.ttlSeconds !== undefined) signOpts.ttlSeconds = o.ttlSeconds;
      if (o.transport !== undefined && o.transport !== 'json' && o.transport !== 'multipart')
        throw new ClientError('ERR_REQUEST_INVALID', "verify: transport must be 'json' or 'multipart'");
      const multipart = o.transport === 'multipart';
      if (multipart) signOpts.transport = 'multipart';
      // Signed once: every retry carries the same JWS (same jti) and the same Idempotency-Key.
      const request = await signVerificationRequest(signOpts);
      const ttl = o.ttlSeconds ?? 120;
      const body = multipart
        ? await encodeFormData(verificationFormData(request, decodeDump(parsed.data)))
        : { bytes: JSON.stringify({ request, chip: dump }), type: 'application/json' };
      const a = await send(transport, {
        method: 'POST',
        url: baseUrl + path,
        path,
        body: body.bytes,
        headers: async () => ({
          'content-type': body.type,
          accept: 'application/json',
          'idempotency-key': key,
        }),
        // Leave a margin so the last attempt still arrives before the request's exp.
        deadline: Date.now() + Math.max(1, ttl - 10) * 1000,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const r = outcomeSchema.safeParse(a.json);
      if (!r.success) throw badAnswer(`POST ${path}`, a, r.error);
      const out = r.data;
      const withheld = out.withheld ? { withheld: out.withheld as Record<string, WithheldReason> } : {};
      let portrait: Portrait | undefined;
      if (out.portrait) {
        try {
          portrait = { mediaType: out.portrait.media_type, bytes: fromBase64(out.portrait.data) };
        } catch (cause) {
          throw badAnswer(`POST ${path}`, a, cause);
        }
      }
      const outcome = {
        id: out.id,
        result: out.result,
        reasons: out.reasons,
        assertion: out.assertion,
        ...withheld,
        ...(portrait ? { portrait } : {}),
      };
      if (o.verifyAssertion === false) return outcome;
      // The JSON answer is unsigned; the assertion is the proof and must say the same thing — and the
      // portrait, when one came, must be the image whose SHA-256 the assertion carries.
      const claims = await verifyAssertion(out.assertion, portrait ? { portrait: portrait.bytes } : {});
      if (
        claims.txn !== out.id ||
        claims.result !== out.result ||
        claims.reasons.length !== out.reasons.length ||
        claims.reasons.some((x, i) => x !== out.reasons[i]) ||
        JSON.stringify(claims.withheld_claims ?? {}) !== JSON.stringify(out.withheld ?? {})
      )
        throw new ClientError(
          'ERR_ASSERTION_INVALID',
          'assertion: txn/result/reasons/withheld_claims differ from the answer',
        );
      return { ...outcome, claims };
    },

    async verifyCard(chip, o) {
      if (typeof o !== 'object' || o === null)
        throw new ClientError('ERR_REQUEST_INVALID', 'verifyCard: options required');
      const {
        scope,
        purpose,
        idempotencyKey,
        ttlSeconds,
        verifyAssertion: check,
        transport,
        signal,
        ...read
      } = o;
      // The challenge first: the chip must sign the service's fresh bytes (single use, ≤ 120 s).
      const challenge = await api.challenge(signal ? { signal } : {});
      const chipRead = await readChip(chip, {
        ...read,
        challenge: challenge.challenge,
        ...(signal ? { signal } : {}),
      });
      const out = await api.verify(chipRead.dump, {
        scope,
        purpose,
        challenge,
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
        ...(check !== undefined ? { verifyAssertion: check } : {}),
        ...(transport !== undefined ? { transport } : {}),
        ...(signal ? { signal } : {}),
      });
      return { ...out, read: chipRead };
    },

    async getVerification(id, o = {}) {
      if (typeof id !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(id))
        throw new ClientError(
          'ERR_REQUEST_INVALID',
          'getVerification: id must be 1–200 visible ASCII characters',
        );
      const path = `/v1/verifications/${encodeURIComponent(id)}`;
      const a = await send(transport, {
        method: 'GET',
        url: baseUrl + path,
        path,
        headers: authHeaders('GET', path),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const r = recordSchema.safeParse(a.json);
      if (!r.success) throw badAnswer(`GET ${path}`, a, r.error);
      const createdAt = new Date(r.data.createdAt);
      if (Number.isNaN(createdAt.getTime())) throw badAnswer(`GET ${path}`, a, undefined);
      return {
        id: r.data.id,
        result: r.data.result,
        reasons: r.data.reasons,
        createdAt,
        checks: r.data.checks,
      };
    },

    verifyAssertion,
  };
  return api;
}
