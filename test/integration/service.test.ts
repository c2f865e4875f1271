/**
 * Integration: the bundled Worker in workerd (Miniflare) against DynamoDB Local — public endpoints,
 * challenges, RFC 9457 problems (404/405/413/415/malformed JSON/validation), idempotency, rate limits,
 * the admin client listing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChipDumpJSON } from '../../sdk/src/icao/dump.ts';
import { useTables } from '../support/dynamodb.ts';
import {
  newChallenge,
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

beforeAll(async () => {
  w = await startWorker({ endpoint: db.endpoint, prefix: db.prefix });
  rp = await registerClient(w);
});
afterAll(async () => {
  await w?.stop();
});

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.status).toBe(res.status);
  expect(typeof body.type).toBe('string');
  expect(body.instance).toBe(res.headers.get('x-request-id'));
  return body;
}

describe('public endpoints', () => {
  it('GET /healthz', async () => {
    const res = await w.fetch('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('GET / points at the API description, the keys and the sandbox console (not a 404)', async () => {
    const res = await w.fetch('/');
    expect(res.status).toBe(200);
    const links = (await res.json()) as Record<string, string>;
    expect(links).toMatchObject({ service: 'chipid', openapi: '/openapi.json', console: '/console' });
    for (const path of [links.openapi, links.jwks, links.health])
      expect((await w.fetch(path as string)).status, path).toBe(200);
  });

  it('GET /readyz reads both tables', async () => {
    const res = await w.fetch('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('GET /.well-known/jwks.json publishes current and next public keys only', async () => {
    const res = await w.fetch('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    expect(keys.map((k) => k.kid)).toEqual(['svc-current', 'svc-next']);
    for (const k of keys) {
      expect(k.d).toBeUndefined();
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    }
  });

  it('GET /openapi.json is generated from the route schemas', async () => {
    const res = await w.fetch('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/challenges',
        '/v1/verifications',
        '/v1/verifications/{id}',
        '/admin/v1/clients',
        '/healthz',
      ]),
    );
    expect(doc.paths['/v1/verifications']?.post).toBeDefined();
  });
});

describe('challenges', () => {
  it('POST /v1/challenges issues 8 random bytes, bound to the client, expiring within 120 s', async () => {
    const before = Date.now();
    const c = await newChallenge(w, rp);
    expect(c.id).toMatch(/^chl_/);
    expect(Buffer.from(c.challenge, 'base64')).toHaveLength(8);
    const exp = Date.parse(c.expiresAt);
    expect(exp).toBeGreaterThan(before);
    expect(exp - before).toBeLessThanOrEqual(121_000);
    const c2 = await newChallenge(w, rp);
    expect(c2.challenge).not.toBe(c.challenge);
  });

  it('answers with RateLimit headers', async () => {
    const res = await w.fetch('/v1/challenges', {
      method: 'POST',
      headers: { authorization: await rp.bearer('POST', '/v1/challenges') },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('ratelimit-policy')).toBe('"default";q=600;w=60');
    expect(res.headers.get('ratelimit')).toMatch(/^"default";r=\d+;t=\d+$/);
  });
});

describe('problems (RFC 9457)', () => {
  it('404 for an unknown path', async () => {
    const res = await w.fetch('/nope');
    expect(res.status).toBe(404);
    expect(await problem(res)).toMatchObject({
      code: 'ERR_NOT_FOUND',
      type: 'urn:chipid:problem:not-found',
    });
  });

  it('405 with Allow for a known path and a wrong method', async () => {
    const res = await w.fetch('/v1/challenges', { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('POST');
    expect(await problem(res)).toMatchObject({ code: 'ERR_METHOD_NOT_ALLOWED' });
  });

  it('413 for a body over 2 MiB', async () => {
    const res = await w.fetch('/v1/verifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request: 'x', chip: { pad: 'a'.repeat(2 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(await problem(res)).toMatchObject({ code: 'ERR_PAYLOAD_TOO_LARGE' });
  });

  it('400 ERR_MALFORMED_JSON for a body that is not JSON', async () => {
    const res = await w.fetch('/v1/verifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"request": "a.b.c", "chip": {',
    });
    expect(res.status).toBe(400);
    expect(await problem(res)).toMatchObject({ code: 'ERR_MALFORMED_JSON' });
  });

  it('415 for a body that is neither JSON nor multipart, whatever it holds; +json and charset are JSON', async () => {
    const chip: ChipDumpJSON = { format: 'chipid.dump/1', sod: 'dwA=', dg1: 'YQA=' };
    const good = JSON.stringify({ request: await rp.request(chip), chip });
    for (const [contentType, body] of [
      ['text/plain', good],
      ['text/plain', '{"request": "a.b.c", "chip": {'],
      ['application/x-www-form-urlencoded', good],
      [undefined, good],
    ] as const) {
      const res = await w.fetch('/v1/verifications', {
        method: 'POST',
        headers: contentType ? { 'content-type': contentType } : {},
        body: new TextEncoder().encode(body), // bytes: fetch adds no Content-Type of its own
      });
      const p = await problem(res);
      expect([res.status, p.code], `${contentType}: ${body.slice(0, 12)}`).toEqual([
        415,
        'ERR_UNSUPPORTED_MEDIA_TYPE',
      ]);
      // The detail says what the body must be.
      expect(p.detail).toBe('the body is application/json (or multipart/form-data, the binary body)');
    }
    for (const contentType of ['application/problem+json', 'Application/JSON; charset=utf-8']) {
      const res = await w.fetch('/v1/verifications', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: JSON.stringify({ request: await rp.request(chip), chip }),
      });
      expect(res.status, contentType).toBe(200);
    }
  });

  it('400 ERR_MALFORMED_JSON on admin JSON routes too', async () => {
    const res = await w.admin('POST', '/admin/v1/clients', '{nope', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(await problem(res)).toMatchObject({ code: 'ERR_MALFORMED_JSON' });
  });

  it('400 ERR_VALIDATION with JSON pointers', async () => {
    const res = await w.admin('POST', '/admin/v1/clients', {
      clientId: 'nobody',
      name: 'x',
      scope: ['name', 'shoe_size'],
      jwks: { keys: [] },
    });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.code).toBe('ERR_VALIDATION');
    const pointers = (body.errors as { pointer: string }[]).map((e) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/clientId', '/scope/1', '/jwks/keys']));
  });

  it("400 ERR_VALIDATION for unknown fields names their object, never the caller's key (it may be personal data)", async () => {
    const res = await w.admin('POST', '/admin/v1/clients', {
      clientId: 'sandbox_unknownkeys',
      name: 'x',
      scope: ['name'],
      jwks: { keys: [] },
      'Nguyễn Văn A 001090211803': 1,
    });
    expect(res.status).toBe(400);
    const text = await res.clone().text();
    expect(text).not.toMatch(/Nguy|001090211803/);
    const body = await problem(res);
    expect(body.errors).toEqual(
      expect.arrayContaining([{ pointer: '', detail: 'body: unknown field (not in the schema)' }]),
    );
  });

  it('400 ERR_VALIDATION for a verification body without the signed request', async () => {
    const res = await w.fetch('/v1/verifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chip: {} }),
    });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body).toMatchObject({ code: 'ERR_VALIDATION', errors: [{ pointer: '/request' }] });
  });

  it('401 with WWW-Authenticate without credentials', async () => {
    const res = await w.fetch('/v1/challenges', { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await problem(res)).toMatchObject({ code: 'ERR_UNAUTHORIZED' });
  });

  it('echoes a well-formed incoming X-Request-Id', async () => {
    const res = await w.fetch('/nope', { headers: { 'x-request-id': 'trace-12345678' } });
    expect(res.headers.get('x-request-id')).toBe('trace-12345678');
    expect((await res.json()) as unknown).toMatchObject({ instance: 'trace-12345678' });
  });
});

describe('Idempotency-Key', () => {
  it('same key and body → the same answer, marked as replayed; another body → 409', async () => {
    const auth = await rp.bearer('POST', '/v1/challenges');
    const send = (body: string, key = 'idem-key-1') =>
      w.fetch('/v1/challenges', {
        method: 'POST',
        headers: { authorization: auth, 'idempotency-key': key, 'content-type': 'application/json' },
        body,
      });
    const first = await send('{}');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const a = await first.json();
    const again = await send('{}');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(a);
    const other = await send('{ }');
    expect(other.status).toBe(409);
    expect(await problem(other)).toMatchObject({ code: 'ERR_IDEMPOTENCY_CONFLICT' });
  });

  it('without a key, resending the same token is a replay (409)', async () => {
    const auth = await rp.bearer('POST', '/v1/challenges');
    const send = () => w.fetch('/v1/challenges', { method: 'POST', headers: { authorization: auth } });
    expect((await send()).status).toBe(201);
    const res = await send();
    expect(res.status).toBe(409);
    expect(await problem(res)).toMatchObject({ code: 'ERR_REQUEST_REPLAYED' });
  });

  it('keys are per client', async () => {
    const other = await registerClient(w);
    const mk = async (c: RpClient) =>
      w.fetch('/v1/challenges', {
        method: 'POST',
        headers: { authorization: await c.bearer('POST', '/v1/challenges'), 'idempotency-key': 'shared-key' },
      });
    const a = await (await mk(rp)).json();
    const res = await mk(other);
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(await res.json()).not.toEqual(a);
  });
});

describe('rate limits', () => {
  /** A Worker with its own per-minute quota and a client registered on it; stopped afterwards. */
  async function withQuota(quota: number, run: (limited: TestWorker, c: RpClient) => Promise<void>) {
    const limited = await startWorker({
      endpoint: db.endpoint,
      prefix: db.prefix,
      bindings: { RATE_LIMIT_PER_MINUTE: String(quota) },
    });
    try {
      await run(limited, await registerClient(limited));
    } finally {
      await limited.stop();
    }
  }

  it('429 ERR_RATE_LIMITED with Retry-After past the per-client quota', async () => {
    await withQuota(3, async (limited, c) => {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        last = await limited.fetch('/v1/challenges', {
          method: 'POST',
          headers: { authorization: await c.bearer('POST', '/v1/challenges') },
        });
        statuses.push(last.status);
        if (last.status === 429) break;
      }
      // A window edge may reset the count once; within 5 calls the 4th in one window must be refused.
      expect(statuses).toContain(429);
      expect(last?.status).toBe(429);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last?.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
      expect(await problem(last as Response)).toMatchObject({ code: 'ERR_RATE_LIMITED' });
    });
  });

  it('POST /v1/verifications: RateLimit headers, then 429 first — before what the body would be refused for', async () => {
    // The count runs alongside the handler's read-ahead (requestAuth): the decision must still come first.
    await withQuota(2, async (limited, c) => {
      const chip: ChipDumpJSON = {
        format: 'chipid.dump/1',
        sod: Buffer.from('7701ff', 'hex').toString('base64'),
        dg1: Buffer.from('61035f1f00', 'hex').toString('base64'),
      };
      // Signed over another dump: on its own, 400 ERR_REQUEST_INVALID (chip_digest).
      const mismatched = await c.request({
        ...chip,
        dg1: Buffer.from('61035f1f01', 'hex').toString('base64'),
      });
      const answers: { status: number; code?: string; limit: string | null }[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await postVerification(limited, c, chip, i % 2 ? { request: mismatched } : {});
        const body = (await res.json()) as { code?: string };
        answers.push({
          status: res.status,
          ...(body.code ? { code: body.code } : {}),
          limit: res.headers.get('ratelimit'),
        });
        if (res.status === 429 && i % 2 === 1) break;
      }
      const ok = answers.find((a) => a.status === 200);
      expect(ok?.limit).toMatch(/^"default";r=[01];t=\d+$/);
      expect(answers.find((a) => a.status === 400)?.code).toBe('ERR_REQUEST_INVALID');
      // Past the quota the mismatched request is refused for the rate, not for its body.
      const last = answers[answers.length - 1];
      expect(last).toMatchObject({ status: 429, code: 'ERR_RATE_LIMITED' });
      expect(last?.limit).toMatch(/^"default";r=0;t=\d+$/);
    });
  });
});

describe('admin: registering a client with an Idempotency-Key', () => {
  const body = async (clientId: string) => ({
    clientId,
    name: 'Idempotent RP',
    scope: ['name'],
    jwks: { keys: [publicOf(await newEcJwk('k1'))] },
  });
  const post = (b: unknown, key?: string) =>
    w.admin('POST', '/admin/v1/clients', b, key === undefined ? {} : { 'Idempotency-Key': key });
  const fresh = () => `sandbox_idem${process.pid}x${Math.random().toString(36).slice(2, 10)}`;

  it('a retry with the key gets the first answer (201, replayed); without it 409; another body 409 and nothing written', async () => {
    const id = fresh();
    const b = await body(id);
    const key = `reg-${id}`;
    const first = await post(b, key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const view = await first.json();
    const again = await post(b, `"${key}"`);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(view);
    const bare = await post(b);
    expect(bare.status).toBe(409);
    expect((await problem(bare)).code).toBe('ERR_CONFLICT');
    const other = fresh();
    const reused = await post(await body(other), key);
    expect(reused.status).toBe(409);
    expect((await problem(reused)).code).toBe('ERR_IDEMPOTENCY_CONFLICT');
    expect((await w.admin('GET', `/admin/v1/clients/${other}`)).status).toBe(404);
    const bad = await post(await body(fresh()), 'not a key!');
    expect(bad.status).toBe(400);
    expect((await problem(bad)).code).toBe('ERR_REQUEST_INVALID');
  });

  it('10 concurrent sends of one keyed registration: one client, every answer its 201', async () => {
    const id = fresh();
    const b = await body(id);
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(b, `race-${id}`)));
    const bodies = await Promise.all(answers.map((r) => r.text()));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(bodies).size).toBe(1);
    expect(answers.filter((r) => r.headers.get('idempotent-replayed') === null).length).toBeLessThanOrEqual(
      1,
    );
    const got = await w.admin('GET', `/admin/v1/clients/${id}`);
    expect(await got.json()).toEqual(JSON.parse(bodies[0]!));
  });

  it('a key already used with a registration that failed (409) does not stick to it', async () => {
    const taken = await registerClient(w);
    const key = `k-${taken.clientId}`;
    const clash = await post(await body(taken.clientId), key);
    expect(clash.status).toBe(409);
    expect((await problem(clash)).code).toBe('ERR_CONFLICT');
    // Nothing was remembered for the failed attempt: the same key may carry another registration.
    const id = fresh();
    expect((await post(await body(id), key)).status).toBe(201);
  });
});

describe('admin: listing clients', () => {
  interface Page {
    items: { clientId: string; status: string; keys: { kid: string }[] }[];
    next?: string;
  }
  const list = async (query: string) => {
    const res = await w.admin('GET', `/admin/v1/clients?${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };
  /** Every page of `env` at `limit`, following `next`. */
  const walk = async (env: string, limit: number) => {
    const pages: Page[] = [];
    let after: string | undefined;
    do {
      const page = await list(`env=${env}&limit=${limit}${after ? `&after=${after}` : ''}`);
      pages.push(page);
      after = page.next;
    } while (after && pages.length < 100);
    return pages;
  };

  it('pages through every client of an environment in id order, as each client is now', async () => {
    const mine = [await registerClient(w), await registerClient(w), await registerClient(w)];
    const live = await registerClient(w, { env: 'live' });
    const off = mine[1]!.clientId;
    expect((await w.admin('PATCH', `/admin/v1/clients/${off}`, { status: 'disabled' })).status).toBe(200);

    const pages = await walk('sandbox', 2);
    const ids = pages.flatMap((p) => p.items.map((c) => c.clientId));
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const p of pages) expect(p.items.length).toBeLessThanOrEqual(2);
    expect(pages[pages.length - 1]!.next).toBeUndefined();
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([rp.clientId, ...mine.map((m) => m.clientId)]));
    expect(ids).not.toContain(live.clientId);
    const items = pages.flatMap((p) => p.items);
    expect(items.find((c) => c.clientId === off)?.status).toBe('disabled');
    expect(items.find((c) => c.clientId === mine[0]!.clientId)).toMatchObject({
      status: 'active',
      keys: [{ kid: mine[0]!.kid }],
    });
    // One page holding everything is the same list.
    expect((await list('env=sandbox&limit=100')).items.map((c) => c.clientId)).toEqual(ids);
    expect((await walk('live', 50)).flatMap((p) => p.items.map((c) => c.clientId))).toContain(live.clientId);
  });

  it('registering an existing client id is 409 ERR_CONFLICT; patching an unknown one 404 — the list is unchanged', async () => {
    const a = await registerClient(w);
    const before = (await walk('sandbox', 100)).flatMap((p) => p.items.map((c) => c.clientId));
    await expect(registerClient(w, { clientId: a.clientId })).rejects.toThrow(
      /registerClient: 409 .*ERR_CONFLICT/,
    );
    const ghost = `sandbox_ghost${Date.now()}`;
    const patched = await w.admin('PATCH', `/admin/v1/clients/${ghost}`, { status: 'disabled' });
    expect(patched.status).toBe(404);
    const after = (await walk('sandbox', 100)).flatMap((p) => p.items);
    expect(after.map((c) => c.clientId)).toEqual(before);
    expect(after.find((c) => c.clientId === a.clientId)).toMatchObject({ status: 'active' });
  });

  it('refuses a missing environment, a bad page size and a cursor from the other environment', async () => {
    for (const query of [
      '',
      'env=test',
      'env=sandbox&limit=0',
      'env=sandbox&limit=101',
      'env=sandbox&after=live_abc',
    ]) {
      const res = await w.admin('GET', `/admin/v1/clients?${query}`);
      expect(res.status, query).toBe(400);
      expect((await problem(res)).code).toBe('ERR_VALIDATION');
    }
    expect((await w.fetch('/admin/v1/clients?env=sandbox')).status).toBe(401);
  });
});
