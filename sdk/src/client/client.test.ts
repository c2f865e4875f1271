/**
 * Client transport against a real local HTTP server (node:http on 127.0.0.1, port 0) that misbehaves on
 * purpose: 503 then 200, 429 with Retry-After, a hung answer, dropped connections, problem documents.
 * The end-to-end tests against the real Worker live in test/ (H4).
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK, JWTPayload } from 'jose';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClientError, isChipIdError } from '../errors.ts';
import type { ChipDumpJSON } from '../icao/dump.ts';
import { chipDigest } from '../icao/dump.ts';
import { fromBase64, toBase64 } from '../lib/bytes.ts';
import { createClient } from './client.ts';

type Behaviour =
  | 'ok'
  | 'hang'
  | 'drop'
  | { status: number; code?: string; retryAfter?: string }
  | { ok: 'mismatch' };

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const CHALLENGE = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const DUMP: ChipDumpJSON = {
  format: 'chipid.dump/1',
  sod: 'dwA=',
  dg1: 'YQA=',
  aa: { challenge: toBase64(CHALLENGE), signature: 'AAEC' },
};

let server: Server;
let base: string;
let rpPrivate: JWK;
let rpPublic: CryptoKey;
let svcKey: CryptoKey;
let svcJwk: JWK;
let script: Behaviour[];
let seen: Seen[];
let jwksFetches: number;
const hung: ServerResponse[] = [];

function problem(res: ServerResponse, status: number, code: string, extra: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...extra });
  res.end(
    JSON.stringify({
      type: `https://chipid.dev/problems/${code}`,
      title: 'Problem',
      status,
      detail: `rule ${code}`,
      code,
    }),
  );
}

async function assertion(p: JWTPayload): Promise<string> {
  return new SignJWT(p)
    .setProtectedHeader({ alg: 'ES256', typ: 'chipid-assertion+jwt', kid: 'svc-1' })
    .setIssuer(`${base}/sandbox`)
    .setAudience('sandbox_demo')
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(crypto.randomUUID())
    .sign(svcKey);
}

async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
  const path = req.url ?? '/';
  // A sandbox client's keys: the sandbox issuer's JWKS (the live one is never asked).
  if (path === '/sandbox/.well-known/jwks.json') {
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [svcJwk] }));
    return;
  }
  seen.push({ method: req.method ?? '', path, headers: req.headers, body });
  const b = script.shift() ?? 'ok';
  if (b === 'hang') {
    hung.push(res);
    return;
  }
  if (b === 'drop') {
    req.socket.destroy();
    return;
  }
  if (typeof b === 'object' && 'status' in b) {
    problem(res, b.status, b.code ?? 'ERR_X', b.retryAfter ? { 'retry-after': b.retryAfter } : {});
    return;
  }
  if (req.method === 'POST' && path === '/v1/challenges') {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'ch_1',
        challenge: toBase64(CHALLENGE),
        expiresAt: new Date(Date.now() + 60e3).toISOString(),
      }),
    );
    return;
  }
  if (req.method === 'POST' && path === '/v1/verifications') {
    const { request, chip } = JSON.parse(body) as { request: string; chip: ChipDumpJSON };
    const { payload } = await jwtVerify(request, rpPublic, { audience: base, issuer: 'sandbox_demo' });
    if (payload.chip_digest !== (await chipDigest(chip))) return problem(res, 400, 'ERR_REQUEST_INVALID');
    const a = await assertion({ txn: 'ver_1', result: 'verified', reasons: [] });
    res.writeHead(200, { 'content-type': 'application/json' });
    const result = typeof b === 'object' && 'ok' in b ? 'rejected' : 'verified';
    res.end(JSON.stringify({ id: 'ver_1', result, reasons: [], assertion: a }));
    return;
  }
  if (req.method === 'GET' && path.startsWith('/v1/verifications/')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'ver_1',
        result: 'verified',
        reasons: [],
        createdAt: '2026-11-23T10:00:00Z',
        checks: [],
      }),
    );
    return;
  }
  problem(res, 404, 'ERR_NOT_FOUND');
}

beforeAll(async () => {
  const rp = await generateKeyPair('ES256', { extractable: true });
  rpPrivate = { ...(await exportJWK(rp.privateKey)), kid: 'rp-1', alg: 'ES256' };
  rpPublic = rp.publicKey;
  const svc = await generateKeyPair('ES256', { extractable: true });
  svcKey = svc.privateKey;
  svcJwk = { ...(await exportJWK(svc.publicKey)), kid: 'svc-1', alg: 'ES256', use: 'sig' };
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      handle(req, res, body).catch(() => problem(res, 500, 'ERR_INTERNAL'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  script = [];
  seen = [];
  jwksFetches = 0;
});

afterEach(() => {
  for (const r of hung.splice(0)) r.destroy();
});

function client(over: Record<string, unknown> = {}) {
  return createClient({
    baseUrl: `${base}/`,
    clientId: 'sandbox_demo',
    privateKey: rpPrivate,
    retryBaseDelayMs: 10,
    timeoutMs: 2000,
    ...over,
  });
}

async function caught(p: Promise<unknown>): Promise<ClientError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(ClientError);
  return e as ClientError;
}

const verifyOpts = {
  scope: ['given_name'],
  purpose: 'test',
  challenge: { id: 'ch_1', challenge: CHALLENGE },
};

describe('verify: retries and idempotency', () => {
  it('retries a 503 with the same Idempotency-Key and the same JWS, then verifies the assertion', async () => {
    script = [{ status: 503, code: 'ERR_STORE_UNAVAILABLE', retryAfter: '0' }, 'ok'];
    const out = await client().verify(DUMP, verifyOpts);
    expect(out).toMatchObject({ id: 'ver_1', result: 'verified', reasons: [] });
    expect(out.claims?.txn).toBe('ver_1');
    expect(out.claims?.aud).toBe('sandbox_demo');
    expect(seen).toHaveLength(2);
    const [a, b] = seen as [Seen, Seen];
    expect(a.headers['idempotency-key']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(b.headers['idempotency-key']).toBe(a.headers['idempotency-key']);
    expect(b.body).toBe(a.body);
    const { request } = JSON.parse(a.body) as { request: string };
    expect(decodeProtectedHeader(request)).toEqual({ alg: 'ES256', typ: 'chipid-request+jwt', kid: 'rp-1' });
    const { payload } = await jwtVerify(request, rpPublic);
    expect(payload).toMatchObject({
      iss: 'sandbox_demo',
      aud: base,
      challenge_id: 'ch_1',
      scope: ['given_name'],
    });
    expect(a.headers.authorization).toBeUndefined();
    expect(jwksFetches).toBe(1);
  });

  it('honours Retry-After on 429', async () => {
    script = [{ status: 429, code: 'ERR_RATE_LIMITED', retryAfter: '1' }, 'ok'];
    const t0 = Date.now();
    const out = await client().verify(DUMP, verifyOpts);
    expect(out.result).toBe('verified');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.headers['idempotency-key']).toBe(seen[0]?.headers['idempotency-key']);
  });

  it('gives up at once when Retry-After exceeds maxRetryDelayMs', async () => {
    script = [{ status: 429, code: 'ERR_RATE_LIMITED', retryAfter: '120' }, 'ok'];
    const e = await caught(client().verify(DUMP, verifyOpts));
    expect(e.code).toBe('ERR_RATE_LIMITED');
    expect(e.status).toBe(429);
    expect(seen).toHaveLength(1);
  });

  it('retries after a timeout and after a dropped connection, same key and body', async () => {
    script = ['hang', 'drop', 'ok'];
    const out = await client({ timeoutMs: 300 }).verify(DUMP, verifyOpts);
    expect(out.result).toBe('verified');
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.headers['idempotency-key'])).size).toBe(1);
    expect(new Set(seen.map((s) => s.body)).size).toBe(1);
  });

  it('uses a caller-supplied Idempotency-Key and a new one per call otherwise', async () => {
    await client().verify(DUMP, { ...verifyOpts, idempotencyKey: 'order-42' });
    await client().verify(DUMP, verifyOpts);
    await client().verify(DUMP, verifyOpts);
    expect(seen[0]?.headers['idempotency-key']).toBe('order-42');
    expect(seen[1]?.headers['idempotency-key']).not.toBe(seen[2]?.headers['idempotency-key']);
    expect(seen[1]?.body).not.toBe(seen[2]?.body); // fresh jti per call
  });

  it('never retries other 4xx (or 500), and maps the problem code', async () => {
    for (const [status, code, expected] of [
      [400, 'ERR_VALIDATION', 'ERR_VALIDATION'],
      [401, 'ERR_REQUEST_REPLAYED', 'ERR_REQUEST_REPLAYED'],
      [409, 'ERR_IDEMPOTENCY_CONFLICT', 'ERR_IDEMPOTENCY_CONFLICT'],
      [422, 'ERR_SOMETHING_NEW', 'ERR_HTTP'],
      [500, 'ERR_INTERNAL', 'ERR_INTERNAL'],
    ] as const) {
      seen = [];
      script = [{ status, code }, 'ok'];
      const e = await caught(client().verify(DUMP, verifyOpts));
      expect(e.code).toBe(expected);
      expect(e.status).toBe(status);
      expect(e.problem?.code).toBe(code);
      expect(e.message).toContain(`rule ${code}`);
      expect(seen).toHaveLength(1);
    }
  });

  it('stops after `retries` attempts with the last error', async () => {
    const s = { status: 503, code: 'ERR_STORE_UNAVAILABLE' } as const;
    script = [s, s, s, s];
    const e = await caught(client({ retries: 2 }).verify(DUMP, verifyOpts));
    expect(e.code).toBe('ERR_STORE_UNAVAILABLE');
    expect(seen).toHaveLength(3);
  });

  it('reports an unreachable service as ERR_NETWORK', async () => {
    const e = await caught(
      createClient({
        baseUrl: 'http://127.0.0.1:1',
        clientId: 'sandbox_demo',
        privateKey: rpPrivate,
        retries: 1,
        retryBaseDelayMs: 1,
      }).verify(DUMP, verifyOpts),
    );
    expect(e.code).toBe('ERR_NETWORK');
    // It names what could not be reached, and why.
    expect(e.message).toBe('POST http://127.0.0.1:1/v1/verifications: network error (bad port)');
    // A port nobody listens on: the system's refusal.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await caught(
      createClient({
        baseUrl: `http://127.0.0.1:${port}`,
        clientId: 'sandbox_demo',
        privateKey: rpPrivate,
        retries: 0,
      }).verify(DUMP, verifyOpts),
    );
    expect(refused.message).toBe(
      `POST http://127.0.0.1:${port}/v1/verifications: network error (ECONNREFUSED)`,
    );
  });

  it('refuses an answer whose assertion says something else', async () => {
    script = [{ ok: 'mismatch' }];
    const e = await caught(client().verify(DUMP, verifyOpts));
    expect(e.code).toBe('ERR_ASSERTION_INVALID');
  });

  it('checks the dump against the challenge bytes before sending', async () => {
    const e = await caught(
      client().verify(DUMP, { ...verifyOpts, challenge: { id: 'c', challenge: new Uint8Array(8) } }),
    );
    expect(e.code).toBe('ERR_REQUEST_INVALID');
    // A card with Active Authentication (DG15) whose dump has no answer: refused before sending.
    const { aa: _aa, ...noAa } = DUMP;
    const withDg15 = { ...noAa, dg15: 'bwA=' };
    const unanswered = await caught(client().verify(withDg15, verifyOpts));
    expect(unanswered.code).toBe('ERR_REQUEST_INVALID');
    expect(unanswered.message).toMatch(/DG15.*no aa answer/);
    expect(seen).toHaveLength(0);
  });

  it('sends a card without Active Authentication (no DG15) with the challenge id: the service decides', async () => {
    script = ['ok'];
    const { aa: _aa, ...noAa } = DUMP;
    const out = await client().verify(noAa, verifyOpts);
    expect(out.result).toBe('verified');
    expect(seen).toHaveLength(1);
    const { request } = JSON.parse(seen[0]!.body) as { request: string };
    const claims = JSON.parse(new TextDecoder().decode(fromBase64(request.split('.')[1]!))) as Record<
      string,
      unknown
    >;
    expect(claims.challenge_id).toBe('ch_1');
  });

  it('can be aborted by the caller', async () => {
    script = ['hang'];
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 100);
    const e = await caught(client().verify(DUMP, { ...verifyOpts, signal: ctrl.signal }));
    expect(e.code).toBe('ERR_NETWORK');
    expect(seen).toHaveLength(1);
  });
});

describe('challenge, getVerification, verifyAssertion', () => {
  it('gets a challenge with a fresh auth token per attempt and one Idempotency-Key', async () => {
    script = [{ status: 502 }, 'ok'];
    const ch = await client().challenge();
    expect(ch.id).toBe('ch_1');
    expect(ch.challenge).toEqual(CHALLENGE);
    expect(ch.expiresAt).toBeInstanceOf(Date);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.headers['idempotency-key']).toBe(seen[0]?.headers['idempotency-key']);
    const tokens = seen.map((s) => (s.headers.authorization ?? '').replace(/^Bearer /, ''));
    expect(tokens[0]).not.toBe(tokens[1]);
    for (const t of tokens) {
      expect(decodeProtectedHeader(t).typ).toBe('chipid-auth+jwt');
      const { payload } = await jwtVerify(t, rpPublic, { audience: base, issuer: 'sandbox_demo' });
      expect(payload).toMatchObject({ htm: 'POST', htu: '/v1/challenges' });
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
    }
  });

  it('reads a verification with a GET-bound token; maps 404', async () => {
    const rec = await client().getVerification('ver_1');
    expect(rec).toMatchObject({ id: 'ver_1', result: 'verified', checks: [] });
    expect(rec.createdAt.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    const t = (seen[0]?.headers.authorization ?? '').replace(/^Bearer /, '');
    expect((await jwtVerify(t, rpPublic)).payload).toMatchObject({
      htm: 'GET',
      htu: '/v1/verifications/ver_1',
    });
    script = [{ status: 404, code: 'ERR_NOT_FOUND' }];
    expect((await caught(client().getVerification('other'))).code).toBe('ERR_NOT_FOUND');
  });

  it('verifies assertions with the cached service JWKS; unknown kid rejected without a refetch storm', async () => {
    const c = client();
    const a = await assertion({ txn: 'ver_9', result: 'inconclusive', reasons: ['aa_failed'] });
    for (let i = 0; i < 3; i++) expect((await c.verifyAssertion(a)).reasons).toEqual(['aa_failed']);
    expect(jwksFetches).toBe(1);
    const other = await new SignJWT({ txn: 't', result: 'verified', reasons: [] })
      .setProtectedHeader({ alg: 'ES256', typ: 'chipid-assertion+jwt', kid: 'svc-2' })
      .setIssuer(`${base}/sandbox`)
      .setAudience('sandbox_demo')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('x')
      .sign(svcKey);
    for (let i = 0; i < 3; i++) {
      const e = await c.verifyAssertion(other).catch((x: unknown) => x);
      expect(isChipIdError(e) && e.code).toBe('ERR_ASSERTION_INVALID');
    }
    expect(jwksFetches).toBeLessThanOrEqual(2);
    // The assertion is for sandbox_demo: another client must refuse it.
    const e2 = await client({ clientId: 'sandbox_other' })
      .verifyAssertion(a)
      .catch((x: unknown) => x);
    expect(isChipIdError(e2) && e2.code).toBe('ERR_ASSERTION_INVALID');
  });

  it('validates its configuration', () => {
    expect(() =>
      createClient({ baseUrl: 'ftp://x', clientId: 'sandbox_demo', privateKey: rpPrivate }),
    ).toThrow(/baseUrl/);
    expect(() => createClient({ baseUrl: base, clientId: 'demo', privateKey: rpPrivate })).toThrow(
      /clientId/,
    );
    // An id the service could never register (too short; a dot) is a configuration error up front.
    for (const clientId of ['sandbox_x', 'sandbox_a.b'])
      expect(() => createClient({ baseUrl: base, clientId, privateKey: rpPrivate }), clientId).toThrow(
        /clientId must be sandbox_ or live_ and 3–64 of/,
      );
    expect(() =>
      createClient({ baseUrl: base, clientId: 'sandbox_demo', privateKey: rpPrivate, retries: -1 }),
    ).toThrow(/retries/);
  });
});
