/** Request signing: header/claims per SERVICE-CONTRACT.md "RP authentication", RFC 8725 key rules. */
import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { decodeProtectedHeader, exportJWK, generateKeyPair, generateSecret, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { isChipIdError } from '../errors.ts';
import type { ChipDumpJSON } from '../icao/dump.ts';
import { importSigningKey } from './keys.ts';
import { randomJti, signAuthToken, signVerificationRequest } from './sign.ts';

const AUD = 'http://127.0.0.1:8787';
const DUMP: ChipDumpJSON = { format: 'chipid.dump/1', sod: 'dwA=', dg1: 'YQA=', dg13: 'bQA=' };

let es: { priv: JWK; pub: CryptoKey };
let ed: { priv: JWK; pub: CryptoKey };

beforeAll(async () => {
  const e = await generateKeyPair('ES256', { extractable: true });
  es = { priv: { ...(await exportJWK(e.privateKey)), kid: 'es-1', alg: 'ES256' }, pub: e.publicKey };
  const d = await generateKeyPair('EdDSA', { extractable: true });
  ed = { priv: { ...(await exportJWK(d.privateKey)), kid: 'ed-1', alg: 'EdDSA' }, pub: d.publicKey };
});

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, `expected ${code}`).toBeDefined();
  expect(isChipIdError(e) && e.code).toBe(code);
}

describe('signVerificationRequest', () => {
  it('signs an ES256 chipid-request+jwt with the contract claims', async () => {
    const now = new Date();
    const jws = await signVerificationRequest({
      clientId: 'sandbox_demo',
      privateKey: es.priv,
      audience: AUD,
      chip: DUMP,
      scope: ['given_name', 'age_over_18'],
      purpose: 'account opening',
      challengeId: 'ch_1',
      now,
    });
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', typ: 'chipid-request+jwt', kid: 'es-1' });
    const { payload } = await jwtVerify(jws, es.pub, {
      issuer: 'sandbox_demo',
      audience: AUD,
      typ: 'chipid-request+jwt',
      algorithms: ['ES256'],
    });
    const iat = Math.floor(now.getTime() / 1000);
    expect(payload.iat).toBe(iat);
    expect(payload.exp).toBe(iat + 120);
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(payload.scope).toEqual(['given_name', 'age_over_18']);
    expect(payload.purpose).toBe('account opening');
    expect(payload.challenge_id).toBe('ch_1');
    // chip_digest = base64url(SHA-256(JSON with sorted keys)), computed independently here.
    const canon = JSON.stringify({ dg1: DUMP.dg1, dg13: DUMP.dg13, format: DUMP.format, sod: DUMP.sod });
    expect(payload.chip_digest).toBe(createHash('sha256').update(canon).digest('base64url'));
  });

  it('signs EdDSA with an Ed25519 key, omits challenge_id when absent, honours ttl/now/jti', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const jws = await signVerificationRequest({
      clientId: 'live_acme',
      privateKey: ed.priv,
      audience: AUD,
      chip: DUMP,
      scope: [],
      purpose: 'step-up',
      ttlSeconds: 300,
      now,
      jti: 'fixed-jti',
    });
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'EdDSA', typ: 'chipid-request+jwt', kid: 'ed-1' });
    const { payload } = await jwtVerify(jws, ed.pub, { currentDate: now, algorithms: ['EdDSA'] });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.jti).toBe('fixed-jti');
    expect('challenge_id' in payload).toBe(false);
  });

  it('uses a fresh jti every time', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const jws = await signVerificationRequest({
        clientId: 'sandbox_demo',
        privateKey: es.priv,
        audience: AUD,
        chip: DUMP,
        scope: [],
        purpose: 'x',
      });
      seen.add((await jwtVerify(jws, es.pub)).payload.jti!);
    }
    expect(seen.size).toBe(20);
    expect(new Set(Array.from({ length: 100 }, randomJti)).size).toBe(100);
  });

  /** Valid inputs; each case changes one. */
  const ok = () => ({
    clientId: 'sandbox_demo',
    privateKey: es.priv,
    audience: AUD,
    chip: DUMP,
    scope: [] as string[],
    purpose: 'p',
  });

  it('refuses bad inputs with ERR_REQUEST_INVALID / ERR_DUMP_INVALID', async () => {
    await expectCode(signVerificationRequest({ ...ok(), clientId: 'demo' }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), audience: 'not a url' }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), ttlSeconds: 301 }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), ttlSeconds: 0 }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), purpose: '' }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), purpose: 'x'.repeat(201) }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), purpose: 'a\nb' }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), scope: ['a b'] }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), scope: ['name', 'name'] }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), challengeId: '' }), 'ERR_REQUEST_INVALID');
    await expectCode(signVerificationRequest({ ...ok(), now: new Date(Number.NaN) }), 'ERR_REQUEST_INVALID');
    const badChip = { ...DUMP, extra: 'x' } as unknown as ChipDumpJSON;
    await expectCode(signVerificationRequest({ ...ok(), chip: badChip }), 'ERR_DUMP_INVALID');
  });

  it('says which scope name, client id or dump field is wrong', async () => {
    const message = (p: Promise<unknown>) =>
      p.then(
        () => 'signed',
        (e: Error) => e.message,
      );
    // A typo would otherwise drop out of the answer silently (the service ignores names it does not know).
    expect(await message(signVerificationRequest({ ...ok(), scope: ['name', 'givenname'] }))).toMatch(
      /^request: scope entries are claim names \(given_name, .*\); 'givenname' is none$/,
    );
    expect(await message(signVerificationRequest({ ...ok(), scope: ['given_name', 'age_over_18'] }))).toBe(
      'signed',
    );
    // Ids the service can never register (it takes sandbox_/live_ and 3–64 of A–Z a–z 0–9 _ -).
    for (const clientId of ['sandbox_x', 'sandbox_a.b', `live_${'a'.repeat(65)}`, 'test_demo'])
      expect(await message(signVerificationRequest({ ...ok(), clientId })), clientId).toMatch(
        /^request: clientId must be/,
      );
    expect(await message(signVerificationRequest({ ...ok(), clientId: 'live_a-b_C9' }))).toBe('signed');
    // An unknown dump member is named (the key, never a value).
    const badChip = { ...DUMP, dg3: 'AAAA' } as unknown as ChipDumpJSON;
    expect(await message(signVerificationRequest({ ...ok(), chip: badChip }))).toMatch(
      /^chip: invalid field \(root\): Unrecognized key: "dg3"$/,
    );
  });
});

describe('signAuthToken', () => {
  it('signs a chipid-auth+jwt bound to method and path, exp − iat ≤ 60', async () => {
    const tok = await signAuthToken({
      clientId: 'sandbox_demo',
      privateKey: es.priv,
      audience: AUD,
      method: 'post',
      path: '/v1/challenges',
    });
    expect(decodeProtectedHeader(tok)).toEqual({ alg: 'ES256', typ: 'chipid-auth+jwt', kid: 'es-1' });
    const { payload } = await jwtVerify(tok, es.pub, { audience: AUD, issuer: 'sandbox_demo' });
    expect(payload.htm).toBe('POST');
    expect(payload.htu).toBe('/v1/challenges');
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
  });

  it('refuses ttl > 60 and paths with a query', async () => {
    const ok = { clientId: 'sandbox_demo', privateKey: ed.priv, audience: AUD, method: 'GET', path: '/v1/x' };
    await expectCode(signAuthToken({ ...ok, ttlSeconds: 61 }), 'ERR_REQUEST_INVALID');
    await expectCode(signAuthToken({ ...ok, path: '/v1/x?a=1' }), 'ERR_REQUEST_INVALID');
    await expectCode(signAuthToken({ ...ok, path: 'v1/x' }), 'ERR_REQUEST_INVALID');
    await expectCode(signAuthToken({ ...ok, method: 'G T' }), 'ERR_REQUEST_INVALID');
    expect(decodeProtectedHeader(await signAuthToken({ ...ok, ttlSeconds: 10 })).alg).toBe('EdDSA');
  });
});

describe('keys', () => {
  it('refuses RSA, HMAC and other curves with ERR_KEY_UNSUPPORTED', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const rsaJwk = { ...(await exportJWK(rsa.privateKey)), kid: 'r' };
    await expectCode(importSigningKey(rsaJwk), 'ERR_KEY_UNSUPPORTED');
    await expectCode(importSigningKey(rsa.privateKey, 'r'), 'ERR_KEY_UNSUPPORTED');
    const hs = await generateSecret('HS256', { extractable: true });
    await expectCode(importSigningKey({ ...(await exportJWK(hs)), kid: 'h' }), 'ERR_KEY_UNSUPPORTED');
    await expectCode(importSigningKey(hs as CryptoKey, 'h'), 'ERR_KEY_UNSUPPORTED');
    const p384 = await generateKeyPair('ES384', { extractable: true });
    await expectCode(
      importSigningKey({ ...(await exportJWK(p384.privateKey)), kid: 'p' }),
      'ERR_KEY_UNSUPPORTED',
    );
    await expectCode(importSigningKey({ ...es.priv, alg: 'ES384' }), 'ERR_KEY_UNSUPPORTED');
    const ok = { clientId: 'sandbox_demo', audience: AUD, chip: DUMP, scope: [], purpose: 'p' };
    await expectCode(signVerificationRequest({ ...ok, privateKey: rsaJwk }), 'ERR_KEY_UNSUPPORTED');
  });

  it('refuses public keys and keys without kid with ERR_KEY_INVALID', async () => {
    const { d: _d, ...pub } = es.priv;
    await expectCode(importSigningKey(pub), 'ERR_KEY_INVALID');
    const { kid: _k, ...noKid } = es.priv;
    await expectCode(importSigningKey(noKid), 'ERR_KEY_INVALID');
    await expectCode(importSigningKey(es.pub, 'x'), 'ERR_KEY_INVALID');
    const kp = await generateKeyPair('ES256');
    await expectCode(importSigningKey(kp.privateKey), 'ERR_KEY_INVALID');
    const k = await importSigningKey(kp.privateKey, 'ck-1');
    expect({ alg: k.alg, kid: k.kid }).toEqual({ alg: 'ES256', kid: 'ck-1' });
  });
});
