/**
 * Relying-party request signing — RFC 7515 (JWS compact), RFC 7519 (JWT), RFC 8725 (JWT BCP: explicit
 * `typ`, audience, short lifetime, unique `jti`), RFC 9449 §4.2 (`htm`/`htu`, borrowed from DPoP).
 *
 * Two token kinds (SERVICE-CONTRACT.md "RP authentication"):
 * - `chipid-request+jwt`: the body of `POST /v1/verifications`, binding the chip dump via `chip_digest`;
 * - `chipid-auth+jwt`: the `Authorization: Bearer` token of every other RP endpoint, bound to the
 *   HTTP method and path.
 */
import { SignJWT } from 'jose';
import { CLAIM_NAMES } from '../claims.ts';
import { ClientError } from '../errors.ts';
import type { ChipDump, ChipDumpJSON } from '../icao/dump.ts';
import {
  chipDigest,
  chipDumpSchema,
  chipPartsDigest,
  decodeDump,
  dumpIssueText,
  dumpParts,
} from '../icao/dump.ts';
import { toBase64Url } from '../lib/bytes.ts';
import type { PrivateKeyInput, SigningKey } from './keys.ts';
import { importSigningKey } from './keys.ts';

export const REQUEST_TYP = 'chipid-request+jwt' as const;
export const AUTH_TYP = 'chipid-auth+jwt' as const;
/** Longest lifetime the service accepts for a verification request (exp − iat). */
export const MAX_REQUEST_TTL_SECONDS = 300;
/** Longest lifetime the service accepts for an auth token (exp − iat). */
export const MAX_AUTH_TTL_SECONDS = 60;
export const MAX_PURPOSE_LENGTH = 200;

/**
 * A client id as the service registers them: the environment, `_`, then 3–64 of `A–Z a–z 0–9 _ -`
 * (the service's own check; an id outside it can never be registered).
 */
export const CLIENT_ID_PATTERN = /^(sandbox|live)_[A-Za-z0-9_-]{3,64}$/;
const CLAIMS: ReadonlySet<string> = new Set(CLAIM_NAMES);
/** What a scope entry that is no claim name may look like to be quoted back in the error. */
const QUOTABLE_SCOPE_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const ID_RE = /^[\x21-\x7e]{1,200}$/;
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
const METHOD_RE = /^[A-Z]{1,16}$/;

/** Common signing inputs. */
export interface SignBaseOptions {
  /** The relying party's client id (`sandbox_…` or `live_…`); becomes `iss`. */
  clientId: string;
  /** Private key: CryptoKey (then give `kid`), private JWK with `kid`, or an imported {@link SigningKey}. */
  privateKey: PrivateKeyInput | SigningKey;
  /** Overrides the key id (required with a bare CryptoKey). */
  kid?: string;
  /** The service base URL (`SERVICE_URL`, e.g. `http://127.0.0.1:8787`); becomes `aud`. */
  audience: string;
  /** Lifetime in seconds. */
  ttlSeconds?: number;
  /** Issue time (default: now). Lets tests build expired or future requests. */
  now?: Date;
  /** Token id (default: 16 random bytes, base64url). Lets tests build replays. */
  jti?: string;
}

/** Inputs of {@link signVerificationRequest}. */
export interface SignVerificationRequestOptions extends SignBaseOptions {
  /** The chip dump sent alongside; its digest is signed as `chip_digest`. */
  chip: ChipDumpJSON;
  /** Claim names the relying party asks for (e.g. `given_name`, `age_over_18`). */
  scope: readonly string[];
  /** Why the relying party verifies (shown in the audit log; ≤ 200 characters, no PII please). */
  purpose: string;
  /** The id of a challenge from `POST /v1/challenges` when the chip answered it (active authentication). */
  challengeId?: string;
  /**
   * How the dump travels, which decides what `chip_digest` covers: `json` (default) — the body
   * `{ request, chip }`, digest {@link chipDigest}; `multipart` — `multipart/form-data` with the members as
   * raw-byte parts ({@link verificationFormData}), digest {@link chipPartsDigest}.
   */
  transport?: 'json' | 'multipart';
}

/** Inputs of {@link signAuthToken}. */
export interface SignAuthTokenOptions extends SignBaseOptions {
  /** HTTP method of the request the token authorizes (`GET`, `POST`…); becomes `htm`. */
  method: string;
  /** Request path without query (e.g. `/v1/challenges`); becomes `htu`. */
  path: string;
}

/** Claims of a `chipid-request+jwt`. */
export interface VerificationRequestClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  purpose: string;
  scope: string[];
  chip_digest: string;
  challenge_id?: string;
}

/** Claims of a `chipid-auth+jwt`. */
export interface AuthTokenClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  htm: string;
  htu: string;
}

const invalid = (msg: string): ClientError => new ClientError('ERR_REQUEST_INVALID', msg);

/**
 * A fresh token id: 16 bytes from `crypto.getRandomValues`, base64url (22 characters).
 *
 * @example
 * randomJti(); // 'q3V0m1w2…'
 */
export function randomJti(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

function checkBase(o: SignBaseOptions, maxTtl: number, defaultTtl: number) {
  if (typeof o !== 'object' || o === null) throw invalid('request: options object required');
  if (typeof o.clientId !== 'string' || !CLIENT_ID_PATTERN.test(o.clientId))
    throw invalid('request: clientId must be sandbox_ or live_ and 3–64 of A–Z a–z 0–9 _ -');
  if (typeof o.audience !== 'string' || !isHttpUrl(o.audience))
    throw invalid('request: audience must be the service base URL (http or https)');
  const ttl = o.ttlSeconds ?? defaultTtl;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > maxTtl)
    throw invalid(`request: ttlSeconds must be an integer between 1 and ${maxTtl}`);
  const now = o.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw invalid('request: now must be a valid Date');
  if (o.jti !== undefined && (typeof o.jti !== 'string' || !ID_RE.test(o.jti)))
    throw invalid('request: jti must be 1–200 visible ASCII characters');
  const iat = Math.floor(now.getTime() / 1000);
  return { iat, exp: iat + ttl, jti: o.jti ?? randomJti() };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/**
 * Signs a verification request (`typ: chipid-request+jwt`) for `POST /v1/verifications`.
 *
 * The algorithm follows the key (ES256 for P-256, EdDSA for Ed25519) and `kid` the JWK's. The chip dump
 * is not embedded: its SHA-256 (`chip_digest`, see `chipDigest`) is, and the dump travels next to the
 * JWS in the body `{ request, chip }`.
 *
 * @throws ClientError `ERR_REQUEST_INVALID` (bad option, naming it), `ERR_DUMP_INVALID` (chip not a
 *   `chipid.dump/1`), `ERR_KEY_UNSUPPORTED` / `ERR_KEY_INVALID` (key).
 * @example
 * const request = await signVerificationRequest({
 *   clientId: 'sandbox_demo', privateKey: jwk, audience: 'http://127.0.0.1:8787',
 *   chip: dump, scope: ['given_name', 'age_over_18'], purpose: 'account opening',
 * });
 * await fetch(`${url}/v1/verifications`, { method: 'POST', body: JSON.stringify({ request, chip: dump }) });
 */
export async function signVerificationRequest(o: SignVerificationRequestOptions): Promise<string> {
  const base = checkBase(o, MAX_REQUEST_TTL_SECONDS, 120);
  const parsed = chipDumpSchema.safeParse(o.chip);
  if (!parsed.success) {
    throw new ClientError('ERR_DUMP_INVALID', `chip: ${dumpIssueText(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  if (!Array.isArray(o.scope)) throw invalid('request: scope must be an array of claim names');
  if (o.scope.length > 64) throw invalid('request: scope lists more than 64 claim names');
  for (const s of o.scope) {
    // A name the service does not know would drop out of the answer silently: a typo is refused here.
    if (typeof s !== 'string' || !CLAIMS.has(s))
      throw invalid(
        `request: scope entries are claim names (${CLAIM_NAMES.join(', ')})${typeof s === 'string' && QUOTABLE_SCOPE_RE.test(s) ? `; '${s}' is none` : ''}`,
      );
  }
  if (new Set(o.scope).size !== o.scope.length) throw invalid('request: scope lists a claim name twice');
  if (typeof o.purpose !== 'string' || o.purpose.trim().length === 0)
    throw invalid('request: purpose is required');
  if (o.purpose.length > MAX_PURPOSE_LENGTH)
    throw invalid(`request: purpose is longer than ${MAX_PURPOSE_LENGTH} characters`);
  if (CONTROL_RE.test(o.purpose)) throw invalid('request: purpose contains control characters');
  if (o.challengeId !== undefined && (typeof o.challengeId !== 'string' || !ID_RE.test(o.challengeId)))
    throw invalid('request: challengeId must be 1–200 visible ASCII characters');
  if (o.transport !== undefined && o.transport !== 'json' && o.transport !== 'multipart')
    throw invalid("request: transport must be 'json' or 'multipart'");

  const key = await importSigningKey(o.privateKey, o.kid);
  const claims: Omit<VerificationRequestClaims, 'iss' | 'aud' | 'iat' | 'exp' | 'jti'> = {
    purpose: o.purpose,
    scope: [...o.scope],
    chip_digest:
      o.transport === 'multipart' ? await chipPartsDigest(decodeDump(parsed.data)) : await chipDigest(o.chip),
  };
  if (o.challengeId !== undefined) claims.challenge_id = o.challengeId;
  return signRpJwt(o, base, key, REQUEST_TYP, { ...claims });
}

/**
 * The binary body of `POST /v1/verifications`: a `FormData` with the signed request (text part
 * `request`, signed with `transport: 'multipart'`) and one file part of raw bytes per dump member
 * (`sod`, `dg1`, `dg2`, …, `aa.challenge`, `aa.signature`). No base64 on the wire: a 150 KB face costs the
 * service its hashing and little else. `fetch` sets the `Content-Type` with its boundary.
 *
 * @throws ClientError `ERR_CONFIG` when the runtime has no `FormData`/`Blob` (React Native: use JSON).
 * @example
 * const request = await signVerificationRequest({ ...opts, chip: json, transport: 'multipart' });
 * await fetch(`${url}/v1/verifications`, { method: 'POST', body: verificationFormData(request, parseDump(json)) });
 */
export function verificationFormData(request: string, dump: ChipDump): FormData {
  if (typeof FormData !== 'function' || typeof Blob !== 'function')
    throw new ClientError(
      'ERR_CONFIG',
      'multipart bodies need FormData and Blob: send the JSON body instead',
    );
  const form = new FormData();
  form.append('request', request);
  for (const [name, bytes] of dumpParts(dump)) {
    let blob: Blob;
    try {
      blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
    } catch (cause) {
      // React Native has Blob, but not one made of bytes.
      throw new ClientError(
        'ERR_CONFIG',
        'this runtime cannot make a Blob of bytes: send the JSON body instead',
        {
          cause,
        },
      );
    }
    form.append(name, blob, name);
  }
  return form;
}

/**
 * A FormData as `fetch` would send it — bytes and `Content-Type` with its boundary —, encoded once: the
 * client's retries send the same bytes, and a caller's own `fetch` (another realm, a polyfill; Miniflare's
 * `dispatchFetch`) cannot mistake the FormData for text. Not in the package's public API.
 */
export async function encodeFormData(
  form: FormData,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; type: string }> {
  if (typeof Response !== 'function')
    throw new ClientError(
      'ERR_CONFIG',
      'multipart bodies need Response to encode them: send the JSON body instead',
    );
  const encoded = new Response(form);
  const type = encoded.headers.get('content-type');
  if (!type?.startsWith('multipart/form-data'))
    throw new ClientError('ERR_CONFIG', 'this runtime does not encode FormData: send the JSON body instead');
  return { bytes: new Uint8Array(await encoded.arrayBuffer()), type };
}

/** Signs `claims` as a `typ` JWS of the RP: kid and alg from its key, iss/aud/iat/exp/jti from `base`. */
function signRpJwt(
  o: SignBaseOptions,
  base: ReturnType<typeof checkBase>,
  key: Awaited<ReturnType<typeof importSigningKey>>,
  typ: string,
  claims: Record<string, unknown>,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ, kid: key.kid })
    .setIssuer(o.clientId)
    .setAudience(o.audience)
    .setIssuedAt(base.iat)
    .setExpirationTime(base.exp)
    .setJti(base.jti)
    .sign(key.key);
}

/**
 * Signs a short-lived `chipid-auth+jwt` for `Authorization: Bearer` on RP endpoints other than
 * `POST /v1/verifications` (e.g. `POST /v1/challenges`, `GET /v1/verifications/:id`).
 *
 * @throws ClientError `ERR_REQUEST_INVALID`, `ERR_KEY_UNSUPPORTED`, `ERR_KEY_INVALID`.
 * @example
 * const token = await signAuthToken({
 *   clientId, privateKey: jwk, audience: url, method: 'POST', path: '/v1/challenges',
 * });
 * await fetch(`${url}/v1/challenges`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
 */
export async function signAuthToken(o: SignAuthTokenOptions): Promise<string> {
  const base = checkBase(o, MAX_AUTH_TTL_SECONDS, MAX_AUTH_TTL_SECONDS);
  if (typeof o.method !== 'string' || !METHOD_RE.test(o.method.toUpperCase()))
    throw invalid('request: method must be an HTTP method name');
  if (typeof o.path !== 'string' || !o.path.startsWith('/') || /[?#\s]/.test(o.path) || o.path.length > 2048)
    throw invalid('request: path must be an absolute request path without query or fragment');
  const key = await importSigningKey(o.privateKey, o.kid);
  return signRpJwt(o, base, key, AUTH_TYP, { htm: o.method.toUpperCase(), htu: o.path });
}
