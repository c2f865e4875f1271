/**
 * Worker configuration — the bindings of SERVICE-CONTRACT.md ("Worker configuration"), parsed once per
 * isolate. Secrets arrive as bindings; nothing is read from files (Workers have none).
 */
import type { JWK } from 'jose';

/** Environment bindings (wrangler `[vars]` + secrets). */
export interface Bindings {
  SERVICE_URL: string;
  TABLE_PREFIX?: string;
  DYNAMODB_REGION?: string;
  DYNAMODB_ENDPOINT?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  ADMIN_TOKEN?: string;
  PAIRWISE_SECRET?: string;
  REGISTRY_HMAC_KEY?: string;
  /** The live environment's assertion keys `{ current, next?, previous? }` (issuer SERVICE_URL). */
  SERVICE_SIGNING_KEYS?: string;
  /** The sandbox's own assertion keys, same shape, sharing no key with the live ones (issuer SERVICE_URL/sandbox). */
  SANDBOX_SIGNING_KEYS?: string;
  RATE_LIMIT_PER_MINUTE?: string;
  /**
   * How stale an isolate's copy of the trust store (CSCAs, CRLs) may be, in seconds; default 5, `0`
   * checks its version on every verification (`store/trust.ts`, docs/capacity.md).
   */
  TRUST_RECHECK_SECONDS?: string;
  /**
   * Audit lanes per client (hash chains, each its own partition key); default 32, at most 1024. Raise
   * it (never lower it) when one client's verifications per second × 4 write units exceed half of
   * 1,000 × lanes (docs/capacity.md).
   */
  AUDIT_LANES?: string;
  /** Max attempts of one DynamoDB call (SDK standard retry with backoff); default 3. */
  DYNAMODB_MAX_ATTEMPTS?: string;
  /** Per-attempt timeout of one DynamoDB call in ms; default 3000. */
  DYNAMODB_TIMEOUT_MS?: string;
  /**
   * Which DynamoDB client the Worker uses: `http` (default; `store/dynamo-http.ts`, the low-level API
   * over `fetch`, SigV4 by aws4fetch) or `aws-sdk` (`@aws-sdk/client-dynamodb`'s full pipeline, ≈ 7×
   * the CPU per call inside workerd; kept for comparison and as a fallback).
   */
  DYNAMODB_CLIENT?: string;
  /**
   * The roots a CSCA master list must chain to before the admin API imports it into the `sandbox` /
   * `live` trust store (`POST /admin/v1/trust/{env}/masterlists`): PEM, one or more CERTIFICATE
   * blocks — the publishing states' CSCAs (e.g. Germany's csca-germany for the BSI list). Unset: no
   * master list is accepted for that environment.
   */
  MASTERLIST_ROOTS_SANDBOX?: string;
  MASTERLIST_ROOTS_LIVE?: string;
}

/** The two separate worlds (DESIGN.md "Environments"). */
export const ENVIRONMENTS = ['sandbox', 'live'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * What a client id looks like: its environment, then 3–64 letters, digits, `_` or `-` — the SDK's
 * pattern, so an id the SDK signs with is one the service registers.
 */
export { CLIENT_ID_PATTERN } from '@chipid/sdk';

/** `sandbox_abc` → `sandbox`; anything else → undefined. */
export function envOfClientId(clientId: string): Environment | undefined {
  if (clientId.startsWith('sandbox_')) return 'sandbox';
  if (clientId.startsWith('live_')) return 'live';
  return undefined;
}

/** Path under the service URL of the sandbox's issuer (its JWKS: `/sandbox/.well-known/jwks.json`). */
export const SANDBOX_ISSUER_PATH = '/sandbox';

/**
 * The issuer of an environment's assertions: SERVICE_URL for live, SERVICE_URL + `/sandbox` for the
 * sandbox — each with its own keys at `<issuer>/.well-known/jwks.json` (DESIGN.md "Environments").
 *
 * @example
 * issuerOf({ SERVICE_URL: 'https://api.chipid.dev' }, 'sandbox'); // 'https://api.chipid.dev/sandbox'
 */
export function issuerOf(env: Pick<Bindings, 'SERVICE_URL'>, which: Environment): string {
  const base = env.SERVICE_URL.replace(/\/+$/, '');
  return which === 'sandbox' ? `${base}${SANDBOX_ISSUER_PATH}` : base;
}

/** `${TABLE_PREFIX}${env}` (default prefix `chipid-`). */
export function tableName(env: Bindings, which: Environment): string {
  return `${env.TABLE_PREFIX ?? 'chipid-'}${which}`;
}

/** The service signing keys: `current` signs, all are published in the JWKS. */
export interface SigningKeys {
  current: JWK & { kid: string };
  next?: JWK & { kid: string };
  previous?: JWK & { kid: string };
}

/** Reads a required secret or fails closed with a configuration error (500, nothing leaks). */
export function requireSecret(env: Bindings, name: keyof Bindings): string {
  const v = env[name];
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(`missing configuration ${name}`);
  return v;
}

/** A binding is missing or malformed: the deployment is broken, not the request. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Positive integer binding with a default. */
export function intBinding(v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : dflt;
}
