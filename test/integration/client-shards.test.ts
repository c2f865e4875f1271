/**
 * A client with a large quota is kept in several copies of its item (`functions/src/store/clients.ts`,
 * `rateShards`): its requests are counted on copies picked at random, so no one item takes more than
 * DynamoDB's 1,000 writes per second per partition (docs/capacity.md). What must still hold: every
 * request counted exactly once, never more than the quota served, and a change to the client (disabled,
 * fewer copies) seen by the next request whichever copy it lands on. The Worker's app in this process
 * on DynamoDB Local.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { type InProcessService, startInProcess } from '../../bench/lib/inprocess.ts';
import {
  putClient,
  quotaShare,
  rateShards,
  SHARD_REQUESTS_PER_SECOND,
} from '../../functions/src/store/clients.ts';
import { getItems, storeFor } from '../../functions/src/store/db.ts';
import { keys } from '../../functions/src/store/keys.ts';
import { signAuthToken } from '../../sdk/src/request/sign.ts';
import { useTables } from '../support/dynamodb.ts';

const db = useTables();
let svc: InProcessService;

beforeAll(async () => {
  svc = await startInProcess({ dynamo: { endpoint: db.endpoint, prefix: db.prefix } });
});

async function newKey(kid: string) {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' } as JWK & { kid: string };
  const { d: _d, ...pub } = privateJwk;
  return { privateJwk, pub };
}

async function register(clientId: string, rateLimitPerMinute?: number) {
  const { privateJwk, pub } = await newKey(`k-${clientId}`);
  const res = await svc.admin(
    'POST',
    '/admin/v1/clients',
    JSON.stringify({
      clientId,
      name: 'Shards',
      scope: ['name'],
      jwks: { keys: [pub] },
      ...(rateLimitPerMinute ? { rateLimitPerMinute } : {}),
    }),
  );
  expect(res.status).toBe(201);
  return { clientId, privateJwk };
}

async function challenge(c: { clientId: string; privateJwk: JWK & { kid: string } }): Promise<number> {
  const token = await signAuthToken({
    clientId: c.clientId,
    privateKey: c.privateJwk,
    audience: svc.env.SERVICE_URL,
    method: 'POST',
    path: '/v1/challenges',
  });
  const res = await svc.fetch('/v1/challenges', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status;
}

const copies = (clientId: string, n: number) =>
  getItems(
    storeFor(svc.env, 'sandbox'),
    Array.from({ length: n }, (_, k) => keys.clientShard(clientId, k)),
  );

/** Requests counted in `window` over the client's first `n` copies. */
async function counted(clientId: string, n: number, window: number): Promise<number[]> {
  return (await copies(clientId, n)).map((it) => Number(it?.[`rate_${window}`]?.N ?? '0'));
}

describe('a client kept in several copies', () => {
  it('rateShards: one copy up to SHARD_REQUESTS_PER_SECOND at the full quota; shares add up to the quota', () => {
    expect(rateShards(600)).toBe(1);
    expect(rateShards(SHARD_REQUESTS_PER_SECOND * 60)).toBe(1);
    expect(rateShards(SHARD_REQUESTS_PER_SECOND * 60 + 1)).toBe(2);
    expect(rateShards(215_400)).toBe(15);
    for (const [q, n] of [
      [20, 3],
      [7, 7],
      [100, 8],
      [215_400, 15],
    ] as const) {
      const shares = Array.from({ length: n }, (_, k) => quotaShare(q, n, k));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(q);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
  });

  it('registration writes every copy; requests spread over them, each counted once', async () => {
    const quota = 120_000; // 2,000/s: 8 copies
    const n = rateShards(quota);
    expect(n).toBe(8);
    const c = await register(`sandbox_sh${Date.now()}`, quota);
    const items = await copies(c.clientId, n + 1);
    expect(
      items.slice(0, n).every((it) => it?.clientId?.S === c.clientId && it?.shards?.N === String(n)),
    ).toBe(true);
    expect(items[n]).toBeUndefined();
    const inMinute = Date.now() % 60_000;
    if (inMinute > 50_000) await new Promise((r) => setTimeout(r, 60_500 - inMinute));
    const window = Math.floor(Date.now() / 60_000);
    const statuses = await Promise.all(Array.from({ length: 40 }, () => challenge(c)));
    expect(Math.floor(Date.now() / 60_000), 'the requests stayed in one window').toBe(window);
    expect(statuses).toEqual(Array(40).fill(201));
    const counts = await counted(c.clientId, n, window);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
    expect(counts.filter((x) => x > 0).length).toBeGreaterThan(1);
  });

  it('never more than the quota served, every request counted (4 copies, quota 20, 50 at once)', async () => {
    const c = await register(`sandbox_sq${Date.now()}`);
    // Four copies for a quota of 20, written as the operator's client write would (the admin API derives
    // the copies from the quota; this tests the split itself).
    const store = storeFor(svc.env, 'sandbox');
    const [item] = await getItems(store, [keys.client(c.clientId)]);
    await putClient(
      store,
      {
        clientId: c.clientId,
        name: 'Shards',
        status: 'active',
        scope: ['name'],
        keys: JSON.parse(item?.keysJson?.S ?? '[]'),
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        rateLimitPerMinute: 20,
        shards: 4,
      },
      'replace',
    );
    const inMinute = Date.now() % 60_000;
    if (inMinute > 50_000) await new Promise((r) => setTimeout(r, 60_500 - inMinute));
    const window = Math.floor(Date.now() / 60_000);
    expect(await challenge(c)).toBe(201); // the isolate learns of the four copies
    const statuses = await Promise.all(Array.from({ length: 50 }, () => challenge(c)));
    expect(Math.floor(Date.now() / 60_000), 'the burst stayed in one window').toBe(window);
    const served = statuses.filter((s) => s === 201).length + 1;
    console.info(`[client-shards] quota 20 over 4 copies, 51 requests: ${served} served`);
    expect(served).toBeLessThanOrEqual(20);
    expect(served).toBeGreaterThanOrEqual(12); // each copy serves its 5 once it has seen 5
    expect(statuses.filter((s) => s !== 201).every((s) => s === 429)).toBe(true);
    expect((await counted(c.clientId, 4, window)).reduce((a, b) => a + b, 0)).toBe(51);
  });

  it('a client write that read the copies before a concurrent change fails (no copy left behind)', async () => {
    const c = await register(`sandbox_sc${Date.now()}`, 120_000); // 8 copies
    const store = storeFor(svc.env, 'sandbox');
    const [item] = await getItems(store, [keys.client(c.clientId)]);
    const rec = {
      clientId: c.clientId,
      name: 'Shards',
      status: 'active' as const,
      scope: ['name'],
      keys: JSON.parse(item?.keysJson?.S ?? '[]'),
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      rateLimitPerMinute: 600,
    };
    // As if it had read the client before a change to 8 copies: it would delete none of copies 1–7.
    await expect(putClient(store, rec, 'replace', [], 1)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    await putClient(store, rec, 'replace', [], 8);
    expect((await copies(c.clientId, 8)).slice(1).every((it) => it === undefined)).toBe(true);
  });

  it('a disabled client is refused on every copy; fewer copies: the dropped ones are deleted and requests go on', async () => {
    const c = await register(`sandbox_sd${Date.now()}`, 120_000);
    expect(await challenge(c)).toBe(201);
    let res = await svc.admin(
      'PATCH',
      `/admin/v1/clients/${c.clientId}`,
      JSON.stringify({ status: 'disabled' }),
    );
    expect(res.status).toBe(200);
    const refused = await Promise.all(Array.from({ length: 16 }, () => challenge(c)));
    expect(refused).toEqual(Array(16).fill(403));
    res = await svc.admin(
      'PATCH',
      `/admin/v1/clients/${c.clientId}`,
      JSON.stringify({ status: 'active', rateLimitPerMinute: 600 }),
    );
    expect(res.status).toBe(200);
    expect((await res.json()) as { rateLimitPerMinute?: number }).toMatchObject({ rateLimitPerMinute: 600 });
    const items = await copies(c.clientId, 8);
    expect(items[0]?.shards?.N).toBe('1');
    expect(items.slice(1).every((it) => it === undefined)).toBe(true);
    // This isolate last saw eight copies: a request landing on a dropped one is counted on the item itself.
    const after = await Promise.all(Array.from({ length: 16 }, () => challenge(c)));
    expect(after).toEqual(Array(16).fill(201));
  });
});
