/**
 * A runtime without Web Crypto — React Native's Hermes has no `crypto.subtle` (apps usually polyfill
 * only `getRandomValues`) and no `process`: every sandbox profile's chip checks give the same report
 * as with Web Crypto (hashes on noble, ECDSA on noble, RSA in BigInt), and what needs Web Crypto
 * (request signing, assertion checks with jose) fails with a typed error instead of a TypeError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAssertion } from '../client/assertion.ts';
import { isChipIdError } from '../errors.ts';
import { type ChipDumpJSON, chipDigest, parseDump } from '../icao/dump.ts';
import { signVerificationRequest } from '../request/sign.ts';
import { makeCard, PROFILE_NAMES, sandboxCSCA } from '../sandbox/index.ts';
import { useNativeECDSA } from './native.ts';
import { createTrustStore } from './passive-auth.ts';
import { verifyChip } from './verify-chip.ts';

const CHALLENGE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const realCrypto = globalThis.crypto;
const cards: [string, ChipDumpJSON][] = [];
let pem: string;

/** What a report says, check by check. */
async function report(dump: ChipDumpJSON) {
  const trust = createTrustStore({ cscas: [pem] });
  const r = await verifyChip(parseDump(dump), { trust, expectedChallenge: CHALLENGE });
  return {
    valid: r.valid,
    activeAuth: r.activeAuth,
    checks: r.checks.map((c) => `${c.name}:${c.ok ? 'ok' : (c.code ?? 'failed')}`),
    digest: await chipDigest(dump),
  };
}

function withoutWebCrypto(): void {
  // What Hermes offers with react-native-get-random-values: getRandomValues, no subtle.
  Object.defineProperty(globalThis, 'crypto', {
    value: { getRandomValues: realCrypto.getRandomValues.bind(realCrypto) },
    configurable: true,
  });
  useNativeECDSA(false); // no process.getBuiltinModule either
}

function restore(): void {
  Object.defineProperty(globalThis, 'crypto', { value: realCrypto, configurable: true });
  useNativeECDSA(true);
}

beforeAll(async () => {
  pem = (await sandboxCSCA()).pem;
  for (const profile of PROFILE_NAMES) {
    cards.push([profile, (await makeCard({ profile, seed: 'no-webcrypto', challenge: CHALLENGE })).dump]);
  }
});
afterAll(restore);

describe('without Web Crypto', () => {
  it('every sandbox profile gets the report it gets with Web Crypto', async () => {
    const withIt: Record<string, unknown> = {};
    for (const [name, dump] of cards) withIt[name] = await report(dump);
    withoutWebCrypto();
    try {
      expect(globalThis.crypto.subtle).toBeUndefined();
      const without: Record<string, unknown> = {};
      for (const [name, dump] of cards) without[name] = await report(dump);
      expect(without).toEqual(withIt);
    } finally {
      restore();
    }
    // The profiles do differ, so equal reports mean something: valid ones pass, broken ones fail.
    expect(withIt['valid-rsa']).toMatchObject({ valid: true, activeAuth: 'passed' });
    expect(withIt['valid-brainpool']).toMatchObject({ valid: true, activeAuth: 'passed' });
    expect(withIt['tampered-dg13']).toMatchObject({ valid: false });
    expect(withIt.clone).toMatchObject({ activeAuth: 'failed' });
  });

  it('request signing and assertion checks fail with ERR_CONFIG saying why', async () => {
    const [, dump] = cards[0]!;
    withoutWebCrypto();
    try {
      const signing = await signVerificationRequest({
        clientId: 'sandbox_rnapp',
        privateKey: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid: 'k' },
        audience: 'https://api.chipid.test',
        chip: dump,
        scope: [],
        purpose: 'test',
      }).catch((e: unknown) => e);
      expect(isChipIdError(signing) && signing.code).toBe('ERR_CONFIG');
      expect((signing as Error).message).toMatch(/^signing a request needs Web Crypto/);
      const checking = await verifyAssertion('a.b.c', {
        issuer: 'https://api.chipid.test',
        audience: 'sandbox_rnapp',
        jwks: { keys: [] },
      }).catch((e: unknown) => e);
      expect(isChipIdError(checking) && checking.code).toBe('ERR_CONFIG');
      expect((checking as Error).message).toMatch(/^checking an assertion needs Web Crypto/);
    } finally {
      restore();
    }
  });
});
