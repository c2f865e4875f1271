/**
 * Security: RP authentication of the real Worker (workerd + DynamoDB Local) — RFC 8725 rules:
 * replays, lifetimes, audience, key selection, disabled keys/clients (also where the isolate has the
 * client cached), requests that fail their signature not counted against the client's rate limit, `alg: none`, HS256 with the
 * public key as HMAC secret, wrong `typ`, injected `jwk` header, cross-client reads.
 */
import { createHmac } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getClient, putClient } from '../../functions/src/store/clients.ts';
import { getItems } from '../../functions/src/store/db.ts';
import { keys } from '../../functions/src/store/keys.ts';
import type { ChipDumpJSON } from '../../sdk/src/icao/dump.ts';
import { chipDigest } from '../../sdk/src/icao/dump.ts';
import { useTables } from '../support/dynamodb.ts';
import {
  newEcJwk,
  postVerification,
  publicOf,
  type RpClient,
  registerClient,
  startWorker,
  type TestWorker,
} from '../support/worker.ts';

const db = useTables();
let w: TestWorker;
let rp: RpClient;

/** Schema-valid dump whose SOD is garbage: passive authentication fails, the flow still completes. */
const junkChip: ChipDumpJSON = {
  format: 'chipid.dump/1',
  sod: Buffer.from('7701ff', 'hex').toString('base64'),
  dg1: Buffer.from('61035f1f00', 'hex').toString('base64'),
};

beforeAll(async () => {
  w = await startWorker({ endpoint: db.endpoint, prefix: db.prefix });
  rp = await registerClient(w);
});
afterAll(async () => {
  await w?.stop();
});

async function code(res: Response): Promise<string> {
  const body = (await res.json()) as { code?: string };
  return body.code ?? `(no code, status ${res.status})`;
}

/** A raw compact JWS with an arbitrary header (for attacks the SDK signer refuses to build). */
function rawJws(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  sign: (input: string) => string,
): string {
  const h = base64url.encode(JSON.stringify(header));
  const p = base64url.encode(JSON.stringify(claims));
  return `${h}.${p}.${sign(`${h}.${p}`)}`;
}

async function requestClaims(rpc: RpClient, chip: ChipDumpJSON, over: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: rpc.clientId,
    aud: w.serviceUrl,
    iat: now,
    exp: now + 120,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    purpose: 'security test',
    scope: ['name'],
    chip_digest: await chipDigest(chip),
    ...over,
  };
}

async function send(request: string, chip: ChipDumpJSON = junkChip): Promise<Response> {
  return postVerification(w, rp, chip, { request });
}

describe('verification request token', () => {
  it('a valid request completes (baseline for the attacks below)', async () => {
    const res = await postVerification(w, rp, junkChip);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: string; reasons: string[] };
    expect(body.result).toBe('rejected');
    expect(body.reasons).toContain('sod_invalid');
  });

  it('replay of the same signed request → 409 ERR_REQUEST_REPLAYED', async () => {
    const request = await rp.request(junkChip);
    expect((await send(request)).status).toBe(200);
    const again = await send(request);
    expect(again.status).toBe(409);
    expect(await code(again)).toBe('ERR_REQUEST_REPLAYED');
  });

  it('expired request → 401', async () => {
    const request = await rp.request(junkChip, { now: new Date(Date.now() - 10 * 60_000), ttlSeconds: 120 });
    const res = await send(request);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await code(res)).toBe('ERR_UNAUTHORIZED');
  });

  it('iat in the future (beyond the clock skew) → 401', async () => {
    const request = await rp.request(junkChip, { now: new Date(Date.now() + 5 * 60_000) });
    const res = await send(request);
    expect(res.status).toBe(401);
  });

  it('lifetime over 300 s → 401', async () => {
    const claims = await requestClaims(rp, junkChip, { exp: Math.floor(Date.now() / 1000) + 3600 });
    const request = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'chipid-request+jwt', kid: rp.kid })
      .sign(await importPrivate(rp));
    expect((await send(request)).status).toBe(401);
  });

  it('wrong audience → 401', async () => {
    const claims = await requestClaims(rp, junkChip, { aud: 'https://evil.example' });
    const request = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'chipid-request+jwt', kid: rp.kid })
      .sign(await importPrivate(rp));
    expect((await send(request)).status).toBe(401);
  });

  it('wrong typ (an auth token used as a request) → 401', async () => {
    const claims = await requestClaims(rp, junkChip);
    const request = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'chipid-auth+jwt', kid: rp.kid })
      .sign(await importPrivate(rp));
    expect((await send(request)).status).toBe(401);
  });

  it('unknown kid → 401', async () => {
    const claims = await requestClaims(rp, junkChip);
    const request = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'chipid-request+jwt', kid: 'not-registered' })
      .sign(await importPrivate(rp));
    expect((await send(request)).status).toBe(401);
  });

  it('a key in the token header (jwk) is never used: attacker key + embedded jwk → 401', async () => {
    const attacker = await newEcJwk(rp.kid);
    const claims = await requestClaims(rp, junkChip);
    const { importJWK } = await import('jose');
    const request = await new SignJWT(claims)
      .setProtectedHeader({
        alg: 'ES256',
        typ: 'chipid-request+jwt',
        kid: rp.kid,
        jwk: publicOf(attacker) as never,
      })
      .sign(await importJWK(attacker, 'ES256'));
    expect((await send(request)).status).toBe(401);
  });

  it('signed by another key under the right kid → 401', async () => {
    const attacker = await newEcJwk(rp.kid);
    const claims = await requestClaims(rp, junkChip);
    const { importJWK } = await import('jose');
    const request = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'chipid-request+jwt', kid: rp.kid })
      .sign(await importJWK(attacker, 'ES256'));
    expect((await send(request)).status).toBe(401);
  });

  it('alg none → 401', async () => {
    const claims = await requestClaims(rp, junkChip);
    const request = rawJws({ alg: 'none', typ: 'chipid-request+jwt', kid: rp.kid }, claims, () => '');
    const res = await send(request);
    expect(res.status).toBe(401);
    expect(await code(res)).toBe('ERR_UNAUTHORIZED');
  });

  it('HS256 with the registered public key as HMAC secret → 401', async () => {
    const claims = await requestClaims(rp, junkChip);
    const pub = publicOf(rp.privateJwk);
    // Classic key-confusion attempts: the JWK JSON and the raw point as secrets.
    for (const secret of [
      JSON.stringify(pub),
      Buffer.concat([
        Buffer.from([4]),
        Buffer.from(pub.x as string, 'base64url'),
        Buffer.from(pub.y as string, 'base64url'),
      ]),
    ]) {
      const request = rawJws({ alg: 'HS256', typ: 'chipid-request+jwt', kid: rp.kid }, claims, (input) =>
        createHmac('sha256', secret).update(input).digest('base64url'),
      );
      expect((await send(request)).status).toBe(401);
    }
  });

  it('chip_digest that does not match the chip → 400 ERR_REQUEST_INVALID', async () => {
    const request = await rp.request({
      ...junkChip,
      dg1: Buffer.from('61035f1f01', 'hex').toString('base64'),
    });
    const res = await send(request);
    expect(res.status).toBe(400);
    expect(await code(res)).toBe('ERR_REQUEST_INVALID');
  });
});

describe('keys and clients', () => {
  it('disabled key → 401; rotation to a new key works; disabled client → 403', async () => {
    const c = await registerClient(w);
    const next = await newEcJwk('rotated');
    // Rotate: the old key stays registered but disabled, the new one active.
    let res = await w.admin('PATCH', `/admin/v1/clients/${c.clientId}`, {
      jwks: { keys: [{ ...publicOf(c.privateJwk), status: 'disabled' }, publicOf(next)] },
    });
    expect(res.status).toBe(200);
    res = await postVerification(w, c, junkChip);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/disabled/);

    const { signVerificationRequest } = await import('../../sdk/src/request/index.ts');
    const withNext = () =>
      signVerificationRequest({
        clientId: c.clientId,
        privateKey: next,
        audience: w.serviceUrl,
        chip: junkChip,
        scope: ['name'],
        purpose: 'rotation',
      });
    res = await postVerification(w, c, junkChip, { request: await withNext() });
    expect(res.status).toBe(200);

    res = await w.admin('PATCH', `/admin/v1/clients/${c.clientId}`, { status: 'disabled' });
    expect(res.status).toBe(200);
    res = await postVerification(w, c, junkChip, { request: await withNext() });
    expect(res.status).toBe(403);
    expect(await code(res)).toBe('ERR_FORBIDDEN');
  });

  it('a client the isolate has cached, changed elsewhere, is decided on its current record', async () => {
    // Another isolate's admin call is a write to the table this isolate does not see: made here
    // straight to DynamoDB.
    const store = { db: db.client, table: db.tableName('sandbox'), env: 'sandbox' as const };
    const c = await registerClient(w);
    expect((await postVerification(w, c, junkChip)).status).toBe(200); // the isolate caches the client
    const rec = (await getClient(store, c.clientId))!;
    const withKey = (status: 'active' | 'disabled') => ({
      ...rec,
      keys: rec.keys.map((k) => ({ ...k, status })),
    });
    await putClient(store, withKey('disabled'), 'replace');
    let res = await postVerification(w, c, junkChip);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/disabled/);

    await putClient(store, withKey('active'), 'replace');
    expect((await postVerification(w, c, junkChip)).status).toBe(200);

    await putClient(store, { ...withKey('active'), status: 'disabled' }, 'replace');
    res = await postVerification(w, c, junkChip);
    expect(res.status).toBe(403);
    expect(await code(res)).toBe('ERR_FORBIDDEN');
  });

  it('a request whose signature fails is not counted against the client', async () => {
    const store = { db: db.client, table: db.tableName('sandbox'), env: 'sandbox' as const };
    const c = await registerClient(w);
    const counts = async () => {
      const [item] = await getItems(store, [keys.client(c.clientId)]);
      return Object.entries(item ?? {})
        .filter(([k]) => k.startsWith('rate_'))
        .map(([, v]) => Number(v.N));
    };
    expect((await postVerification(w, c, junkChip)).status).toBe(200);
    const before = await counts();
    expect(before.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const attacker = await newEcJwk(c.kid);
    const { importJWK } = await import('jose');
    const forged = await new SignJWT(await requestClaims(c, junkChip))
      .setProtectedHeader({ alg: 'ES256', typ: 'chipid-request+jwt', kid: c.kid })
      .sign(await importJWK(attacker, 'ES256'));
    expect((await postVerification(w, c, junkChip, { request: forged })).status).toBe(401);
    const after = await counts();
    // Same count unless a window edge passed (then the new window holds only the genuine request).
    expect(after.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(before.reduce((a, b) => a + b, 0));
  });

  it('an RP key is not an admin credential, and the admin token is not an RP token', async () => {
    let res = await w.fetch('/admin/v1/clients', {
      method: 'POST',
      headers: {
        authorization: await rp.bearer('POST', '/admin/v1/clients'),
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(res.status).toBe(401);
    res = await w.fetch('/v1/challenges', {
      method: 'POST',
      headers: { authorization: `Bearer ${'admin-'}${'x'.repeat(24)}` },
    });
    expect(res.status).toBe(401);
  });
});

describe('auth tokens (Bearer)', () => {
  it('htm/htu must match the request', async () => {
    let res = await w.fetch('/v1/challenges', {
      method: 'POST',
      headers: { authorization: await rp.bearer('GET', '/v1/challenges') },
    });
    expect(res.status).toBe(401);
    res = await w.fetch('/v1/challenges', {
      method: 'POST',
      headers: { authorization: await rp.bearer('POST', '/v1/verifications') },
    });
    expect(res.status).toBe(401);
  });

  it('an unsigned token naming a malformed or over-long issuer → 401, never a store error (500)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = (iss: string, typ: string, extra: Record<string, unknown> = {}) =>
      rawJws(
        { alg: 'ES256', typ, kid: 'k' },
        { iss, aud: w.serviceUrl, iat: now, exp: now + 30, jti: `jti-${Math.random()}`, ...extra },
        () => 'AAAA',
      );
    // DynamoDB refuses a key over 2048 bytes with a ValidationException: the issuer must not get there.
    for (const iss of [
      `sandbox_${'A'.repeat(3000)}`,
      `live_${'é'.repeat(1500)}`,
      'sandbox_a/b',
      'sandbox_',
    ]) {
      const token = forged(iss, 'chipid-auth+jwt', { htm: 'POST', htu: '/v1/challenges' });
      const res = await w.fetch('/v1/challenges', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status, iss.slice(0, 12)).toBe(401);
      expect(await code(res)).toBe('ERR_UNAUTHORIZED');
    }
    const res = await send(
      forged(`sandbox_${'A'.repeat(3000)}`, 'chipid-request+jwt', { purpose: 'x', scope: [] }),
    );
    expect(res.status).toBe(401);
    expect(await code(res)).toBe('ERR_UNAUTHORIZED');
  });

  it('a token over 8 KiB → 401 before anything else is read', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = rawJws(
      { alg: 'ES256', typ: 'chipid-auth+jwt', kid: rp.kid },
      {
        iss: rp.clientId,
        aud: w.serviceUrl,
        iat: now,
        exp: now + 30,
        jti: 'jti-long-token',
        pad: 'x'.repeat(9000),
      },
      () => 'AAAA',
    );
    const res = await w.fetch('/v1/challenges', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toBe('token too long');
  });

  it('a GET token is single use', async () => {
    const created = (await (await postVerification(w, rp, junkChip)).json()) as { id: string };
    const path = `/v1/verifications/${created.id}`;
    const auth = await rp.bearer('GET', path);
    expect((await w.fetch(path, { headers: { authorization: auth } })).status).toBe(200);
    const again = await w.fetch(path, { headers: { authorization: auth } });
    expect(again.status).toBe(409);
    expect(await code(again)).toBe('ERR_REQUEST_REPLAYED');
  });
});

describe('cross-client and cross-environment isolation', () => {
  it("another client's verification reads as 404", async () => {
    const created = (await (await postVerification(w, rp, junkChip)).json()) as { id: string };
    const other = await registerClient(w);
    const path = `/v1/verifications/${created.id}`;
    const res = await w.fetch(path, { headers: { authorization: await other.bearer('GET', path) } });
    expect(res.status).toBe(404);
    expect(await code(res)).toBe('ERR_NOT_FOUND');
    const own = await w.fetch(path, { headers: { authorization: await rp.bearer('GET', path) } });
    expect(own.status).toBe(200);
    const rec = (await own.json()) as Record<string, unknown>;
    expect(Object.keys(rec).sort()).toEqual(['checks', 'createdAt', 'id', 'reasons', 'result']);
  });

  it("a live client's verification is invisible to a sandbox client (different table)", async () => {
    const live = await registerClient(w, { env: 'live' });
    const created = (await (await postVerification(w, live, junkChip)).json()) as { id: string };
    expect(created.id).toMatch(/^ver_/);
    const path = `/v1/verifications/${created.id}`;
    const res = await w.fetch(path, { headers: { authorization: await rp.bearer('GET', path) } });
    expect(res.status).toBe(404);
  });

  it('a sandbox key cannot sign for a live client id', async () => {
    const live = await registerClient(w, { env: 'live' });
    const claims = await requestClaims(rp, junkChip, { iss: live.clientId });
    const request = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'chipid-request+jwt', kid: rp.kid })
      .sign(await importPrivate(rp));
    expect((await send(request)).status).toBe(401);
  });
});

async function importPrivate(c: RpClient) {
  const { importJWK } = await import('jose');
  return importJWK(c.privateJwk, 'ES256');
}
