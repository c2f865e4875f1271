/**
 * Issue 19 item 2 — sandbox and live never share a signing key. Each environment has its own keys and
 * its own issuer (DESIGN.md "Environments"): live assertions `iss` = SERVICE_URL, keys at
 * `/.well-known/jwks.json`; sandbox assertions `iss` = SERVICE_URL + `/sandbox`, keys at
 * `/sandbox/.well-known/jwks.json`. Against the real Worker (workerd) and DynamoDB Local: a sandbox
 * assertion fails verification against the live issuer's keys and the reverse — by signature, not just
 * by claims —, the SDK (`verifyAssertion`, `createClient`) derives issuer and keys from the client id,
 * and a configuration that would share keys fails closed.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAssertion } from '../../sdk/src/client/assertion.ts';
import { createClient } from '../../sdk/src/client/index.ts';
import { isChipIdError } from '../../sdk/src/errors.ts';
import { makeCard } from '../../sdk/src/sandbox/index.ts';
import { seedSandbox, startSeededWorker } from '../robustness/support/service.ts';
import { useTables } from '../support/dynamodb.ts';
import {
  newEcJwk,
  postVerification,
  type RpClient,
  registerClient,
  startWorker,
  type TestWorker,
} from '../support/worker.ts';

const db = useTables();
let w: TestWorker;
let sandboxRp: RpClient;
let liveRp: RpClient;
let sandboxAssertion: string;
let liveAssertion: string;
let liveJwks: { keys: JWK[] };
let sandboxJwks: { keys: JWK[] };

async function assertionOf(rp: RpClient): Promise<string> {
  const card = await makeCard({ profile: 'valid', seed: 'environments' });
  const res = await postVerification(w, rp, card.dump);
  expect(res.status).toBe(200);
  return ((await res.json()) as { assertion: string }).assertion;
}

beforeAll(async () => {
  w = await startSeededWorker(db);
  [sandboxRp, liveRp] = await Promise.all([registerClient(w), registerClient(w, { env: 'live' })]);
  // The live trust store is empty: the live verification is rejected (ds_untrusted), but its
  // assertion is signed like any other — by the live key.
  [sandboxAssertion, liveAssertion] = await Promise.all([assertionOf(sandboxRp), assertionOf(liveRp)]);
  const [l, s] = await Promise.all([
    w.fetch('/.well-known/jwks.json'),
    w.fetch('/sandbox/.well-known/jwks.json'),
  ]);
  expect([l.status, s.status]).toEqual([200, 200]);
  liveJwks = (await l.json()) as { keys: JWK[] };
  sandboxJwks = (await s.json()) as { keys: JWK[] };
});
afterAll(async () => {
  await w?.stop();
});

/** On a Worker whose keys are misconfigured: a verification answers 500, no assertion. */
async function expectNoAssertion(x: TestWorker): Promise<void> {
  await seedSandbox(x);
  const rp = await registerClient(x);
  const res = await postVerification(
    x,
    rp,
    (await makeCard({ profile: 'valid', seed: 'environments' })).dump,
  );
  expect(res.status).toBe(500);
  expect(await res.text()).not.toMatch(/eyJ/);
}

/** Whether the ES256 signature of `jwt` verifies with `jwk` (node:crypto, independent of jose). */
function signedBy(jwt: string, jwk: JWK): boolean {
  const [h, p, s] = jwt.split('.') as [string, string, string];
  return nodeVerify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key: createPublicKey({ key: jwk as never, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected a rejection').toBeDefined();
  return isChipIdError(e) ? e.code : String(e);
}

describe('each environment its own keys and issuer', () => {
  it('the two JWKS are disjoint: the live one lists no sandbox key, the sandbox one no live key', () => {
    const kids = (j: { keys: JWK[] }) => j.keys.map((k) => k.kid);
    expect(kids(liveJwks)).toEqual([w.signingKeys.current.kid, w.signingKeys.next.kid]);
    expect(kids(sandboxJwks)).toEqual([w.sandboxSigningKeys.current.kid, w.sandboxSigningKeys.next.kid]);
    const xs = new Set(liveJwks.keys.map((k) => k.x));
    expect(sandboxJwks.keys.some((k) => xs.has(k.x))).toBe(false);
    for (const k of [...liveJwks.keys, ...sandboxJwks.keys]) expect(k.d).toBeUndefined();
  });

  it('a sandbox assertion: iss <service>/sandbox, signed by the current sandbox key', async () => {
    expect(decodeJwt(sandboxAssertion)).toMatchObject({ iss: `${w.serviceUrl}/sandbox`, env: 'sandbox' });
    expect(decodeProtectedHeader(sandboxAssertion).kid).toBe(w.sandboxSigningKeys.current.kid);
    const { payload } = await jwtVerify(sandboxAssertion, createLocalJWKSet(sandboxJwks), {
      issuer: `${w.serviceUrl}/sandbox`,
      audience: sandboxRp.clientId,
    });
    expect(payload.result).toBe('inconclusive'); // no AA answer in this dump; everything else passed
  });

  it('a live assertion: iss <service>, signed by the current live key', async () => {
    expect(decodeJwt(liveAssertion)).toMatchObject({ iss: w.serviceUrl, env: 'live', result: 'rejected' });
    expect(decodeProtectedHeader(liveAssertion).kid).toBe(w.signingKeys.current.kid);
    await jwtVerify(liveAssertion, createLocalJWKSet(liveJwks), {
      issuer: w.serviceUrl,
      audience: liveRp.clientId,
    });
  });

  it("a sandbox assertion fails against the live issuer's keys, and the reverse (every key, by signature)", async () => {
    for (const k of liveJwks.keys) expect(signedBy(sandboxAssertion, k)).toBe(false);
    for (const k of sandboxJwks.keys) expect(signedBy(liveAssertion, k)).toBe(false);
    // The controls: each verifies with its own environment's current key.
    expect(signedBy(sandboxAssertion, sandboxJwks.keys[0] as JWK)).toBe(true);
    expect(signedBy(liveAssertion, liveJwks.keys[0] as JWK)).toBe(true);
    // jose, with the issuer check out of the way: no key of the other set matches.
    await expect(jwtVerify(sandboxAssertion, createLocalJWKSet(liveJwks))).rejects.toThrow();
    await expect(jwtVerify(liveAssertion, createLocalJWKSet(sandboxJwks))).rejects.toThrow();
  });

  it('verifyAssertion from the service URL: each client accepts its own, never the other world', async () => {
    const svc = w.serviceUrl;
    await expect(
      verifyAssertion(sandboxAssertion, { service: svc, audience: sandboxRp.clientId, jwks: sandboxJwks }),
    ).resolves.toMatchObject({ env: 'sandbox' });
    await expect(
      verifyAssertion(liveAssertion, { service: svc, audience: liveRp.clientId, jwks: liveJwks }),
    ).resolves.toMatchObject({ env: 'live' });
    // A sandbox assertion presented to a live RP, with the live keys: invalid (issuer and signature).
    expect(
      await code(
        verifyAssertion(sandboxAssertion, { service: svc, audience: liveRp.clientId, jwks: liveJwks }),
      ),
    ).toBe('ERR_ASSERTION_INVALID');
    // Even when the attacker gets the key set mixed in: the issuer is still the live one.
    const both = { keys: [...liveJwks.keys, ...sandboxJwks.keys] };
    expect(
      await code(verifyAssertion(sandboxAssertion, { service: svc, audience: liveRp.clientId, jwks: both })),
    ).toBe('ERR_ASSERTION_INVALID');
    expect(
      await code(
        verifyAssertion(liveAssertion, { service: svc, audience: sandboxRp.clientId, jwks: sandboxJwks }),
      ),
    ).toBe('ERR_ASSERTION_INVALID');
    // A live RP configured with the sandbox issuer is a configuration error, not a silent accept.
    expect(
      await code(
        verifyAssertion(sandboxAssertion, {
          issuer: `${svc}/sandbox`,
          audience: liveRp.clientId,
          jwks: sandboxJwks,
        }),
      ),
    ).toBe('ERR_CONFIG');
  });

  it("the SDK client fetches its environment's key set from the service and verifies with it", async () => {
    const fetched: string[] = [];
    const clientFor = (rp: RpClient) =>
      createClient({
        baseUrl: w.serviceUrl,
        clientId: rp.clientId,
        privateKey: rp.privateJwk,
        fetch: (url, init) => {
          fetched.push(new URL(String(url)).pathname);
          return w.fetch(String(url).slice(w.serviceUrl.length), init as RequestInit);
        },
      });
    const sandbox = clientFor(sandboxRp);
    const live = clientFor(liveRp);
    await expect(sandbox.verifyAssertion(sandboxAssertion)).resolves.toMatchObject({ env: 'sandbox' });
    await expect(live.verifyAssertion(liveAssertion)).resolves.toMatchObject({ env: 'live' });
    expect(await code(live.verifyAssertion(sandboxAssertion))).toBe('ERR_ASSERTION_INVALID');
    expect(await code(sandbox.verifyAssertion(liveAssertion))).toBe('ERR_ASSERTION_INVALID');
    expect(fetched.sort()).toEqual(['/.well-known/jwks.json', '/sandbox/.well-known/jwks.json']);
  });
});

describe('signing key configuration fails closed', () => {
  it('sandbox keys that are live ones (same key under another kid): neither JWKS is served (500)', async () => {
    const live = { current: await newEcJwk('live-1'), next: await newEcJwk('live-2') };
    const shared = await startWorker({
      endpoint: db.endpoint,
      prefix: db.prefix,
      bindings: {
        SERVICE_SIGNING_KEYS: JSON.stringify(live),
        SANDBOX_SIGNING_KEYS: JSON.stringify({ current: { ...live.next, kid: 'sandbox-copy' } }),
      },
    });
    try {
      for (const path of ['/.well-known/jwks.json', '/sandbox/.well-known/jwks.json']) {
        const res = await shared.fetch(path);
        expect(res.status, path).toBe(500);
        expect(((await res.json()) as { code: string }).code).toBe('ERR_INTERNAL');
      }
      // Nor is anything signed: a sandbox verification fails before an assertion exists.
      await expectNoAssertion(shared);
    } finally {
      await shared.stop();
    }
  });

  it('without SANDBOX_SIGNING_KEYS the sandbox JWKS fails closed; the live one is unaffected', async () => {
    const noSandbox = await startWorker({
      endpoint: db.endpoint,
      prefix: db.prefix,
      bindings: { SANDBOX_SIGNING_KEYS: '' },
    });
    try {
      expect((await noSandbox.fetch('/sandbox/.well-known/jwks.json')).status).toBe(500);
      const live = await noSandbox.fetch('/.well-known/jwks.json');
      expect(live.status).toBe(200);
      const kids = ((await live.json()) as { keys: JWK[] }).keys.map((k) => k.kid);
      expect(kids).toEqual([noSandbox.signingKeys.current.kid, noSandbox.signingKeys.next.kid]);
    } finally {
      await noSandbox.stop();
    }
  });
});
