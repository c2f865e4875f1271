/** Hono environment of the Worker: bindings and the per-request variables middleware sets. */
import type { Bindings, Environment } from './env.ts';
import type { RecordSeal } from './middleware/idempotency.ts';
import type { ClientRecord } from './store/clients.ts';
import type { StoreContext } from './store/db.ts';
import type { ChipParts } from './verify/parts.ts';

/** What RP authentication established about the caller. */
export interface RpAuth {
  clientId: string;
  env: Environment;
  client: ClientRecord;
  store: StoreContext;
  kid: string;
  jti: string;
  iat: number;
  exp: number;
  /** The verified JWT claims. */
  claims: Record<string, unknown>;
  /** The compact JWS as received. */
  token: string;
  /** This request's count in the client's rate window (set by RP authentication). */
  rate?: { window: number; count: number; shard?: number };
}

/** Set by the idempotency middleware when the request carries an `Idempotency-Key`. */
export interface IdempotencyContext {
  key: string;
  fingerprint: string;
  /** Seals the answer stored for a retry (its key exists only while this request is handled). */
  seal: RecordSeal;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    auth: RpAuth;
    /**
     * `POST /v1/verifications`: settles once the request is counted and its client decided (`requestAuth`),
     * with the decided auth and the rate-limit headers, or with the 401 / 403 / 429.
     */
    authDecided: Promise<{ auth: RpAuth; headers: Record<string, string> }> | undefined;
    idempotency: IdempotencyContext | undefined;
    /** Raw request body text (read once, before validation); for a multipart body, what identifies it. */
    bodyText: string;
    /** `POST /v1/verifications` with a multipart body: the dump's parts, read and hashed. */
    chipParts: ChipParts | undefined;
  };
}
