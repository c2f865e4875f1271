/**
 * End to end through the local stack (`startLocalStack()`: DynamoDB Local + `wrangler dev`/workerd +
 * the seeded sandbox): RP clients registered through the admin API, one-time challenges stored as
 * `POST /v1/challenges` stores them (SERVICE-CONTRACT `CHAL#<id>`; written straight to DynamoDB so
 * issuing them is not part of the measured load), every request pre-signed and distinct (own `jti`,
 * own challenge, the virtual chip's answer), and the load generator (`bench/load.ts`) in a second
 * process on loopback.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { keyAttrs, keys } from '../../functions/src/store/keys.ts';
import { registryKey } from '../../functions/src/store/registry.ts';
import { challengePut } from '../../functions/src/store/requests.ts';
import { dynamoClient, freePort } from '../../infra/src/dynamodb-local.ts';
import { type LocalStack, REPO_ROOT, startLocalStack } from '../../infra/src/local-stack.ts';
import { signVerificationRequest } from '../../sdk/src/request/index.ts';
import type { SandboxCard } from '../../sdk/src/sandbox/index.ts';
import { startDelayProxy } from './delay-proxy.ts';
import type { BenchClient } from './fixtures.ts';
import { newChallengeBytes } from './fixtures.ts';
import { percentile } from './measure.ts';

/** What the load generator prints. */
export interface LoadResult {
  n: number;
  errors: number;
  statuses: Record<string, number>;
  results: Record<string, number>;
  seconds: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  concurrency: number;
  /** Open loop: the offered rate (requests/s). */
  rate?: number;
  exhaustedLanes: number;
  /** The load generator's own CPU per answer (user + system; it shares the cores with the servers). */
  generatorCpuMs: number;
  /** CPU per answered request of the server processes during the run (Linux `/proc`; else absent). */
  cpu?: { workerdMs: number; javaMs: number };
}

/** CPU ms (user + system) of every process named `name`, from `/proc`; undefined where there is none. */
function processCpuMs(name: string): number | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  let total = 0;
  for (const pid of dirs) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')) !== name) continue;
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) * tick;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

export interface E2EStack {
  stack: LocalStack;
  db: DynamoDBClient;
  table: string;
  clients: BenchClient[];
  admin(method: string, path: string, body: string, contentType?: string): Promise<Response>;
  stop(): Promise<void>;
}

/** How the Worker runs in a bench stack. */
export interface E2EOptions {
  /** `workerd` (Miniflare, the runtime alone; default) or `wrangler` (`wrangler dev`, as `npm start`). */
  runner?: 'workerd' | 'wrangler';
  /** Extra Worker bindings, e.g. `{ DYNAMODB_CLIENT: 'aws-sdk' }`. */
  vars?: Record<string, string>;
  /**
   * DynamoDB Local's JIT profile (default `throughput`: C2, the emulator's steady state; warm it up with
   * `loadPhase` before measuring). `startup` is the quick compiler tests run it with.
   */
  dynamodbJit?: 'startup' | 'throughput';
  /** The Worker reaches DynamoDB Local through a proxy that delays each direction this long (ms). */
  storeOneWayMs?: number;
}

/** Starts the local stack in a temporary state folder and registers `clients` RP clients. */
export async function startE2E(
  clients: number,
  log: (m: string) => void,
  o: E2EOptions = {},
): Promise<E2EStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'chipid-bench-'));
  const dynamodbPort = await freePort();
  const proxy = o.storeOneWayMs ? await startDelayProxy(dynamodbPort, o.storeOneWayMs) : undefined;
  const vars = {
    ...o.vars,
    ...(proxy ? { DYNAMODB_ENDPOINT: `http://127.0.0.1:${proxy.port}` } : {}),
  };
  const stack = await startLocalStack({
    stateDir,
    log: (m) => log(`  stack: ${m}`),
    workerOutput: 'quiet',
    runner: o.runner ?? 'workerd',
    dynamodbJit: o.dynamodbJit ?? 'throughput',
    dynamodbPort,
    vars,
  }).catch(async (err: unknown) => {
    await proxy?.close();
    throw err;
  });
  const admin = (method: string, path: string, body: string, contentType = 'application/json') =>
    fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(300_000),
    });
  const list: BenchClient[] = [];
  for (let i = 0; i < clients; i++) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(privateKey)), kid: `bench-${i}`, alg: 'ES256' } as JWK & {
      kid: string;
    };
    const { d: _d, ...pub } = privateJwk;
    const clientId = `sandbox_bench${String(i).padStart(3, '0')}_${process.pid}`;
    const res = await admin(
      'POST',
      '/admin/v1/clients',
      JSON.stringify({ clientId, name: 'Bench RP', scope: ['name', 'age_over_18'], jwks: { keys: [pub] } }),
    );
    if (res.status !== 201) throw new Error(`register ${clientId}: ${res.status} ${await res.text()}`);
    list.push({ clientId, privateJwk });
  }
  const db = dynamoClient(stack.dynamodb.endpoint);
  return {
    stack,
    db,
    table: 'chipid-sandbox',
    clients: list,
    admin,
    stop: async () => {
      db.destroy();
      await stack.stop();
      await proxy?.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Pre-signs `perLane` requests for each of `lanes` lanes and stores their challenges.
 */
export async function buildPlan(
  e: E2EStack,
  card: SandboxCard,
  lanes: number,
  perLane: number,
  seconds: number,
  rate?: number,
  transport: 'json' | 'multipart' = 'json',
): Promise<string> {
  const chal: { id: string; bytes: Uint8Array; clientId: string }[] = [];
  const planLanes: { request: string; aa?: { challenge: string; signature: string } }[][] = [];
  // Lane l alternates between clients l, l + lanes, l + 2·lanes…: no client is ever used by two lanes
  // at once, and each stays far below its per-minute rate limit.
  const perClientLane = Math.max(1, Math.floor(e.clients.length / lanes));
  for (let l = 0; l < lanes; l++) {
    const lane: { request: string; aa?: { challenge: string; signature: string } }[] = [];
    for (let i = 0; i < perLane; i++) {
      const client = e.clients[(l + lanes * (i % perClientLane)) % e.clients.length]!;
      const c = newChallengeBytes();
      const signature = await card.chip!.internalAuthenticate(c.bytes);
      const aa = {
        challenge: Buffer.from(c.bytes).toString('base64'),
        signature: Buffer.from(signature).toString('base64'),
      };
      const request = await signVerificationRequest({
        clientId: client.clientId,
        privateKey: client.privateJwk,
        audience: e.stack.url,
        chip: { ...card.dump, aa },
        scope: ['name', 'age_over_18'],
        purpose: 'benchmark',
        ttlSeconds: 300,
        challengeId: c.id,
        transport,
      });
      lane.push({ request, aa });
      chal.push({ ...c, clientId: client.clientId });
    }
    planLanes.push(lane);
  }
  // Challenges last, so their 120 s lifetime covers the run.
  const store = { db: e.db, table: e.table, env: 'sandbox' as const };
  const expiresAt = Date.now() + 120_000;
  const puts = chal.map((c) => ({
    PutRequest: {
      Item: challengePut(store, {
        id: c.id,
        clientId: c.clientId,
        challenge: Buffer.from(c.bytes).toString('base64'),
        expiresAt,
        used: false,
      }).Put!.Item!,
    },
  }));
  const batches: (typeof puts)[] = [];
  for (let i = 0; i < puts.length; i += 25) batches.push(puts.slice(i, i + 25));
  const writeBatch = async (b: typeof puts) => {
    let pending = b;
    for (let attempt = 0; pending.length > 0 && attempt < 10; attempt++) {
      const r = await e.db.send(new BatchWriteItemCommand({ RequestItems: { [e.table]: pending } }));
      pending = (r.UnprocessedItems?.[e.table] ?? []) as typeof puts;
    }
  };
  for (let i = 0; i < batches.length; i += 8) await Promise.all(batches.slice(i, i + 8).map(writeBatch));
  const { aa: _aa, ...dump } = card.dump;
  const file = join(tmpdir(), `chipid-bench-plan-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ url: e.stack.url, seconds, dump, lanes: planLanes, rate, transport }));
  return file;
}

/** Runs the load generator in a second process on a plan file (deleted afterwards). */
export async function runLoad(planFile: string): Promise<LoadResult> {
  const before = { w: processCpuMs('workerd'), j: processCpuMs('java') };
  const r = await runLoadProcess(planFile);
  const w = processCpuMs('workerd');
  const j = processCpuMs('java');
  if (before.w !== undefined && before.j !== undefined && w !== undefined && j !== undefined && r.n > 0) {
    r.cpu = { workerdMs: (w - before.w) / r.n, javaMs: (j - before.j) / r.n };
  }
  return r;
}

function runLoadProcess(planFile: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'bench', 'load.ts'), planFile],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('exit', (code) => {
      rmSync(planFile, { force: true });
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as LoadResult);
      } catch {
        reject(new Error(`load generator exited ${code}: ${err.slice(-2000)}`));
      }
    });
  });
}

/**
 * One measured load phase: a short probe sizes the plan (requests ≈ 1.6 × probe rate × seconds, so
 * lanes rarely run dry), then the real run. With `rate`, an open-loop run at that many requests per
 * second (its requests spread over `lanes` lanes of clients; no probe).
 */
export async function loadPhase(
  e: E2EStack,
  card: SandboxCard,
  o: { lanes: number; seconds: number; probe?: LoadResult; rate?: number; transport?: 'json' | 'multipart' },
): Promise<{ result: LoadResult; probe: LoadResult | undefined }> {
  if (o.rate) {
    const perLane = Math.ceil((o.rate * o.seconds * 1.1) / o.lanes) + 2;
    return {
      result: await runLoad(await buildPlan(e, card, o.lanes, perLane, o.seconds, o.rate, o.transport)),
      probe: undefined,
    };
  }
  const probe = o.probe ?? (await runLoad(await buildPlan(e, card, o.lanes, 12, 3, undefined, o.transport)));
  const perLane = Math.min(2000, Math.ceil((Math.max(probe.rps, 20) * o.seconds * 1.6) / o.lanes) + 10);
  const result = await runLoad(await buildPlan(e, card, o.lanes, perLane, o.seconds, undefined, o.transport));
  return { result, probe };
}

/** Key reads alone, straight to DynamoDB Local (no Worker): latency of the registry lookups. */
export interface ReadProbe {
  reads: number;
  readsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * `lanes` concurrent strongly consistent `GetItem`s of random card items among the first `persons`
 * synthetic ones (`syntheticRegistryLines`), for `seconds`: the registry lookup without the rest of a
 * verification. Every key read must find its item.
 */
export async function probeRegistryReads(
  e: E2EStack,
  persons: number,
  seconds: number,
  lanes = 32,
): Promise<ReadProbe> {
  const secret = (JSON.parse(readFileSync(e.stack.secretsPath, 'utf8')) as { REGISTRY_HMAC_KEY: string })
    .REGISTRY_HMAC_KEY;
  const lat: number[] = [];
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (Date.now() < end) {
        const i = Math.floor(Math.random() * persons);
        const key = await registryKey(secret, `B${String(i).padStart(9, '0')}`);
        const t = performance.now();
        const r = await e.db.send(
          new GetItemCommand({ TableName: e.table, Key: keyAttrs(keys.card(key)), ConsistentRead: true }),
        );
        lat.push(performance.now() - t);
        if (!r.Item) throw new Error(`registry probe: card ${i} not found`);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return {
    reads: lat.length,
    readsPerSec: lat.length / seconds,
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    maxMs: percentile(lat, 100),
  };
}
