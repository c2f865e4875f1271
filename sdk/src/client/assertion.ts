/**
 * Identity assertion verification — RFC 7519 (JWT), RFC 8725 (explicit `typ`, algorithm allow-list,
 * issuer and audience checks), RFC 7517 (JWKS), OpenID Identity Assurance 1.0 (`verified_claims`).
 *
 * Usable on its own by a relying party's backend (no client, no private key needed).
 */

import type { JSONWebKeySet, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify } from 'jose';
import { requireSubtle } from '../crypto/webcrypto.ts';
import { ClientError } from '../errors.ts';
import { equalBytes, fromBase64 } from '../lib/bytes.ts';
import * as z from '../lib/zod.ts';
import type { FetchLike } from './http.ts';
import type { AssertionClaims } from './types.ts';

export const ASSERTION_TYP = 'chipid-assertion+jwt' as const;
/** The only algorithm the service signs assertions with. */
export const ASSERTION_ALGORITHMS = ['ES256'] as const;

/** Where the service keys come from: a key resolver (jose), a JWKS document, or its URL. */
export type JWKSInput = JWTVerifyGetKey | JSONWebKeySet | URL | string;

/**
 * The issuer of a client's assertions (DESIGN.md "Environments": each environment its own issuer and
 * keys): the service URL for a `live_…` client, the service URL + `/sandbox` for a `sandbox_…` one.
 * Its keys are at `<issuer>/.well-known/jwks.json` and list that environment's keys only.
 *
 * @throws ClientError `ERR_CONFIG` for a client id of neither environment or a malformed service URL
 * @example
 * assertionIssuer('https://api.chipid.dev', 'sandbox_acme'); // 'https://api.chipid.dev/sandbox'
 * assertionIssuer('https://api.chipid.dev', 'live_acme');    // 'https://api.chipid.dev'
 */
export function assertionIssuer(serviceUrl: string, clientId: string): string {
  const env = environmentOf(clientId);
  if (!env) throw new ClientError('ERR_CONFIG', 'audience: a client id starts with sandbox_ or live_');
  let u: URL;
  try {
    u = new URL(serviceUrl);
  } catch (cause) {
    throw new ClientError('ERR_CONFIG', 'service: not a valid URL', { cause });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new ClientError('ERR_CONFIG', 'service: expected an http(s) URL');
  const base = serviceUrl.replace(/\/+$/, '');
  if (base.endsWith(SANDBOX_PATH))
    throw new ClientError('ERR_CONFIG', 'service: give the service URL, not its /sandbox issuer');
  return env === 'sandbox' ? `${base}${SANDBOX_PATH}` : base;
}

/** The path that makes the sandbox issuer of a service URL. */
const SANDBOX_PATH = '/sandbox';

/** `sandbox_…` → sandbox, `live_…` → live, else undefined. */
function environmentOf(clientId: string): 'sandbox' | 'live' | undefined {
  return clientId.startsWith('sandbox_') ? 'sandbox' : clientId.startsWith('live_') ? 'live' : undefined;
}

/** Inputs of {@link verifyAssertion}. */
export interface VerifyAssertionOptions {
  /**
   * The service URL (`SERVICE_URL`), e.g. `https://api.chipid.dev`: the issuer and key set of your
   * client's environment are derived from it and `audience` ({@link assertionIssuer}). Give this or
   * `issuer`.
   */
  service?: string;
  /**
   * The expected `iss` itself: the service URL for a `live_…` audience, the service URL + `/sandbox`
   * for a `sandbox_…` one. A `/sandbox` issuer for a `live_…` audience is a configuration error, so a
   * live client can never be pointed at the sandbox issuer.
   */
  issuer?: string;
  /** Your client id; must be in `aud`. Its prefix (`sandbox_` / `live_`) names the environment. */
  audience: string;
  /**
   * The service keys: `createRemoteJWKSet(…)`, a `{ keys: [...] }` document, or the JWKS URL. Default:
   * `<issuer>/.well-known/jwks.json` (cached, {@link remoteJWKS}) — the environment's own keys.
   */
  jwks?: JWKSInput;
  /** Refuse assertions issued longer ago than this (seconds; uses `iat`). */
  maxAgeSeconds?: number;
  /** Clock skew allowed on `exp`/`iat`/`nbf` (seconds, default 5). */
  clockToleranceSeconds?: number;
  /** Reference time (default: now). */
  currentDate?: Date;
  /** fetch used when `jwks` is a URL (default: the global fetch). */
  fetch?: FetchLike;
  /** Timeout of a JWKS fetch when `jwks` is a URL (ms, default 5000). */
  timeoutMs?: number;
  /**
   * The portrait that came with the assertion (the answer's `portrait`, decoded): its SHA-256 must be
   * the digest of the assertion's `portrait` attachment, and the assertion must be `verified`.
   */
  portrait?: Uint8Array;
}

/** `desc` of the portrait attachment in the assertion's document evidence. */
export const PORTRAIT_ATTACHMENT = 'portrait' as const;

/**
 * The portrait attachment reference of an assertion's claims (`evidence[].attachments[]` with
 * `desc: 'portrait'`), or undefined.
 */
export function portraitAttachment(
  claims: AssertionClaims,
): { content_type?: string; digest: { alg: string; value: string } } | undefined {
  for (const ev of claims.verified_claims?.verification.evidence ?? [])
    for (const a of ev.attachments ?? [])
      if (a.desc === PORTRAIT_ATTACHMENT && a.digest && typeof a.digest.value === 'string')
        return {
          ...(typeof a.content_type === 'string' ? { content_type: a.content_type } : {}),
          digest: a.digest,
        };
  return undefined;
}

/** Whether `image` is the portrait an assertion's claims were signed over (SHA-256, constant shape). */
async function portraitMatches(claims: AssertionClaims, image: Uint8Array): Promise<string | undefined> {
  const ref = portraitAttachment(claims);
  if (!ref) return 'carries no portrait digest';
  if (claims.result !== 'verified') return 'is not verified, so no portrait belongs to it';
  if (ref.digest.alg !== 'sha-256') return 'names a portrait digest algorithm other than sha-256';
  if (ref.content_type !== undefined && ref.content_type !== 'image/jpeg')
    return 'names another portrait type';
  const d = new Uint8Array(
    await requireSubtle('checking a portrait').digest('SHA-256', image as Uint8Array<ArrayBuffer>),
  );
  let expected: Uint8Array;
  try {
    expected = fromBase64(ref.digest.value);
  } catch {
    return 'carries a malformed portrait digest';
  }
  if (!equalBytes(d, expected)) return 'was not issued for this portrait (SHA-256 differs)';
  return undefined;
}

const claimsSchema = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  sub: z.string().min(1).optional(),
  iat: z.number(),
  exp: z.number(),
  jti: z.string().min(1),
  txn: z.string().min(1),
  result: z.enum(['verified', 'rejected', 'inconclusive']),
  reasons: z.array(z.string()),
  verified_claims: z
    .looseObject({
      verification: z.looseObject({
        trust_framework: z.string(),
        evidence: z.array(z.looseObject({ type: z.string() })),
      }),
      claims: z.looseObject({ age_over_18: z.boolean().optional() }),
    })
    .optional(),
});

/** Remote key sets by URL, so repeated verifications reuse one cache (jose refetches on unknown kid). */
const remoteSets = new Map<string, JWTVerifyGetKey>();
const MAX_REMOTE_SETS = 16;

/**
 * A cached remote JWKS resolver for the service (`<url>/.well-known/jwks.json`): keys are cached for
 * 10 minutes, refetched when an assertion names an unknown `kid` (at most every 30 s).
 *
 * @example
 * const jwks = remoteJWKS('https://api.chipid.dev/.well-known/jwks.json');
 * await verifyAssertion(jwt, { service: 'https://api.chipid.dev', audience: 'live_acme', jwks });
 */
export function remoteJWKS(
  url: string | URL,
  opts: { fetch?: FetchLike; timeoutMs?: number } = {},
): JWTVerifyGetKey {
  const href = typeof url === 'string' ? url : url.href;
  const cacheable = opts.fetch === undefined && opts.timeoutMs === undefined;
  const hit = cacheable ? remoteSets.get(href) : undefined;
  if (hit) return hit;
  let u: URL;
  try {
    u = new URL(href);
  } catch (cause) {
    throw new ClientError('ERR_CONFIG', 'jwks: not a valid URL', { cause });
  }
  const f = opts.fetch;
  const set = createRemoteJWKSet(u, {
    timeoutDuration: opts.timeoutMs ?? 5000,
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
    ...(f ? { [customFetch]: (input: string, init: RequestInit) => f(input, init) } : {}),
  });
  if (cacheable) {
    if (remoteSets.size >= MAX_REMOTE_SETS) remoteSets.delete(remoteSets.keys().next().value as string);
    remoteSets.set(href, set);
  }
  return set;
}

function resolveJWKS(j: JWKSInput, o: VerifyAssertionOptions): JWTVerifyGetKey {
  if (typeof j === 'function') return j;
  if (typeof j === 'string' || j instanceof URL) {
    const r: { fetch?: FetchLike; timeoutMs?: number } = {};
    if (o.fetch) r.fetch = o.fetch;
    if (o.timeoutMs !== undefined) r.timeoutMs = o.timeoutMs;
    return remoteJWKS(j, r);
  }
  if (j && typeof j === 'object' && Array.isArray((j as JSONWebKeySet).keys)) {
    try {
      return createLocalJWKSet(j as JSONWebKeySet);
    } catch (cause) {
      throw new ClientError('ERR_CONFIG', 'jwks: not a valid JSON Web Key Set', { cause });
    }
  }
  throw new ClientError('ERR_CONFIG', 'jwks: expected a key resolver, a { keys } document or a URL');
}

const invalid = (msg: string, cause?: unknown): ClientError =>
  new ClientError('ERR_ASSERTION_INVALID', `assertion: ${msg}`, cause === undefined ? undefined : { cause });

/** Maps jose failures to stable codes: "we could not check" (network) apart from "this is invalid". */
function mapJoseError(e: unknown): ClientError {
  if (e instanceof ClientError) return e;
  if (e instanceof joseErrors.JWKSTimeout)
    return new ClientError('ERR_NETWORK', 'jwks: fetch timed out', { cause: e });
  if (e instanceof joseErrors.JWKSInvalid)
    return new ClientError('ERR_HTTP', 'jwks: the service answered an invalid key set', { cause: e });
  if (e instanceof joseErrors.JWTExpired)
    return e.claim === 'iat'
      ? invalid('older than maxAgeSeconds (its "iat")', e)
      : invalid('expired ("exp" passed)', e);
  if (e instanceof joseErrors.JWTClaimValidationFailed)
    return invalid(
      e.claim === 'iss'
        ? `claim check failed: ${e.message} (live assertions come from the service URL, sandbox ones from <service URL>/sandbox)`
        : `claim check failed: ${e.message}`,
      e,
    );
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return invalid('algorithm not allowed (only ES256)', e);
  if (e instanceof joseErrors.JWKSNoMatchingKey) return invalid('no service key matches its "kid"', e);
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return invalid('signature does not verify', e);
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid)
    return invalid(`malformed (${e.message})`, e);
  if (e instanceof joseErrors.JOSENotSupported) return invalid(`unsupported (${e.message})`, e);
  if (e instanceof joseErrors.JOSEError) {
    // createRemoteJWKSet reports non-200 JWKS answers as a generic JOSEError.
    if (/JSON Web Key Set/i.test(e.message))
      return new ClientError('ERR_HTTP', `jwks: ${e.message}`, { cause: e });
    return invalid(e.message, e);
  }
  // fetch() failures surface as TypeError / DOMException from the JWKS fetch.
  return new ClientError('ERR_NETWORK', 'jwks: the key set could not be fetched', { cause: e });
}

/**
 * Verifies a chipid identity assertion and returns its typed claims.
 *
 * Checks: compact JWS signed with ES256 only (no `none`, no HS*), header `typ` =
 * `chipid-assertion+jwt`, key chosen by `kid` from the environment's JWKS, `iss` = the environment's
 * issuer (`service` URL for `live_…` audiences, `service` + `/sandbox` for `sandbox_…` ones — so a
 * sandbox assertion never verifies for a live client: another issuer, other keys), `aud` contains
 * `audience`, `exp` in the future and `iat` present (± `clockToleranceSeconds`), optional
 * `maxAgeSeconds`, the claim set's shape (`txn`, `result`, `reasons`, `verified_claims`), and
 * `trust_framework` / `env` naming the audience's environment.
 *
 * @throws ClientError `ERR_ASSERTION_INVALID` (any check failed, message names which),
 *   `ERR_NETWORK` / `ERR_HTTP` (the JWKS could not be fetched), `ERR_CONFIG` (bad `jwks` option).
 * @example
 * const claims = await verifyAssertion(assertion, {
 *   service: 'https://api.chipid.dev', audience: 'live_acme', // iss and JWKS of the live environment
 * });
 * if (claims.result === 'verified') console.log(claims.verified_claims?.claims.age_over_18);
 */
export async function verifyAssertion(jwt: string, o: VerifyAssertionOptions): Promise<AssertionClaims> {
  if (typeof jwt !== 'string' || jwt.length === 0 || jwt.length > 65_536)
    throw invalid('expected a compact JWT string (≤ 64 KiB)');
  if (typeof o?.audience !== 'string' || o.audience.length === 0)
    throw new ClientError('ERR_CONFIG', 'audience is required');
  const issuer = expectedIssuer(o);
  requireSubtle('checking an assertion');
  const getKey = resolveJWKS(o.jwks ?? `${issuer}/.well-known/jwks.json`, o);
  const options: JWTVerifyOptions = {
    issuer,
    audience: o.audience,
    typ: ASSERTION_TYP,
    algorithms: [...ASSERTION_ALGORITHMS],
    requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
    clockTolerance: o.clockToleranceSeconds ?? 5,
  };
  if (o.maxAgeSeconds !== undefined) options.maxTokenAge = o.maxAgeSeconds;
  if (o.currentDate !== undefined) options.currentDate = o.currentDate;
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(jwt, getKey, options));
  } catch (e) {
    throw mapJoseError(e);
  }
  const r = claimsSchema.safeParse(payload);
  if (!r.success) {
    const where = r.error.issues[0]?.path.join('.') || '(root)';
    throw invalid(`claim ${where} is missing or malformed`, r.error);
  }
  // Each environment has its own issuer and keys, so the checks above already keep a sandbox assertion
  // out of a live client. The claims must say the same world as the audience too (defence in depth).
  const env = environmentOf(o.audience);
  const framework = r.data.verified_claims?.verification.trust_framework;
  const expected = env === 'live' ? 'chipid' : env === 'sandbox' ? 'chipid_sandbox' : undefined;
  if (expected && framework !== undefined && framework !== expected)
    throw invalid(
      `trust_framework ${framework === 'chipid_sandbox' ? 'is the sandbox' : 'does not match'} for a ${expected === 'chipid' ? 'live' : 'sandbox'} client`,
    );
  const claimedEnv = (r.data as { env?: unknown }).env;
  if (env && claimedEnv !== undefined && claimedEnv !== env)
    throw invalid(`env is ${String(claimedEnv).slice(0, 16)} for a ${env} client`);
  const claims = r.data as AssertionClaims;
  if (o.portrait !== undefined) {
    if (!(o.portrait instanceof Uint8Array))
      throw new ClientError('ERR_CONFIG', 'portrait must be a Uint8Array');
    const why = await portraitMatches(claims, o.portrait);
    if (why) throw invalid(why);
  }
  return claims;
}

/**
 * The issuer to require: derived from `service` and the audience, or `issuer` as given — refused when
 * a live audience is given the sandbox's (a `/sandbox` issuer, or the sandbox JWKS URL). A sandbox
 * audience given the live issuer needs no such guard: its assertions then simply fail (`iss`).
 */
function expectedIssuer(o: VerifyAssertionOptions): string {
  const env = environmentOf(o.audience);
  if (o.service !== undefined && o.issuer !== undefined)
    throw new ClientError('ERR_CONFIG', 'give service or issuer, not both');
  let issuer: string;
  if (o.service !== undefined) {
    if (typeof o.service !== 'string' || o.service.length === 0)
      throw new ClientError('ERR_CONFIG', 'service must be the service URL');
    issuer = assertionIssuer(o.service, o.audience);
  } else {
    if (typeof o.issuer !== 'string' || o.issuer.length === 0)
      throw new ClientError('ERR_CONFIG', 'issuer (or service) is required');
    issuer = o.issuer;
    const sandboxIssuer = issuer.replace(/\/+$/, '').endsWith(SANDBOX_PATH);
    if (env === 'live' && sandboxIssuer)
      throw new ClientError(
        'ERR_CONFIG',
        'issuer: a live client takes assertions of the live issuer (the service URL), never of /sandbox',
      );
  }
  const j = o.jwks;
  const href = typeof j === 'string' ? j : j instanceof URL ? j.href : undefined;
  if (env === 'live' && href !== undefined && href.includes(`${SANDBOX_PATH}/.well-known/`))
    throw new ClientError('ERR_CONFIG', 'jwks: a live client never uses the sandbox key set');
  return issuer;
}
