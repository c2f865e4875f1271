/**
 * The Worker's Hono app in this process, every DynamoDB call answered by the in-memory store
 * (`functions/src/store/memory.ts`). The store modules reach DynamoDB through `send` of `DynamoHttpClient` (or `DynamoDBClient`)
 * only, so routing that one method to a {@link MemoryDynamo} runs the unchanged request path —
 * routing, zod validation, RP token check, rate limit, replay guard, passive + active authentication,
 * registry, assertion signing, the audit transaction — without a network hop. Benchmarks only.
 * Portable (Web APIs only): `bench/workerd/pipeline-probe.ts` runs the same set-up inside workerd.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createApp } from '../../functions/src/app.ts';
import type { Bindings } from '../../functions/src/env.ts';
import { storeFor, transact } from '../../functions/src/store/db.ts';
import { DynamoHttpClient } from '../../functions/src/store/dynamo-http.ts';
import { MemoryDynamo } from '../../functions/src/store/memory.ts';
import { challengePut } from '../../functions/src/store/requests.ts';
import { toBase64, toBase64Url } from '../../sdk/src/lib/bytes.ts';
import { sandboxCSCA, sandboxRegistryJSONL } from '../../sdk/src/sandbox/index.ts';
import type { BenchClient } from './fixtures.ts';

export const SERVICE_URL = 'http://127.0.0.1:8787';

const random = (n: number) => toBase64Url(crypto.getRandomValues(new Uint8Array(n)));

let installed: MemoryDynamo | undefined;
const originals = { sdk: DynamoDBClient.prototype.send, http: DynamoHttpClient.prototype.send };

/** Undoes {@link routeDynamoToMemory}: `send` talks to DynamoDB again. */
export function restoreDynamo(): void {
  installed = undefined;
  DynamoDBClient.prototype.send = originals.sdk;
  DynamoHttpClient.prototype.send = originals.http;
}

/** Routes every `DynamoDBClient#send` of this process to `mem` (idempotent per process). */
export function routeDynamoToMemory(mem: MemoryDynamo): void {
  installed = mem;
  const send = function send(command: unknown) {
    return installed!.send(command);
  } as never;
  DynamoDBClient.prototype.send = send;
  DynamoHttpClient.prototype.send = send;
}

async function ecJwk(kid: string): Promise<JWK & { kid: string }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
}

/** An in-process service with an admin-seeded sandbox (CSCA, registry) and one RP client. */
export interface InProcessService {
  /** The in-memory store (unused when started on a real DynamoDB). */
  mem: MemoryDynamo;
  env: Bindings;
  client: BenchClient;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  admin(method: string, path: string, body: string, contentType?: string): Promise<Response>;
  /** Stores a one-time challenge for the client (default: `client`), as `POST /v1/challenges` would. */
  putChallenge(id: string, bytes: Uint8Array, clientId?: string): Promise<void>;
  registerClient(clientId: string): Promise<BenchClient>;
}

/**
 * Starts the app in-process (console output of the request log silenced by the caller if wanted).
 *
 * @example
 * const svc = await startInProcess();
 * const res = await svc.fetch('/v1/verifications', { method: 'POST', body });
 */
export async function startInProcess(
  o: {
    /** A real DynamoDB (Local) instead of the in-memory store: its endpoint and table prefix. */
    dynamo?: { endpoint: string; prefix: string };
  } = {},
): Promise<InProcessService> {
  const mem = new MemoryDynamo();
  if (!o.dynamo) routeDynamoToMemory(mem);
  const adminToken = random(24);
  const env: Bindings = {
    SERVICE_URL,
    TABLE_PREFIX: o.dynamo?.prefix ?? 'chipid-',
    DYNAMODB_REGION: 'ap-southeast-1',
    DYNAMODB_ENDPOINT: o.dynamo?.endpoint ?? 'http://memory.invalid',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ADMIN_TOKEN: adminToken,
    PAIRWISE_SECRET: random(32),
    REGISTRY_HMAC_KEY: random(32),
    SERVICE_SIGNING_KEYS: JSON.stringify({ current: await ecJwk('svc-current') }),
    SANDBOX_SIGNING_KEYS: JSON.stringify({ current: await ecJwk('sbx-current') }),
    RATE_LIMIT_PER_MINUTE: String(1e9),
  };
  const app = createApp();
  const fetchPath = (path: string, init?: RequestInit) =>
    Promise.resolve(app.fetch(new Request(`${SERVICE_URL}${path}`, init), env));
  const admin = (method: string, path: string, body: string, contentType = 'application/json') =>
    fetchPath(path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': contentType },
      body,
    });
  const registerClient = async (clientId: string): Promise<BenchClient> => {
    const privateJwk = await ecJwk(`k-${clientId}`);
    const { d: _d, ...pub } = privateJwk;
    const res = await admin(
      'POST',
      '/admin/v1/clients',
      JSON.stringify({ clientId, name: 'Bench RP', scope: ['name', 'age_over_18'], jwks: { keys: [pub] } }),
    );
    if (res.status !== 201) throw new Error(`register client: ${res.status} ${await res.text()}`);
    return { clientId, privateJwk };
  };
  let res = await admin(
    'POST',
    '/admin/v1/trust/sandbox/cscas',
    JSON.stringify({ pem: (await sandboxCSCA()).pem }),
  );
  if (res.status !== 201) throw new Error(`csca: ${res.status} ${await res.text()}`);
  res = await admin(
    'POST',
    '/admin/v1/registry/sandbox/import',
    sandboxRegistryJSONL(),
    'application/x-ndjson',
  );
  if (res.status !== 200) throw new Error(`registry: ${res.status} ${await res.text()}`);
  const client = await registerClient('sandbox_bench');
  const store = storeFor(env, 'sandbox');
  return {
    mem,
    env,
    client,
    fetch: fetchPath,
    admin,
    registerClient,
    putChallenge: (id, bytes, clientId = client.clientId) =>
      transact(store, [
        challengePut(store, {
          id,
          clientId,
          challenge: toBase64(bytes),
          expiresAt: Date.now() + 120_000,
          used: false,
        }),
      ]),
  };
}
