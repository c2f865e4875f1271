/**
 * Relying-party authentication — a compact JWS signed with one of the client's registered keys,
 * validated by the rules of RFC 8725 (JWT BCP): an algorithm allow-list (ES256, EdDSA — never `none`
 * or HS*; the algorithm must also fit the registered key), explicit `typ` per token kind (§3.11),
 * `aud` = SERVICE_URL (§3.9), `iss` = a known active client whose key is chosen by `kid` among its
 * registered JWKs — never from the token's `jwk`/`jku`/`x5u`/`x5c` headers —, `iat`/`exp` within a
 * small clock skew and a bounded lifetime, and `jti` used once (RFC 7519 §4.1.7).
 *
 * Two token kinds (SERVICE-CONTRACT.md): `chipid-request+jwt` inside the body of
 * `POST /v1/verifications` (lifetime ≤ 300 s) and `chipid-auth+jwt` as `Authorization: Bearer` on
 * every other RP endpoint (lifetime ≤ 60 s, bound to the call by `htm`/`htu`).
 *
 * Replays answer 409 `ERR_REQUEST_REPLAYED` (the token was valid, the request is a duplicate), every
 * other token failure 401 `ERR_UNAUTHORIZED` with `WWW-Authenticate`; a disabled client whose
 * signature verifies gets 403 `ERR_FORBIDDEN`.
 */
import { createMiddleware } from 'hono/factory';
import {
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type CryptoKey as JoseKey,
  type JWK,
  jwtVerify,
} from 'jose';
import type { AppEnv, RpAuth } from '../app-env.ts';
import { type Bindings, CLIENT_ID_PATTERN, envOfClientId } from '../env.ts';
import { ApiError } from '../problems.ts';
import { type ClientKey, type ClientRecord, countClientRequest, getClient } from '../store/clients.ts';
import { type StoreContext, storeFor } from '../store/db.ts';
import { consumeJti } from '../store/requests.ts';
import { schemaMismatch } from '../validation.ts';
import { mediaTypeOf, readParts, readPartsBody } from '../verify/parts.ts';
import { rateLimitHeaders, rateWindowOf } from './rate-limit.ts';

/** Accepted JWS algorithms (RFC 8725 §3.1): asymmetric only. */
export const RP_ALGORITHMS = ['ES256', 'EdDSA'] as const;
/** Tolerated clock difference between RP and service. */
export const CLOCK_SKEW_SECONDS = 30;

/**
 * Per token kind: `typ`, longest lifetime (s), and longest compact JWS read at all — an RP token is
 * well under 2 KB (the chip travels beside the request token, not in it). A signed request token up to
 * 64 KiB is read so the body schema can answer its own limit (16 KiB, 400 with a pointer).
 */
export const TOKEN_KINDS = {
  request: { typ: 'chipid-request+jwt', maxLifetime: 300, maxLength: 65_536 },
  auth: { typ: 'chipid-auth+jwt', maxLifetime: 60, maxLength: 8192 },
} as const;
export type TokenKind = keyof typeof TOKEN_KINDS;

const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/** The 401 every token failure gets (the detail names the rule, never token contents). */
export function unauthorized(detail: string): ApiError {
  return new ApiError('ERR_UNAUTHORIZED', detail, {
    headers: { 'WWW-Authenticate': 'Bearer realm="chipid", error="invalid_token"' },
  });
}

/** Algorithm that fits a registered public JWK (ES256 for EC P-256, EdDSA for OKP Ed25519). */
export function algForJwk(jwk: JWK): (typeof RP_ALGORITHMS)[number] | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

const keyCache = new Map<string, Promise<JoseKey | Uint8Array>>();

function importKey(clientId: string, k: ClientKey, alg: string): Promise<JoseKey | Uint8Array> {
  const cacheKey = `${clientId}|${k.kid}|${JSON.stringify(k.jwk)}|${alg}`;
  let p = keyCache.get(cacheKey);
  if (!p) {
    const { kid: _kid, alg: _alg, use: _use, key_ops: _ops, ...pub } = k.jwk;
    p = importJWK(pub, alg);
    keyCache.set(cacheKey, p);
    p.catch(() => keyCache.delete(cacheKey));
  }
  return p;
}

/**
 * Clients as this isolate last read them (by table and client id), at most {@link CLIENT_CACHE_SIZE}.
 * A cached client saves the read before the signature check; it never decides a request: every
 * request that verifies is counted with {@link countClientRequest}, which answers the client as it is
 * now, and a client that changed meanwhile is checked again against that answer.
 */
const clientCache = new Map<string, { record: ClientRecord; fingerprint: string }>();
const CLIENT_CACHE_SIZE = 1000;

/** What of a client decides a token: status, scope, keys. */
const fingerprint = (c: ClientRecord): string => JSON.stringify([c.status, c.scope, c.keys]);

/**
 * Reads of a client on behalf of a token the cache could not accept (an unknown client, a new key, a
 * bad signature), shared for {@link CLIENT_REREAD_MS}: concurrent and following refused tokens are
 * checked against the same read — at most one read a second per client id and isolate, however many
 * forged tokens name it — and a key registered more than that ago is always seen.
 */
const clientReads = new Map<string, { at: number; read: Promise<ClientRecord | undefined> }>();
const CLIENT_REREAD_MS = 1_000;

function readClient(
  store: StoreContext,
  cacheKey: string,
  clientId: string,
): Promise<ClientRecord | undefined> {
  const now = Date.now();
  const recent = clientReads.get(cacheKey);
  if (recent && now - recent.at < CLIENT_REREAD_MS) return recent.read;
  const read = getClient(store, clientId);
  clientReads.delete(cacheKey);
  clientReads.set(cacheKey, { at: now, read });
  if (clientReads.size > CLIENT_CACHE_SIZE) clientReads.delete(clientReads.keys().next().value!);
  read.catch(() => {
    if (clientReads.get(cacheKey)?.read === read) clientReads.delete(cacheKey); // a failed read (503) is not shared
  });
  return read;
}

function rememberClient(cacheKey: string, record: ClientRecord) {
  const entry = { record, fingerprint: fingerprint(record) };
  clientCache.delete(cacheKey); // re-inserted last: the oldest entry is the first to go
  clientCache.set(cacheKey, entry);
  if (clientCache.size > CLIENT_CACHE_SIZE) clientCache.delete(clientCache.keys().next().value!);
  return entry;
}

/** Options of one token verification. */
export interface VerifyTokenOptions {
  kind: TokenKind;
  /** `htm`/`htu` to enforce (auth tokens). */
  binding?: { method: string; path: string };
  now?: number;
}

function typMatches(typ: unknown, expected: string): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === expected || t === `application/${expected}`;
}

function htuMatches(htu: unknown, path: string, serviceUrl: string): boolean {
  if (typeof htu !== 'string') return false;
  if (htu === path) return true;
  try {
    const u = new URL(htu);
    const base = new URL(serviceUrl);
    return u.origin === base.origin && u.pathname === path && u.search === '' && u.hash === '';
  } catch {
    return false;
  }
}

/**
 * Verifies an RP token (signature and claims, not `jti` use), loads the client and counts the request
 * in the client's rate window (the rate-limit middleware decides on the count).
 *
 * @throws ApiError 401 / 403 / 503
 * @example
 * const auth = await verifyRpToken(env, jws, { kind: 'request' });
 */
export async function verifyRpToken(env: Bindings, token: string, opts: VerifyTokenOptions): Promise<RpAuth> {
  return decideRpToken(env, await checkRpToken(env, token, opts));
}

/**
 * A token whose signature and claims verified against the client as this isolate last saw it (or as
 * just read): not yet counted, not yet decided — {@link decideRpToken} does both.
 */
export interface CheckedRpToken {
  readonly token: string;
  readonly kind: (typeof TOKEN_KINDS)[TokenKind];
  readonly opts: VerifyTokenOptions;
  readonly now: number;
  readonly env: RpAuth['env'];
  readonly store: RpAuth['store'];
  readonly cacheKey: string;
  readonly iss: string;
  readonly kid: string;
  readonly alg: string;
  /** The client record the signature verified against. */
  readonly seen: { record: ClientRecord; fingerprint: string };
  readonly claims: Record<string, unknown>;
}

/**
 * The token's checks that need no write: header rules, then signature and claims against the cached
 * client (a refusal is checked again against a fresh read) or a fresh read.
 *
 * @throws ApiError 401 / 503
 */
export async function checkRpToken(
  env: Bindings,
  token: string,
  opts: VerifyTokenOptions,
): Promise<CheckedRpToken> {
  const kind = TOKEN_KINDS[opts.kind];
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (typeof token !== 'string' || token.split('.').length !== 3)
    throw unauthorized('token is not a compact JWS');
  if (token.length > kind.maxLength) throw unauthorized('token too long');

  let header: Record<string, unknown>;
  let unverified: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
    unverified = decodeJwt(token) as Record<string, unknown>;
  } catch {
    throw unauthorized('token is not a well-formed JWT');
  }
  if (!(RP_ALGORITHMS as readonly unknown[]).includes(header.alg))
    throw unauthorized('token algorithm not allowed');
  if (!typMatches(header.typ, kind.typ)) throw unauthorized(`token typ must be ${kind.typ}`);
  if (typeof header.kid !== 'string' || header.kid.length === 0) throw unauthorized('token kid missing');
  for (const h of FORBIDDEN_HEADERS) if (h in header) throw unauthorized(`token header ${h} not accepted`);

  const iss = unverified.iss;
  // Only a well-formed client id reaches the store (an unsigned token can name anything).
  const which = typeof iss === 'string' && CLIENT_ID_PATTERN.test(iss) ? envOfClientId(iss) : undefined;
  if (typeof iss !== 'string' || !which) throw unauthorized('token issuer unknown');
  const store = storeFor(env, which);
  const cacheKey = `${store.table}\u0000${iss}`;
  const kid = header.kid;
  const alg = header.alg as string;

  // The client as this isolate last saw it may only shortcut a success: a token it refuses (or that
  // names a key it does not know) is checked against the client as read now (or within the last
  // second, `readClient`) — unless that read shows the same client, which would refuse it the same way.
  let seen = clientCache.get(cacheKey);
  let refused: unknown;
  let claims =
    seen &&
    (await checkToken(env, token, { kid, alg }, seen.record, kind, opts, now).catch((e: unknown) => {
      refused = e;
      return undefined;
    }));
  if (!claims) {
    const record = await readClient(store, cacheKey, iss);
    const before = seen;
    seen = record && rememberClient(cacheKey, record);
    if (refused && before && seen?.fingerprint === before.fingerprint) throw refused;
    claims = await checkToken(env, token, { kid, alg }, record, kind, opts, now);
  }
  // checkToken refuses a missing client, so a verified token always has the record it verified on.
  if (!seen) throw unauthorized('token issuer or key unknown');
  return { token, kind, opts, now, env: which, store, cacheKey, iss, kid, alg, seen, claims };
}

/**
 * Counts a checked token's request and reads the client as it is now, in one round trip, and decides
 * on that record: a client changed since the check is checked again, a disabled one refused.
 *
 * @throws ApiError 401 / 403 / 503
 */
export async function decideRpToken(env: Bindings, t: CheckedRpToken): Promise<RpAuth> {
  const window = rateWindowOf(t.now);
  // A copy of the client item picked at random (clients.ts): a large client's counts spread over them.
  const shards = t.seen.record.shards ?? 1;
  const counted = await countClientRequest(t.store, t.iss, window, Math.floor(Math.random() * shards));
  if (!counted) {
    clientCache.delete(t.cacheKey);
    throw unauthorized('token issuer or key unknown');
  }
  // A newer record than any shared read: the next refused token reads again (a key registered since
  // is seen at once).
  clientReads.delete(t.cacheKey);
  const fresh = rememberClient(t.cacheKey, counted.record);
  let claims = t.claims;
  if (fresh.fingerprint !== t.seen.fingerprint) {
    claims = await checkToken(env, t.token, { kid: t.kid, alg: t.alg }, fresh.record, t.kind, t.opts, t.now);
  }
  // Only now, with a verified signature, may the answer tell a disabled client apart.
  if (fresh.record.status !== 'active') throw new ApiError('ERR_FORBIDDEN', 'client disabled');
  return {
    ...provisionalAuth(t, fresh.record, claims),
    rate: { window, count: counted.count, shard: counted.shard },
  };
}

/** The RpAuth of a checked token before it is decided: the client as the signature verified on it. */
function provisionalAuth(
  t: CheckedRpToken,
  client: ClientRecord = t.seen.record,
  claims: Record<string, unknown> = t.claims,
): RpAuth {
  return {
    clientId: client.clientId,
    env: t.env,
    client,
    store: t.store,
    kid: t.kid,
    jti: claims.jti as string,
    iat: claims.iat as number,
    exp: claims.exp as number,
    claims,
    token: t.token,
  };
}

/**
 * What a wrong `aud` is told: the one audience this deployment accepts (public: /openapi.json's
 * server URL) and the usual cause — a client that signs the URL it connects to (localhost vs
 * 127.0.0.1, a proxy, a tunnel, a Docker port) instead of the service's own URL.
 */
export function audienceHint(serviceUrl: string): string {
  return (
    `token aud must be exactly "${serviceUrl}" (this service's URL, as in /openapi.json servers[0]); ` +
    'sign that value even when you reach the service through another address (proxy, tunnel, Docker, localhost) ' +
    "— the SDK client's serviceUrl option, the CLI's --service-url"
  );
}

/**
 * The token's signature and claims against `client`'s key `kid` (RFC 8725 rules); the verified
 * claims.
 *
 * @throws ApiError 401
 */
async function checkToken(
  env: Bindings,
  token: string,
  header: { kid: string; alg: string },
  client: ClientRecord | undefined,
  kind: (typeof TOKEN_KINDS)[TokenKind],
  opts: VerifyTokenOptions,
  now: number,
): Promise<Record<string, unknown>> {
  const key = client?.keys.find((k) => k.kid === header.kid);
  if (!client || !key) throw unauthorized('token issuer or key unknown');
  if (key.status !== 'active') throw unauthorized('token key disabled');
  const alg = algForJwk(key.jwk);
  if (!alg || alg !== header.alg) throw unauthorized('token algorithm does not fit the registered key');

  let claims: Record<string, unknown>;
  try {
    const publicKey = await importKey(client.clientId, key, alg);
    const r = await jwtVerify(token, publicKey, {
      algorithms: [alg],
      typ: kind.typ,
      audience: env.SERVICE_URL,
      issuer: client.clientId,
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
      currentDate: new Date(now * 1000),
    });
    claims = r.payload as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') throw unauthorized('token expired');
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw unauthorized('token signature invalid');
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      const claim = (e as { claim?: string }).claim ?? 'claim';
      // The expected audience is public (it is /openapi.json's server URL): say it, since a proxy,
      // a tunnel, Docker or localhost-vs-127.0.0.1 is the usual cause.
      if (claim === 'aud') throw unauthorized(audienceHint(env.SERVICE_URL));
      throw unauthorized(`token ${claim} claim invalid`);
    }
    throw unauthorized('token invalid');
  }
  // Mutually exclusive, explicit checks (RFC 8725 §3.12) beyond what jwtVerify enforces.
  const iat = claims.iat as number;
  const exp = claims.exp as number;
  const jti = claims.jti;
  if (!Number.isInteger(iat) || !Number.isInteger(exp)) throw unauthorized('token iat/exp must be integers');
  if (iat > now + CLOCK_SKEW_SECONDS) throw unauthorized('token iat is in the future');
  if (exp <= iat || exp - iat > kind.maxLifetime)
    throw unauthorized(`token lifetime must be within ${kind.maxLifetime} s`);
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 128)
    throw unauthorized('token jti must be 8–128 characters');
  if (claims.aud !== env.SERVICE_URL && !(Array.isArray(claims.aud) && claims.aud.length === 1)) {
    throw unauthorized(audienceHint(env.SERVICE_URL));
  }
  if (opts.binding) {
    if (claims.htm !== opts.binding.method) throw unauthorized('token htm does not match the request method');
    if (!htuMatches(claims.htu, opts.binding.path, env.SERVICE_URL))
      throw unauthorized('token htu does not match the request path');
  }
  return claims;
}

/** Error thrown when a `jti` was seen before. */
export function replayed(): ApiError {
  return new ApiError('ERR_REQUEST_REPLAYED', 'this request token (jti) was already used');
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * `Authorization: Bearer <chipid-auth+jwt>` on RP endpoints. On safe methods the `jti` is consumed
 * here; on POSTs the handler consumes it in the same transaction as its own writes (so a failed write
 * leaves the request retryable).
 */
export const bearerAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('Authorization'));
  if (!token) throw unauthorized('missing Bearer token');
  const auth = await verifyRpToken(c.env, token, {
    kind: 'auth',
    binding: { method: c.req.method, path: new URL(c.req.url).pathname },
  });
  c.set('auth', auth);
  if (c.req.method === 'GET' || c.req.method === 'HEAD') {
    if (!(await consumeJti(auth.store, auth.clientId, auth.jti, auth.exp))) throw replayed();
  }
  await next();
});

/**
 * Reads the body once (text) and parses it as JSON: malformed ⇒ 400 `ERR_MALFORMED_JSON`. Later
 * readers of `c.req.json()` (the route's zod validator) get this parse instead of a second one — a
 * verification body carries a 20–200 KB face.
 */
export async function readJsonBody(c: import('hono').Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  c.set('bodyText', text);
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('ERR_MALFORMED_JSON', 'the request body is not valid JSON');
  }
  c.req.json = () => Promise.resolve(parsed as never);
  return parsed;
}

/**
 * `POST /v1/verifications`: the `chipid-request+jwt` lives in the body's `request` member. The token is
 * checked here; counting the request (which reads the client as it is now, and decides the rate limit)
 * runs while the handler reads what the checks need — one store round trip fewer in a row. `auth` is the
 * client the signature verified on until `authDecided` settles: with the decided auth and the rate-limit
 * headers, or with the 401 / 403 / 429. The handler answers and writes nothing before it has settled.
 */
export const requestAuth = createMiddleware<AppEnv>(async (c, next) => {
  let token: unknown;
  let multipart: Awaited<ReturnType<typeof readPartsBody>> | undefined;
  const contentType = c.req.header('content-type');
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === 'multipart/form-data') {
    multipart = await readPartsBody(contentType as string, () => c.req.arrayBuffer());
    token = multipart.token;
    const aboutRequest = multipart.errors.filter((e) => e.pointer === '/request');
    if (token === undefined && aboutRequest.length) throw schemaMismatch(aboutRequest);
  } else if (mediaType.startsWith('multipart/')) {
    throw new ApiError('ERR_UNSUPPORTED_MEDIA_TYPE', 'a multipart body is multipart/form-data');
  } else if (!/^application\/(?:[a-z0-9.-]+\+)?json$/.test(mediaType)) {
    // Before reading anything: a JSON text sent as text/plain (or with no Content-Type) is refused
    // the same way whatever it holds, not judged as JSON first.
    throw new ApiError(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      'the body is application/json (or multipart/form-data, the binary body)',
    );
  } else {
    const body = await readJsonBody(c);
    token = (body as { request?: unknown } | undefined)?.request;
  }
  if (typeof token !== 'string') {
    throw new ApiError('ERR_VALIDATION', 'the body must carry the signed request', {
      errors: [{ pointer: '/request', detail: 'required: compact JWS (chipid-request+jwt)' }],
    });
  }
  const checked = await checkRpToken(c.env, token, { kind: 'request' });
  const decided = decideRpToken(c.env, checked).then((auth) => ({
    auth,
    headers: rateLimitHeaders(c.env, auth),
  }));
  decided.catch(() => {}); // awaited by the handler (or the idempotency middleware); never unobserved
  c.set('auth', provisionalAuth(checked));
  c.set('authDecided', decided);
  if (multipart) {
    // As for a JSON body: the parts are judged once the token is known good (the route's schema runs
    // after this middleware), then read and hashed while the client is counted. A retry's fingerprint
    // is the token and the parts' digest (a multipart boundary differs on every send).
    if (multipart.errors.length) {
      await decided; // a refused client (403 / 429) hears that first, as with a JSON body (newApp's hook)
      throw schemaMismatch(multipart.errors);
    }
    const parts = await readParts(multipart.files);
    c.set('chipParts', parts);
    c.set('bodyText', `multipart/form-data\n${token}\n${parts.digest}`);
  }
  await next();
});
