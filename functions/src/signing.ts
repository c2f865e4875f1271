/**
 * Service signing keys — SERVICE_SIGNING_KEYS `{ current, next?, previous? }` (private EC P-256 JWKs
 * with `kid`). `current` signs assertions (ES256, RFC 7518 §3.4); all three public parts are published
 * at `/.well-known/jwks.json` so RPs can verify across a rotation (next → current → previous).
 */
import { importJWK, type CryptoKey as JoseKey, type JWK } from 'jose';
import { type Bindings, ConfigError, type SigningKeys } from './env.ts';

interface Parsed {
  raw: string;
  keys: SigningKeys;
  signer: Promise<JoseKey | Uint8Array>;
  publicJwks: { keys: JWK[] };
}

let parsed: Parsed | undefined;

function publicPart(k: JWK & { kid: string }): JWK {
  if (k.kty !== 'EC' || k.crv !== 'P-256' || !k.x || !k.y)
    throw new ConfigError('signing keys must be EC P-256 JWKs');
  return { kty: 'EC', crv: 'P-256', x: k.x, y: k.y, kid: k.kid, alg: 'ES256', use: 'sig' };
}

function load(env: Bindings): Parsed {
  const raw = env.SERVICE_SIGNING_KEYS;
  if (!raw) throw new ConfigError('missing configuration SERVICE_SIGNING_KEYS');
  if (parsed?.raw === raw) return parsed;
  let keys: SigningKeys;
  try {
    keys = JSON.parse(raw) as SigningKeys;
  } catch {
    throw new ConfigError('SERVICE_SIGNING_KEYS is not JSON');
  }
  if (!keys.current?.kid || !keys.current.d)
    throw new ConfigError('SERVICE_SIGNING_KEYS.current must be a private JWK with kid');
  const all = [keys.current, keys.next, keys.previous].filter((k): k is JWK & { kid: string } => !!k);
  const { kid: _kid, alg: _alg, use: _use, key_ops: _ops, ...priv } = keys.current;
  parsed = {
    raw,
    keys,
    signer: importJWK(priv, 'ES256'),
    publicJwks: { keys: all.map(publicPart) },
  };
  return parsed;
}

/** The private key and kid that sign assertions now. */
export async function currentSigner(env: Bindings): Promise<{ key: JoseKey | Uint8Array; kid: string }> {
  const p = load(env);
  return { key: await p.signer, kid: p.keys.current.kid };
}

/** Public JWK Set (RFC 7517 §5) of current, next and previous keys. */
export function publicJwks(env: Bindings): { keys: JWK[] } {
  return load(env).publicJwks;
}
