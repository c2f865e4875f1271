/**
 * Test support — the real Worker (`functions/src/index.ts`) bundled with esbuild the way wrangler does
 * (ESM, browser/workerd conditions; `@chipid/sdk` resolves through the workspace to its TS sources),
 * run in workerd through Miniflare against DynamoDB Local, plus helpers to register RP clients through
 * the admin API and to sign requests (the SDK's signer, `sdk/src/request/`; raw jose for the attacks).
 *
 * The bundle is built once per run: cached on disk, keyed by the sources' paths, sizes and mtimes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { Miniflare } from 'miniflare';
import {
  bundleWorker,
  miniflareModules,
  type WorkerBundle,
  workerCompatibility,
} from '../../infra/src/bundle.ts';
import type { ChipDumpJSON } from '../../sdk/src/icao/dump.ts';
import { signAuthToken, signVerificationRequest } from '../../sdk/src/request/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVICE_URL = 'http://127.0.0.1:8787';
export const ADMIN_TOKEN = `admin-${'x'.repeat(24)}`;

function sourceStamp(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (/\.(ts|js|json)$/.test(e.name) && !e.name.endsWith('.test.ts')) {
        const s = statSync(p);
        h.update(`${p}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  walk(join(root, 'functions', 'src'));
  walk(join(root, 'sdk', 'src'));
  return h.digest('hex').slice(0, 16);
}

let bundled: Promise<WorkerBundle> | undefined;

/** The Worker bundle (ESM source and its WebAssembly modules), built once per run. */
export function workerBundle(): Promise<WorkerBundle> {
  bundled ??= (async () => {
    const cacheDir = join(root, 'node_modules', '.cache', 'chipid-worker');
    const file = join(cacheDir, `worker-${sourceStamp()}.json`);
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as WorkerBundle;
    } catch {
      // not built yet
    }
    const b = await bundleWorker(join(root, 'functions', 'src', 'index.ts'));
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(b));
    try {
      renameSync(tmp, file);
    } catch {
      // another process won the race; its file is the same
    }
    return b;
  })();
  return bundled;
}

/** A private P-256 JWK with kid (for SERVICE_SIGNING_KEYS / SANDBOX_SIGNING_KEYS or RP clients). */
export async function newEcJwk(kid: string): Promise<JWK & { kid: string }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
}

/** Public part of a private JWK. */
export function publicOf(jwk: JWK): JWK {
  const { d: _d, ...pub } = jwk;
  return pub;
}

export interface WorkerOptions {
  /** DynamoDB endpoint (DynamoDB Local). */
  endpoint: string;
  /** Table prefix of this file's tables. */
  prefix: string;
  /** Extra/overriding bindings. */
  bindings?: Record<string, string>;
  /**
   * Listen on this loopback port and make `http://127.0.0.1:<port>` the service URL (issuer, request
   * audience), for clients that cannot be told another one (the CLI). Default: Miniflare's free port.
   */
  port?: number;
}

export interface TestWorker {
  readonly mf: Miniflare;
  readonly serviceUrl: string;
  /** The live environment's assertion keys (SERVICE_SIGNING_KEYS). */
  readonly signingKeys: { current: JWK & { kid: string }; next: JWK & { kid: string } };
  /** The sandbox's own assertion keys (SANDBOX_SIGNING_KEYS), issuer `${serviceUrl}/sandbox`. */
  readonly sandboxSigningKeys: { current: JWK & { kid: string }; next: JWK & { kid: string } };
  /** Every log line the Worker printed (stdout + stderr). */
  readonly logs: string[];
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Admin API call with the admin token; `body` is JSON-encoded unless a string. */
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Starts the bundled Worker in Miniflare.
 *
 * @example
 * const db = useTables();
 * let w: TestWorker;
 * beforeAll(async () => { w = await startWorker({ endpoint: db.endpoint, prefix: db.prefix }); });
 */
export async function startWorker(o: WorkerOptions): Promise<TestWorker> {
  const bundle = await workerBundle();
  const signingKeys = { current: await newEcJwk('svc-current'), next: await newEcJwk('svc-next') };
  const sandboxSigningKeys = {
    current: await newEcJwk('sbx-current'),
    next: await newEcJwk('sbx-next'),
  };
  const logs: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let buf = '';
    stream.on('data', (chunk: Buffer | string) => {
      buf += chunk.toString();
      let i = buf.indexOf('\n');
      while (i >= 0) {
        logs.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
      }
    });
  };
  const serviceUrl = o.port ? `http://127.0.0.1:${o.port}` : SERVICE_URL;
  const mf = new Miniflare({
    modules: miniflareModules(bundle),
    ...(o.port ? { host: '127.0.0.1', port: o.port } : {}),
    ...workerCompatibility(),
    // The Worker's fetches (DynamoDB Local) go straight out, as deployed, not through Miniflare's
    // `CF-Connecting-IP` stripper (one more isolate on workerd's thread per store call).
    stripCfConnectingIp: false,
    bindings: {
      SERVICE_URL: serviceUrl,
      TABLE_PREFIX: o.prefix,
      DYNAMODB_REGION: 'ap-southeast-1',
      DYNAMODB_ENDPOINT: o.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      ADMIN_TOKEN,
      PAIRWISE_SECRET: randomBytes(32).toString('base64url'),
      REGISTRY_HMAC_KEY: randomBytes(32).toString('base64url'),
      SERVICE_SIGNING_KEYS: JSON.stringify(signingKeys),
      SANDBOX_SIGNING_KEYS: JSON.stringify(sandboxSigningKeys),
      // The console is off unless switched on; the tests run it as `npm start` does.
      CONSOLE_ENABLED: 'true',
      DYNAMODB_MAX_ATTEMPTS: '2',
      DYNAMODB_TIMEOUT_MS: '2000',
      ...o.bindings,
    },
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      collect(stdout);
      collect(stderr);
    },
  });
  await mf.ready;
  const fetchPath = async (path: string, init?: RequestInit) =>
    (await mf.dispatchFetch(`${serviceUrl}${path}`, init as never)) as unknown as Response;
  return {
    mf,
    serviceUrl,
    signingKeys,
    sandboxSigningKeys,
    logs,
    fetch: fetchPath,
    admin: (method, path, body, headers = {}) =>
      fetchPath(path, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      }),
    stop: () => mf.dispose(),
  };
}

/** An RP client registered through the admin API, with its private key. */
export interface RpClient {
  readonly clientId: string;
  readonly kid: string;
  readonly privateJwk: JWK & { kid: string };
  /** `Authorization` header value for an RP endpoint (SDK signer). */
  bearer(
    method: string,
    path: string,
    o?: { now?: Date; jti?: string; ttlSeconds?: number },
  ): Promise<string>;
  /** A signed verification request for `chip` (SDK signer). */
  request(
    chip: ChipDumpJSON,
    o?: {
      scope?: string[];
      purpose?: string;
      challengeId?: string;
      now?: Date;
      jti?: string;
      ttlSeconds?: number;
      transport?: 'json' | 'multipart';
    },
  ): Promise<string>;
}

let counter = 0;

/**
 * Registers a client (`sandbox_…` by default) with one fresh ES256 key.
 *
 * @example
 * const rp = await registerClient(w, { scope: ['name', 'age_over_18'] });
 */
export async function registerClient(
  w: TestWorker,
  o: { env?: 'sandbox' | 'live'; scope?: string[]; clientId?: string } = {},
): Promise<RpClient> {
  const clientId =
    o.clientId ?? `${o.env ?? 'sandbox'}_t${process.pid}x${++counter}${randomBytes(3).toString('hex')}`;
  const kid = `k${counter}-${randomBytes(3).toString('hex')}`;
  const privateJwk = await newEcJwk(kid);
  const res = await w.admin('POST', '/admin/v1/clients', {
    clientId,
    name: 'Test RP',
    scope: o.scope ?? [
      'name',
      'given_name',
      'family_name',
      'birthdate',
      'age_over_18',
      'gender',
      'nationality',
    ],
    jwks: { keys: [publicOf(privateJwk)] },
  });
  if (res.status !== 201) throw new Error(`registerClient: ${res.status} ${await res.text()}`);
  return {
    clientId,
    kid,
    privateJwk,
    bearer: async (method, path, b = {}) =>
      `Bearer ${await signAuthToken({ clientId, privateKey: privateJwk, audience: w.serviceUrl, method, path, ...b })}`,
    request: (chip, r = {}) =>
      signVerificationRequest({
        clientId,
        privateKey: privateJwk,
        audience: w.serviceUrl,
        chip,
        scope: r.scope ?? ['name', 'age_over_18'],
        purpose: r.purpose ?? 'integration test',
        ...(r.challengeId ? { challengeId: r.challengeId } : {}),
        ...(r.now ? { now: r.now } : {}),
        ...(r.jti ? { jti: r.jti } : {}),
        ...(r.ttlSeconds ? { ttlSeconds: r.ttlSeconds } : {}),
        ...(r.transport ? { transport: r.transport } : {}),
      }),
  };
}

/** `POST /v1/challenges` for a client; returns the parsed answer. */
export async function newChallenge(
  w: TestWorker,
  rp: RpClient,
): Promise<{ id: string; challenge: string; expiresAt: string }> {
  const res = await w.fetch('/v1/challenges', {
    method: 'POST',
    headers: { authorization: await rp.bearer('POST', '/v1/challenges') },
  });
  if (res.status !== 201) throw new Error(`challenge: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; challenge: string; expiresAt: string };
}

/** `POST /v1/verifications` with a freshly signed request unless `request` is given. */
export async function postVerification(
  w: TestWorker,
  rp: RpClient,
  chip: ChipDumpJSON,
  o: { request?: string; idempotencyKey?: string; scope?: string[]; challengeId?: string } = {},
): Promise<Response> {
  const request =
    o.request ??
    (await rp.request(chip, {
      ...(o.scope ? { scope: o.scope } : {}),
      ...(o.challengeId ? { challengeId: o.challengeId } : {}),
    }));
  return w.fetch('/v1/verifications', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {}),
    },
    body: JSON.stringify({ request, chip }),
  });
}
