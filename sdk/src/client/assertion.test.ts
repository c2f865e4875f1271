/** Assertion verification (RFC 8725 rules) against assertions signed here with a local key set. */

import type { JSONWebKeySet, JWTPayload } from 'jose';
import { base64url, exportJWK, generateKeyPair, generateSecret, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { isChipIdError } from '../errors.ts';
import { assertionIssuer, verifyAssertion } from './assertion.ts';

/** The service URL: the live issuer. A sandbox client's assertions come from `<service>/sandbox`. */
const SERVICE = 'http://127.0.0.1:8787';
const ISS = `${SERVICE}/sandbox`;
const AUD = 'sandbox_demo';

let key: CryptoKey;
let otherKey: CryptoKey;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  const kp = await generateKeyPair('ES256', { extractable: true });
  key = kp.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  jwks = { keys: [{ ...(await exportJWK(kp.publicKey)), kid: 'svc-1', alg: 'ES256', use: 'sig' }] };
});

function claims(over: JWTPayload = {}): JWTPayload {
  return {
    sub: 'pairwise-sub',
    jti: 'a1',
    txn: 'ver_1',
    result: 'verified',
    reasons: [],
    verified_claims: {
      verification: {
        trust_framework: 'chipid_sandbox',
        time: '2026-11-23T00:00:00Z',
        evidence: [{ type: 'document', check_details: [{ check_method: 'vcrypt' }] }],
      },
      claims: { given_name: 'Hiệp', age_over_18: true },
    },
    ...over,
  };
}

async function sign(
  o: {
    payload?: JWTPayload;
    iss?: string;
    aud?: string;
    typ?: string;
    kid?: string;
    exp?: number | string;
    key?: CryptoKey;
  } = {},
): Promise<string> {
  return new SignJWT(o.payload ?? claims())
    .setProtectedHeader({ alg: 'ES256', typ: o.typ ?? 'chipid-assertion+jwt', kid: o.kid ?? 'svc-1' })
    .setIssuer(o.iss ?? ISS)
    .setAudience(o.aud ?? AUD)
    .setIssuedAt()
    .setExpirationTime(o.exp ?? '5m')
    .sign(o.key ?? key);
}

async function rejectsWith(jwt: string, code = 'ERR_ASSERTION_INVALID', extra: object = {}): Promise<string> {
  const e = await verifyAssertion(jwt, { issuer: ISS, audience: AUD, jwks, ...extra }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected a rejection').toBeDefined();
  expect(isChipIdError(e) && e.code).toBe(code);
  return (e as Error).message;
}

describe('verifyAssertion', () => {
  it('returns typed claims for a valid assertion', async () => {
    const c = await verifyAssertion(await sign(), { issuer: ISS, audience: AUD, jwks });
    expect(c.result).toBe('verified');
    expect(c.txn).toBe('ver_1');
    expect(c.sub).toBe('pairwise-sub');
    expect(c.verified_claims?.claims.age_over_18).toBe(true);
    expect(c.verified_claims?.verification.evidence[0]?.check_details?.[0]?.check_method).toBe('vcrypt');
  });

  it('accepts a rejected outcome without verified_claims or sub', async () => {
    const payload = claims({ result: 'rejected', reasons: ['card_revoked'] });
    delete payload.verified_claims;
    delete payload.sub;
    const c = await verifyAssertion(await sign({ payload }), { issuer: ISS, audience: AUD, jwks });
    expect(c.result).toBe('rejected');
    expect(c.reasons).toEqual(['card_revoked']);
  });

  it('rejects a wrong audience', async () => {
    expect(await rejectsWith(await sign({ aud: 'sandbox_other' }))).toMatch(/aud/);
  });

  it("rejects an assertion of the other world: one service key signs both, the trust framework must be the client's", async () => {
    const live = 'live_demo';
    // A sandbox assertion (anyone can get one from the open console) addressed to a live client id.
    const sandboxForLive = await sign({ aud: live, iss: SERVICE });
    expect(
      await rejectsWith(sandboxForLive, 'ERR_ASSERTION_INVALID', { audience: live, issuer: SERVICE }),
    ).toMatch(/trust_framework is the sandbox for a live client/);
    const p = claims();
    (p.verified_claims as { verification: { trust_framework: string } }).verification.trust_framework =
      'chipid';
    expect(await rejectsWith(await sign({ payload: p }))).toMatch(
      /trust_framework does not match for a sandbox client/,
    );
    const ok = await verifyAssertion(await sign({ payload: p, aud: live, iss: SERVICE }), {
      issuer: SERVICE,
      audience: live,
      jwks,
    });
    expect(ok.verified_claims?.verification.trust_framework).toBe('chipid');
  });

  it("derives the issuer of the audience's environment from the service URL (sandbox: <service>/sandbox)", async () => {
    expect(assertionIssuer(SERVICE, 'sandbox_demo')).toBe(`${SERVICE}/sandbox`);
    expect(assertionIssuer(`${SERVICE}/`, 'live_demo')).toBe(SERVICE);
    const c = await verifyAssertion(await sign(), { service: SERVICE, audience: AUD, jwks });
    expect(c.iss).toBe(ISS);
    // A sandbox assertion for a live client: another issuer (and, from the service, other keys).
    const sandboxForLive = await sign({ aud: 'live_demo' });
    expect(
      await rejectsWith(sandboxForLive, 'ERR_ASSERTION_INVALID', {
        audience: 'live_demo',
        issuer: undefined,
        service: SERVICE,
      }),
    ).toMatch(/iss/);
    // And a live assertion is not a sandbox one.
    const liveForSandbox = await sign({ iss: SERVICE });
    expect(
      await rejectsWith(liveForSandbox, 'ERR_ASSERTION_INVALID', { issuer: undefined, service: SERVICE }),
    ).toMatch(/iss/);
  });

  it("refuses to point a client at the other environment's issuer or key set (ERR_CONFIG)", async () => {
    const jwt = await sign({ aud: 'live_demo' });
    expect(await rejectsWith(jwt, 'ERR_CONFIG', { audience: 'live_demo', issuer: ISS })).toMatch(/live/);
    expect(await rejectsWith(jwt, 'ERR_CONFIG', { audience: 'live_demo', issuer: `${ISS}/` })).toMatch(
      /live/,
    );
    expect(
      await rejectsWith(jwt, 'ERR_CONFIG', {
        audience: 'live_demo',
        issuer: SERVICE,
        jwks: `${SERVICE}/sandbox/.well-known/jwks.json`,
      }),
    ).toMatch(/sandbox key set/);
    // A sandbox client given the live issuer: nothing to guard, its assertions just do not match.
    expect(await rejectsWith(await sign(), 'ERR_ASSERTION_INVALID', { issuer: SERVICE })).toMatch(
      /iss.*<service URL>\/sandbox/,
    );
    expect(await rejectsWith(await sign(), 'ERR_CONFIG', { issuer: ISS, service: SERVICE })).toMatch(/both/);
    expect(await rejectsWith(await sign(), 'ERR_CONFIG', { issuer: undefined, service: ISS })).toMatch(
      /sandbox/,
    );
    expect(() => assertionIssuer(SERVICE, 'acme')).toThrow(/sandbox_ or live_/);
  });

  it("rejects an env claim that is not the audience's environment", async () => {
    expect(await rejectsWith(await sign({ payload: claims({ env: 'live' }) }))).toMatch(/env/);
    const c = await verifyAssertion(await sign({ payload: claims({ env: 'sandbox' }) }), {
      service: SERVICE,
      audience: AUD,
      jwks,
    });
    expect(c.result).toBe('verified');
  });

  it('rejects a wrong issuer', async () => {
    expect(await rejectsWith(await sign({ iss: 'https://evil.example' }))).toMatch(/iss/);
  });

  it('rejects a wrong typ (e.g. a request token replayed as an assertion)', async () => {
    expect(await rejectsWith(await sign({ typ: 'chipid-request+jwt' }))).toMatch(/typ/);
    expect(await rejectsWith(await sign({ typ: 'JWT' }))).toMatch(/typ/);
  });

  it('rejects alg none', async () => {
    const header = base64url.encode(
      JSON.stringify({ alg: 'none', typ: 'chipid-assertion+jwt', kid: 'svc-1' }),
    );
    const now = Math.floor(Date.now() / 1000);
    const body = base64url.encode(
      JSON.stringify({ ...claims(), iss: ISS, aud: AUD, iat: now, exp: now + 300 }),
    );
    await rejectsWith(`${header}.${body}.`);
    await rejectsWith(`${header}.${body}`);
  });

  it('rejects HS256 even when the attacker uses the public JWK as the HMAC secret', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const jwt = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'chipid-assertion+jwt', kid: 'svc-1' })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret);
    expect(await rejectsWith(jwt)).toMatch(/algorithm/);
    const hs = await generateSecret('HS256');
    const jwt2 = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'chipid-assertion+jwt' })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(hs);
    await rejectsWith(jwt2);
  });

  it('rejects an expired assertion, and one older than maxAgeSeconds', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    expect(await rejectsWith(await sign({ exp: past }))).toMatch(/exp/);
    const jwt = await sign();
    const later = new Date(Date.now() + 120_000);
    expect(
      await rejectsWith(jwt, 'ERR_ASSERTION_INVALID', { maxAgeSeconds: 60, currentDate: later }),
    ).toMatch(/older than maxAgeSeconds/);
    await expect(
      verifyAssertion(jwt, { issuer: ISS, audience: AUD, jwks, maxAgeSeconds: 600, currentDate: later }),
    ).resolves.toBeTruthy();
  });

  it('rejects an unknown kid and a signature by another key', async () => {
    expect(await rejectsWith(await sign({ kid: 'svc-unknown' }))).toMatch(/kid/);
    expect(await rejectsWith(await sign({ key: otherKey }))).toMatch(/signature/);
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await sign()).split('.');
    const forged = base64url.encode(
      JSON.stringify({ ...claims({ result: 'verified' }), iss: ISS, aud: AUD }),
    );
    await rejectsWith(`${h}.${forged}.${s}`);
  });

  it('rejects missing or malformed claims', async () => {
    const noTxn = claims();
    delete noTxn.txn;
    expect(await rejectsWith(await sign({ payload: noTxn }))).toMatch(/txn/);
    expect(await rejectsWith(await sign({ payload: claims({ result: 'maybe' }) }))).toMatch(/result/);
    expect(await rejectsWith(await sign({ payload: claims({ reasons: 'card_revoked' }) }))).toMatch(
      /reasons/,
    );
    const noJti = claims();
    delete noJti.jti;
    await rejectsWith(await sign({ payload: noJti }));
    await rejectsWith('not-a-jwt');
    await rejectsWith('');
  });

  it('reports configuration mistakes as ERR_CONFIG', async () => {
    const jwt = await sign();
    await rejectsWith(jwt, 'ERR_CONFIG', { jwks: { nope: true } });
    await rejectsWith(jwt, 'ERR_CONFIG', { issuer: '' });
    await rejectsWith(jwt, 'ERR_CONFIG', { issuer: undefined });
  });
});

describe('portrait binding (OpenID Attachments digest)', () => {
  const image = new TextEncoder().encode('\xff\xd8\xff a JPEG face stands here');
  const digest = async (b: Uint8Array) =>
    btoa(
      String.fromCharCode(
        ...new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>)),
      ),
    );
  const withPortrait = async (over: { result?: string; alg?: string; value?: string; type?: string } = {}) =>
    claims({
      result: over.result ?? 'verified',
      verified_claims: {
        verification: {
          trust_framework: 'chipid_sandbox',
          evidence: [
            {
              type: 'document',
              attachments: [
                {
                  desc: 'portrait',
                  content_type: over.type ?? 'image/jpeg',
                  digest: { alg: over.alg ?? 'sha-256', value: over.value ?? (await digest(image)) },
                },
              ],
            },
          ],
        },
        claims: {},
      },
    });
  const opts = (portrait: Uint8Array) => ({ issuer: ISS, audience: AUD, jwks, portrait });
  const refused = async (jwt: string, portrait: Uint8Array, why: RegExp) => {
    const e = await verifyAssertion(jwt, opts(portrait)).catch((x: unknown) => x);
    expect(isChipIdError(e) && e.code).toBe('ERR_ASSERTION_INVALID');
    expect((e as Error).message).toMatch(why);
  };

  it('accepts the image whose SHA-256 the assertion carries', async () => {
    const jwt = await sign({ payload: await withPortrait() });
    await expect(verifyAssertion(jwt, opts(image))).resolves.toMatchObject({ result: 'verified' });
  });

  it('refuses a swapped or altered image, a missing digest, a non-verified assertion, another algorithm', async () => {
    const jwt = await sign({ payload: await withPortrait() });
    const altered = image.slice();
    altered[5] = (altered[5] ?? 0) ^ 1;
    await refused(jwt, altered, /SHA-256 differs/);
    await refused(await sign(), image, /no portrait digest/);
    await refused(await sign({ payload: await withPortrait({ result: 'rejected' }) }), image, /not verified/);
    await refused(await sign({ payload: await withPortrait({ alg: 'sha-1' }) }), image, /algorithm/);
    await refused(
      await sign({ payload: await withPortrait({ type: 'image/png' }) }),
      image,
      /another portrait type/,
    );
    await refused(await sign({ payload: await withPortrait({ value: '%%%' }) }), image, /malformed|differs/);
  });
});
