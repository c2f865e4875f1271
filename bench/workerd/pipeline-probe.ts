/**
 * The Worker's own app inside workerd with every DynamoDB call answered by the in-memory store, for
 * `bench/workerd.ts`: `prepare` builds N distinct signed verification requests (each with its own
 * one-time challenge and the virtual chip's answer) and keeps them in the isolate; `run` sends them
 * through the app back to back. The caller times `run` from outside (workerd's clocks do not advance
 * during computation). Benchmarks only.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createApp } from '../../functions/src/app.ts';
import type { Bindings } from '../../functions/src/env.ts';
import { storeFor, transact } from '../../functions/src/store/db.ts';
import { MemoryDynamo } from '../../functions/src/store/memory.ts';
import { challengePut } from '../../functions/src/store/requests.ts';
import { toBase64, toBase64Url } from '../../sdk/src/lib/bytes.ts';
import { signVerificationRequest } from '../../sdk/src/request/index.ts';
import {
  makeCard,
  type ProfileName,
  sandboxCSCA,
  sandboxRegistryJSONL,
} from '../../sdk/src/sandbox/index.ts';

const SERVICE_URL = 'http://127.0.0.1:8787';
const mem = new MemoryDynamo();
DynamoDBClient.prototype.send = function send(command: unknown) {
  return mem.send(command);
} as never;

const rand = (n: number) => toBase64Url(crypto.getRandomValues(new Uint8Array(n)));
const ecJwk = async (kid: string): Promise<JWK & { kid: string }> => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
};

interface Service {
  env: Bindings;
  app: ReturnType<typeof createApp>;
  client: { clientId: string; privateJwk: JWK & { kid: string } };
}
let service: Promise<Service> | undefined;
let bodies: string[] = [];

function start(): Promise<Service> {
  service ??= (async () => {
    const adminToken = rand(24);
    const env: Bindings = {
      SERVICE_URL,
      TABLE_PREFIX: 'chipid-',
      DYNAMODB_REGION: 'ap-southeast-1',
      DYNAMODB_ENDPOINT: 'http://memory.invalid',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      ADMIN_TOKEN: adminToken,
      PAIRWISE_SECRET: rand(32),
      REGISTRY_HMAC_KEY: rand(32),
      SERVICE_SIGNING_KEYS: JSON.stringify({ current: await ecJwk('svc-current') }),
      RATE_LIMIT_PER_MINUTE: String(1e9),
    };
    const app = createApp();
    const admin = async (path: string, body: string, contentType = 'application/json') => {
      const res = await app.fetch(
        new Request(`${SERVICE_URL}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': contentType },
          body,
        }),
        env,
      );
      if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    };
    await admin('/admin/v1/trust/sandbox/cscas', JSON.stringify({ pem: (await sandboxCSCA()).pem }));
    await admin('/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), 'application/x-ndjson');
    const privateJwk = await ecJwk('k-bench');
    const { d: _d, ...pub } = privateJwk;
    const clientId = 'sandbox_bench';
    await admin(
      '/admin/v1/clients',
      JSON.stringify({ clientId, name: 'Bench RP', scope: ['name', 'age_over_18'], jwks: { keys: [pub] } }),
    );
    return { env, app, client: { clientId, privateJwk } };
  })();
  return service;
}

export default {
  async fetch(req: Request): Promise<Response> {
    const { mode, n, profile } = (await req.json()) as {
      mode: 'prepare' | 'run';
      n: number;
      profile: ProfileName;
    };
    const svc = await start();
    if (mode === 'prepare') {
      const card = await makeCard({ profile, seed: 'bench' });
      const store = storeFor(svc.env, 'sandbox');
      bodies = [];
      for (let i = 0; i < n; i++) {
        const id = `chl_${rand(16)}`;
        const challenge = crypto.getRandomValues(new Uint8Array(8));
        await transact(store, [
          challengePut(store, {
            id,
            clientId: svc.client.clientId,
            challenge: toBase64(challenge),
            expiresAt: Date.now() + 600_000,
            used: false,
          }),
        ]);
        const signature = await card.chip!.internalAuthenticate(challenge);
        const chip = { ...card.dump, aa: { challenge: toBase64(challenge), signature: toBase64(signature) } };
        const request = await signVerificationRequest({
          clientId: svc.client.clientId,
          privateKey: svc.client.privateJwk,
          audience: SERVICE_URL,
          chip,
          scope: ['name', 'age_over_18'],
          purpose: 'benchmark',
          ttlSeconds: 300,
          challengeId: id,
        });
        bodies.push(JSON.stringify({ request, chip }));
      }
      return Response.json({ prepared: bodies.length });
    }
    let verified = 0;
    for (const body of bodies.splice(0, n)) {
      const res = await svc.app.fetch(
        new Request(`${SERVICE_URL}/v1/verifications`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }),
        svc.env,
      );
      const j = (await res.json()) as { result?: string };
      if (j.result === 'verified') verified++;
    }
    return Response.json({ verified });
  },
};
