/**
 * Service signing keys, one set per environment (DESIGN.md "Environments"): SERVICE_SIGNING_KEYS signs
 * live assertions, SANDBOX_SIGNING_KEYS sandbox ones — each `{ current, next?, previous? }` (private EC
 * P-256 JWKs with `kid`). `current` signs (ES256, RFC 7518 §3.4); all three public parts are published
 * in that environment's JWK Set (live: `/.well-known/jwks.json`, sandbox: `/sandbox/.well-known/jwks.json`)
 * so RPs can verify across a rotation (next → current → previous).
 *
 * The two sets must share no key and no `kid`: a sandbox assertion (anyone can get one from the open
 * console) must never verify with a key live RPs trust. A configuration where they overlap, or where
 * the environment's set is missing, fails closed (ConfigError → 500, nothing signed or published).
 */
import { importJWK, type CryptoKey as JoseKey, type JWK } from 'jose';
import { type Bindings, ConfigError, type Environment, type SigningKeys } from './env.ts';

interface Parsed {
  keys: SigningKeys;
  signer: Promise<JoseKey | Uint8Array>;
  publicJwks: { keys: JWK[] };
}

/** The binding that holds each environment's keys. */
export const SIGNING_KEYS_BINDING = {
  live: 'SERVICE_SIGNING_KEYS',
  sandbox: 'SANDBOX_SIGNING_KEYS',
} as const satisfies Record<Environment, keyof Bindings>;

const parsed = new Map<string, Parsed>();
/** Pairs of raw values already checked to be disjoint. */
let checkedPair: string | undefined;

function publicPart(name: string, k: JWK & { kid: string }): JWK {
  if (k.kty !== 'EC' || k.crv !== 'P-256' || !k.x || !k.y || typeof k.kid !== 'string' || !k.kid)
    throw new ConfigError(`${name}: signing keys must be EC P-256 JWKs with kid`);
  return { kty: 'EC', crv: 'P-256', x: k.x, y: k.y, kid: k.kid, alg: 'ES256', use: 'sig' };
}

function parse(name: string, raw: string): Parsed {
  const hit = parsed.get(raw);
  if (hit) return hit;
  let keys: SigningKeys;
  try {
    keys = JSON.parse(raw) as SigningKeys;
  } catch {
    throw new ConfigError(`${name} is not JSON`);
  }
  if (!keys?.current?.kid || !keys.current.d)
    throw new ConfigError(`${name}.current must be a private JWK with kid`);
  const all = [keys.current, keys.next, keys.previous].filter((k): k is JWK & { kid: string } => !!k);
  const publicJwks = { keys: all.map((k) => publicPart(name, k)) };
  const kids = publicJwks.keys.map((k) => k.kid);
  if (new Set(kids).size !== kids.length) throw new ConfigError(`${name}: kid values must be unique`);
  const { kid: _kid, alg: _alg, use: _use, key_ops: _ops, ...priv } = keys.current;
  const p: Parsed = { keys, signer: importJWK(priv, 'ES256'), publicJwks };
  p.signer.catch(() => {}); // reported where it is awaited
  if (parsed.size > 8) parsed.clear();
  parsed.set(raw, p);
  return p;
}

/** Refuses live and sandbox sets that share a `kid` or a public key. */
function checkDisjoint(live: Parsed, sandbox: Parsed): void {
  const ids = (p: Parsed) => p.publicJwks.keys.flatMap((k) => [`kid:${k.kid}`, `xy:${k.x}.${k.y}`]);
  const seen = new Set(ids(live));
  if (ids(sandbox).some((id) => seen.has(id)))
    throw new ConfigError('SANDBOX_SIGNING_KEYS and SERVICE_SIGNING_KEYS share a key or kid');
}

/** The environment's keys, checked to share nothing with the other environment's. */
function load(env: Bindings, which: Environment): Parsed {
  const name = SIGNING_KEYS_BINDING[which];
  const raw = env[name];
  if (!raw) throw new ConfigError(`missing configuration ${name}`);
  const mine = parse(name, raw);
  const otherName = SIGNING_KEYS_BINDING[which === 'live' ? 'sandbox' : 'live'];
  const otherRaw = env[otherName];
  if (otherRaw) {
    const pair = which === 'live' ? `${raw}\u0000${otherRaw}` : `${otherRaw}\u0000${raw}`;
    if (checkedPair !== pair) {
      const other = parse(otherName, otherRaw);
      if (which === 'live') checkDisjoint(mine, other);
      else checkDisjoint(other, mine);
      checkedPair = pair;
    }
  }
  return mine;
}

/** The private key and kid that sign the environment's assertions now. */
export async function currentSigner(
  env: Bindings,
  which: Environment,
): Promise<{ key: JoseKey | Uint8Array; kid: string }> {
  const p = load(env, which);
  return { key: await p.signer, kid: p.keys.current.kid };
}

/** Public JWK Set (RFC 7517 §5) of the environment's current, next and previous keys. */
export function publicJwks(env: Bindings, which: Environment): { keys: JWK[] } {
  return load(env, which).publicJwks;
}
