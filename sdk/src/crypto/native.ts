/**
 * ECDSA through the runtime's native crypto for the curves Web Crypto lacks (brainpool, RFC 5639):
 * Node ≥ 20.16 reaches OpenSSL through `node:crypto`, ≈ 5× faster than noble's BigInt arithmetic for
 * a key seen once (each card's Active Authentication key). The module is reached with
 * `process.getBuiltinModule`, never imported, so browsers and React Native bundle nothing and keep
 * the portable noble path (so does workerd: its `node:crypto` has no brainpool and fails the
 * self-test). Before a curve's first native verification, the runtime must
 * pass a self-test on that curve — accept a valid signature, refuse the same signature with one bit
 * flipped — or the curve stays on noble for the life of the process.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bigIntToBytes, concat, fromLatin1 } from '../lib/bytes.ts';
import { NAMED_CURVE_OID, type NamedCurve, NOBLE, namedCurve } from './curves.ts';
import type { HashName } from './hash.ts';
import { type ECPublicKey, ecSPKI } from './keys.ts';

/** The part of `node:crypto` this module uses. */
interface NodeCrypto {
  createPublicKey(input: { key: Uint8Array; format: 'der'; type: 'spki' }): object;
  verify(
    algorithm: string,
    data: Uint8Array,
    key: { key: object; dsaEncoding: 'ieee-p1363' },
    signature: Uint8Array,
  ): boolean;
}

const HASH: Readonly<Record<HashName, string>> = {
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

let nodeCrypto: NodeCrypto | null | undefined;

function runtimeCrypto(): NodeCrypto | null {
  if (nodeCrypto === undefined) {
    nodeCrypto = null;
    try {
      const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
      const mod = proc?.getBuiltinModule?.('node:crypto') as Partial<NodeCrypto> | undefined;
      if (typeof mod?.createPublicKey === 'function' && typeof mod.verify === 'function')
        nodeCrypto = mod as NodeCrypto;
    } catch {
      // No built-in modules here: noble it is.
    }
  }
  return nodeCrypto;
}

const curveOk = new Map<NamedCurve, boolean>();
const MAX_KEYS = 512;
const keys = new Map<string, object>();

function importKey(nc: NodeCrypto, curve: NamedCurve, point: Uint8Array): object {
  const id = `${curve}/${fromLatin1(point)}`;
  let k = keys.get(id);
  if (!k) {
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string);
    k = nc.createPublicKey({ key: ecSPKI(NAMED_CURVE_OID[curve], point), format: 'der', type: 'spki' });
    keys.set(id, k);
  }
  return k;
}

/**
 * The key whose secret is 1 (its public point is the curve's generator) signs a fixed message with
 * noble; the native verifier `nc` must accept that signature and refuse it with one bit flipped. A
 * runtime without the curve (workerd's node:crypto has no brainpool) fails at the key import, before
 * any noble work. Exported for tests.
 */
export function selfTest(nc: NodeCrypto, curve: NamedCurve): boolean {
  try {
    const { params, byteLength, orderLength } = namedCurve(curve);
    const generator = concat(
      Uint8Array.of(4),
      bigIntToBytes(params.Gx, byteLength),
      bigIntToBytes(params.Gy, byteLength),
    );
    const key = nc.createPublicKey({
      key: ecSPKI(NAMED_CURVE_OID[curve], generator),
      format: 'der',
      type: 'spki',
    });
    const secret = new Uint8Array(orderLength);
    secret[orderLength - 1] = 1;
    const message = new TextEncoder().encode(`chipid native ECDSA self-test ${curve}`);
    const signature = NOBLE[curve].sign(sha256(message), secret, { prehash: false, format: 'compact' });
    const verify = (sig: Uint8Array) => nc.verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig);
    const flipped = signature.slice();
    flipped[flipped.length - 1]! ^= 1;
    return verify(signature) === true && verify(flipped) === false;
  } catch {
    return false;
  }
}

/**
 * Tests only: `false` turns the native path off (every curve on noble), `true` detects the runtime's
 * native crypto again and re-runs the self-tests.
 */
export function useNativeECDSA(enabled: boolean): void {
  nodeCrypto = enabled ? undefined : null;
  curveOk.clear();
  keys.clear();
}

/** Whether this runtime verifies ECDSA on `curve` natively (self-tested once per curve). */
export function nativeECDSAAvailable(curve: NamedCurve): boolean {
  const nc = runtimeCrypto();
  if (!nc) return false;
  let ok = curveOk.get(curve);
  if (ok === undefined) {
    ok = selfTest(nc, curve);
    curveOk.set(curve, ok);
  }
  return ok;
}

/**
 * Verifies a plain `r || s` ECDSA signature over `message` natively; `undefined` when this runtime
 * cannot (no native crypto, the curve failed its self-test, or the native call threw) — the caller
 * then takes the portable path. High S is accepted, as in ICAO.
 */
export function verifyECDSANative(
  key: ECPublicKey,
  hash: HashName,
  message: Uint8Array,
  plain: Uint8Array,
): boolean | undefined {
  const curve = key.curve.name;
  if (!nativeECDSAAvailable(curve)) return undefined;
  const nc = runtimeCrypto()!;
  try {
    return nc.verify(
      HASH[hash],
      message,
      { key: importKey(nc, curve, key.point), dsaEncoding: 'ieee-p1363' },
      plain,
    );
  } catch {
    return undefined;
  }
}
