/**
 * Web Crypto where the runtime has it. Node, browsers and workerd do; React Native's Hermes does not
 * (unless the app installs a polyfill). Without it the chip checks run in JS — hashes on
 * @noble/hashes, ECDSA on @noble/curves, RSA in BigInt (`signature.ts`) — slower, same verdicts.
 * What has no JS path here (request signing and assertion checks, done with jose) says so with a
 * typed error: do those on your backend, as the integration guide does.
 */
import { ClientError } from '../errors.ts';

/** The runtime's SubtleCrypto, or undefined. Read at each call, so a polyfill installed late counts. */
export function subtle(): SubtleCrypto | undefined {
  return (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
}

/** Throws `ERR_CONFIG` naming `what` when the runtime has no Web Crypto. */
export function requireSubtle(what: string): SubtleCrypto {
  const s = subtle();
  if (!s)
    throw new ClientError(
      'ERR_CONFIG',
      `${what} needs Web Crypto (crypto.subtle), which this runtime lacks: do it on your backend, or install a Web Crypto polyfill`,
    );
  return s;
}
