/**
 * Relying-party signing keys — RFC 7517 (JWK), RFC 7518 §3.4 (ES256), RFC 8037 (EdDSA / Ed25519).
 *
 * The service accepts exactly two request algorithms (SERVICE-CONTRACT.md "RP authentication"):
 * ES256 (ECDSA P-256 + SHA-256) and EdDSA (Ed25519). The algorithm is inferred from the key so a
 * caller can never pick a weaker one; RSA, HMAC and other curves are refused (RFC 8725 §3.1).
 */

import type { JWK } from 'jose';
import { importJWK } from 'jose';
import { requireSubtle } from '../crypto/webcrypto.ts';
import { ClientError } from '../errors.ts';

/** JWS algorithms a relying party may sign requests with. */
export const REQUEST_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type RequestAlgorithm = (typeof REQUEST_ALGORITHMS)[number];

/** A private key as accepted by the signers: a Web Crypto key or a private JWK (with `kid`). */
export type PrivateKeyInput = CryptoKey | JWK;

/** A key ready to sign: the Web Crypto key, its JWS `alg`, and the `kid` to put in the header. */
export interface SigningKey {
  readonly key: CryptoKey;
  readonly alg: RequestAlgorithm;
  readonly kid: string;
}

const KID_RE = /^[\x21-\x7e]{1,200}$/;

function isCryptoKey(k: unknown): k is CryptoKey {
  if (typeof CryptoKey !== 'undefined' && k instanceof CryptoKey) return true;
  // Keys from another realm (e.g. a test runner's vm context) fail instanceof; duck-type them.
  return (
    typeof k === 'object' && k !== null && 'algorithm' in k && 'type' in k && 'usages' in k && !('kty' in k)
  );
}

function algFromCryptoKey(key: CryptoKey): RequestAlgorithm {
  const a = key.algorithm as { name?: string; namedCurve?: string };
  if (a.name === 'ECDSA' && a.namedCurve === 'P-256') return 'ES256';
  if (a.name === 'Ed25519') return 'EdDSA';
  throw new ClientError(
    'ERR_KEY_UNSUPPORTED',
    `key: algorithm ${a.name ?? 'unknown'}${a.namedCurve ? `/${a.namedCurve}` : ''} is not accepted (use ES256 on P-256 or EdDSA on Ed25519)`,
  );
}

function algFromJWK(jwk: JWK): RequestAlgorithm {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    if (jwk.alg !== undefined && jwk.alg !== 'ES256')
      throw new ClientError('ERR_KEY_UNSUPPORTED', 'key: a P-256 JWK must have alg ES256');
    return 'ES256';
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    if (jwk.alg !== undefined && jwk.alg !== 'EdDSA' && jwk.alg !== 'Ed25519')
      throw new ClientError('ERR_KEY_UNSUPPORTED', 'key: an Ed25519 JWK must have alg EdDSA');
    return 'EdDSA';
  }
  const what =
    jwk.kty === 'EC' || jwk.kty === 'OKP' ? `${jwk.kty}/${jwk.crv ?? '?'}` : String(jwk.kty ?? 'unknown');
  throw new ClientError(
    'ERR_KEY_UNSUPPORTED',
    `key: JWK type ${what} is not accepted (use EC P-256 for ES256 or OKP Ed25519 for EdDSA)`,
  );
}

function fromCryptoKey(key: CryptoKey, kid: string | undefined): SigningKey {
  const alg = algFromCryptoKey(key);
  if (key.type !== 'private') throw new ClientError('ERR_KEY_INVALID', 'key: a private key is required');
  if (!key.usages.includes('sign'))
    throw new ClientError('ERR_KEY_INVALID', 'key: the key is not usable for sign');
  if (kid === undefined || !KID_RE.test(kid))
    throw new ClientError('ERR_KEY_INVALID', 'key: a CryptoKey needs a kid (1–200 visible ASCII characters)');
  return { key, alg, kid };
}

/**
 * Turns a private CryptoKey or private JWK into a {@link SigningKey}.
 *
 * The `kid` comes from the JWK (or the `kid` argument, which wins); a CryptoKey has none, so pass it.
 *
 * @throws ClientError `ERR_KEY_UNSUPPORTED` for RSA, HMAC (`oct`) and curves other than P-256/Ed25519;
 *   `ERR_KEY_INVALID` for public keys, keys that cannot sign, or a missing/invalid `kid`.
 * @example
 * const signing = await importSigningKey(JSON.parse(await readFile('.chipid/key.json', 'utf8')));
 * signing.alg; // 'ES256'
 */
export async function importSigningKey(
  input: PrivateKeyInput | SigningKey,
  kid?: string,
): Promise<SigningKey> {
  if (typeof input !== 'object' || input === null)
    throw new ClientError('ERR_KEY_INVALID', 'key: expected a CryptoKey or a private JWK');
  requireSubtle('signing a request');
  if ('key' in input && 'kid' in input && isCryptoKey(input.key))
    return fromCryptoKey(input.key, kid ?? input.kid);
  if (isCryptoKey(input)) return fromCryptoKey(input, kid);
  const jwk = input as JWK;
  const alg = algFromJWK(jwk);
  if (typeof jwk.d !== 'string' || jwk.d.length === 0)
    throw new ClientError(
      'ERR_KEY_INVALID',
      'key: the JWK is a public key (no "d"); a private key is required',
    );
  const useKid = kid ?? jwk.kid;
  if (useKid === undefined || !KID_RE.test(useKid))
    throw new ClientError('ERR_KEY_INVALID', 'key: the JWK needs a kid (1–200 visible ASCII characters)');
  let key: CryptoKey | Uint8Array;
  try {
    // Strip members that would conflict with the import (key_ops/use from a JWKS export, ext).
    const { key_ops: _ops, use: _use, ext: _ext, ...clean } = jwk;
    key = await importJWK({ ...clean, alg }, alg);
  } catch (cause) {
    throw new ClientError('ERR_KEY_INVALID', 'key: the JWK could not be imported', { cause });
  }
  if (key instanceof Uint8Array)
    throw new ClientError('ERR_KEY_UNSUPPORTED', 'key: symmetric keys are not accepted');
  return { key, alg, kid: useKid };
}
