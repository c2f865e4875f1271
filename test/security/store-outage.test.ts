/**
 * Fault: DynamoDB stopped mid-test. A separate DynamoDB Local (not the shared one) is stopped under
 * the running Worker: every store-backed call answers 503 `ERR_STORE_UNAVAILABLE` with `Retry-After`
 * and no assertion leaves; the health check stays up; once DynamoDB is back on the same port (tables
 * recreated — it runs in memory), the service recovers, and the very request that failed (same signed
 * request, same Idempotency-Key) succeeds on retry.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type DynamoDBLocal,
  dynamoClient,
  freePort,
  startDynamoDBLocal,
} from '../../infra/src/dynamodb-local.ts';
import { createTables } from '../../infra/src/tables.ts';
import { makeCard, sandboxCSCA, sandboxRegistryJSONL } from '../../sdk/src/sandbox/index.ts';
import {
  newChallenge,
  postVerification,
  publicOf,
  type RpClient,
  registerClient,
  startWorker,
  type TestWorker,
} from '../support/worker.ts';

const prefix = 'outage-';
let ddb: DynamoDBLocal | undefined;
let port: number;
let w: TestWorker;

async function up(): Promise<void> {
  ddb = await startDynamoDBLocal({ port, warn: () => {} });
  const client = dynamoClient(ddb.endpoint);
  try {
    await createTables(client, { prefix, warn: () => {} });
  } finally {
    client.destroy();
  }
}

async function seed(): Promise<RpClient> {
  const rp = await registerClient(w);
  expect(
    (await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: (await sandboxCSCA()).pem })).status,
  ).toBe(201);
  const res = await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
    'content-type': 'application/x-ndjson',
  });
  expect(res.status).toBe(200);
  return rp;
}

beforeAll(async () => {
  port = await freePort();
  await up();
  w = await startWorker({ endpoint: `http://127.0.0.1:${port}`, prefix });
});
afterAll(async () => {
  await w?.stop();
  await ddb?.stop();
});

it('503 + Retry-After while DynamoDB is down, recovery when it returns', async () => {
  const rp = await seed();
  const card = await makeCard({ profile: 'no-aa', seed: 'outage' });
  expect((await postVerification(w, rp, card.dump)).status).toBe(200);

  await ddb?.stop();
  ddb = undefined;

  const request = await rp.request(card.dump);
  const down = [
    await w.fetch('/v1/challenges', {
      method: 'POST',
      headers: { authorization: await rp.bearer('POST', '/v1/challenges') },
    }),
    await postVerification(w, rp, card.dump, { request, idempotencyKey: 'outage-retry' }),
    await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
      'content-type': 'application/x-ndjson',
    }),
  ];
  for (const res of down) {
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await res.json()) as { code: string; assertion?: string };
    expect(body.code).toBe('ERR_STORE_UNAVAILABLE');
    expect(body.assertion).toBeUndefined();
  }
  // Liveness stays up; readiness says the store is gone.
  expect((await w.fetch('/healthz')).status).toBe(200);
  const notReady = await w.fetch('/readyz');
  expect(notReady.status).toBe(503);
  expect(Number(notReady.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(((await notReady.json()) as { code: string }).code).toBe('ERR_STORE_UNAVAILABLE');

  // Back on the same port. DynamoDB Local runs in memory, so a restart empties it: seed again with the
  // same client id and key (an operator restoring the registry).
  await up();
  const again = await w.admin('POST', '/admin/v1/clients', {
    clientId: rp.clientId,
    name: 'Test RP',
    scope: ['name', 'age_over_18'],
    jwks: { keys: [publicOf(rp.privateJwk)] },
  });
  expect(again.status).toBe(201);
  expect(
    (await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: (await sandboxCSCA()).pem })).status,
  ).toBe(201);
  expect(
    (
      await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
        'content-type': 'application/x-ndjson',
      })
    ).status,
  ).toBe(200);

  // The request that failed during the outage is retried as is (same JWS, same jti, same key).
  const retried = await postVerification(w, rp, card.dump, { request, idempotencyKey: 'outage-retry' });
  expect(retried.status).toBe(200);
  const answer = (await retried.json()) as { result: string; reasons: string[] };
  expect(answer).toMatchObject({ result: 'inconclusive', reasons: ['aa_not_supported'] });
  const replay = await postVerification(w, rp, card.dump, { request, idempotencyKey: 'outage-retry' });
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(await replay.json()).toEqual(answer);
  // And fresh traffic flows.
  expect(await (await w.fetch('/readyz')).json()).toEqual({ status: 'ready' });
  const ch = await newChallenge(w, rp);
  expect(ch.id).toMatch(/^chl_/);
});
