/**
 * Local stack — what `npm start` runs (issue 4, "Local stack"): DynamoDB Local in memory on a free
 * loopback port, the tables from `tables.ts`, local secrets kept in `.chipid/`, the Worker under
 * `wrangler dev` on 127.0.0.1 (or, with `runner: 'workerd'`, bundled once and served by workerd through
 * Miniflare without wrangler's watcher and dev proxy — what the benchmarks measure), and the sandbox seeded through the admin API of SERVICE-CONTRACT.md
 * (sandbox CSCA, sandbox registry JSONL, one sandbox client whose private JWK goes to
 * `.chipid/local.json` as `{ "url", "clientId", "privateJwk" }`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLAIM_NAMES } from '@chipid/sdk';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { type DynamoDBLocal, dynamoClient, freePort, startDynamoDBLocal } from './dynamodb-local.ts';
import { killGroup, Tail } from './processes.ts';
import { createTables, DEFAULT_TABLE_PREFIX } from './tables.ts';

/** Repository root (infra/src/../..). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The sandbox client `npm start` registers. */
export const LOCAL_CLIENT_ID = 'sandbox_local';

/** Every claim the Worker knows: the local client may ask for all. */
export const LOCAL_CLIENT_SCOPE = CLAIM_NAMES;

/** A private EC P-256 JWK with `kid` and `alg`. */
export type PrivateJwk = JWK & { kid: string; alg: 'ES256'; d: string };

/** Local secrets kept in `.chipid/secrets.json` so restarts reuse them. */
export interface LocalSecrets {
  ADMIN_TOKEN: string;
  PAIRWISE_SECRET: string;
  REGISTRY_HMAC_KEY: string;
  /** The live environment's assertion keys (issuer: the service URL). */
  SERVICE_SIGNING_KEYS: { current: PrivateJwk; next: PrivateJwk };
  /** The sandbox's own assertion keys (issuer: the service URL + `/sandbox`), never the live ones. */
  SANDBOX_SIGNING_KEYS: { current: PrivateJwk; next: PrivateJwk };
}

/** `.chipid/local.json`: what the CLI (`chipid submit`) and examples read. */
export interface LocalCredentials {
  url: string;
  clientId: string;
  privateJwk: PrivateJwk;
}

export interface LocalStackOptions {
  /** Port for the Worker (default: a free loopback port). */
  readonly port?: number;
  /** Folder for secrets and credentials (default `<repo>/.chipid`). */
  readonly stateDir?: string;
  /** Table prefix (default `chipid-`). */
  readonly prefix?: string;
  /** Progress messages (default: none). */
  readonly log?: (message: string) => void;
  /** `inherit` streams wrangler's output to this process's; `quiet` keeps only a tail for errors. */
  readonly workerOutput?: 'inherit' | 'quiet';
  /**
   * `wrangler` (default): `wrangler dev`, which rebuilds and reloads on every source change.
   * `workerd`: the Worker bundled once (esbuild, as wrangler bundles it) and served by workerd through
   * Miniflare — no watcher, no dev proxy in front, no inspector attached: the runtime as deployed.
   */
  readonly runner?: 'wrangler' | 'workerd';
  /** DynamoDB Local's port (default: a free loopback port). */
  readonly dynamodbPort?: number;
  /** DynamoDB Local's JIT profile (`startDynamoDBLocal`'s `jit`; default `startup`). */
  readonly dynamodbJit?: 'startup' | 'throughput';
  /** Extra Worker bindings (e.g. `DYNAMODB_CLIENT: 'aws-sdk'`), over the generated ones. */
  readonly vars?: Readonly<Record<string, string>>;
  /** How long to wait for `/healthz` (default 90 s: the first wrangler bundle is slow). */
  readonly readyTimeoutMs?: number;
  /** Aborts start-up (everything already started is stopped). */
  readonly signal?: AbortSignal;
}

export interface LocalStack {
  readonly url: string;
  readonly clientId: string;
  readonly privateJwk: PrivateJwk;
  /** Path of `local.json`. */
  readonly credentialsPath: string;
  /** Path of `secrets.json` (ADMIN_TOKEN for the admin API). */
  readonly secretsPath: string;
  readonly adminToken: string;
  readonly dynamodb: Pick<DynamoDBLocal, 'endpoint' | 'kind' | 'port'>;
  /** Settles (never rejects) with the reason when wrangler or DynamoDB stops by itself; never after `stop()`. */
  readonly failed: Promise<Error>;
  /** Stop wrangler, then DynamoDB; wait until both are gone. Idempotent. */
  stop(): Promise<void>;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** A fresh ES256 private JWK with `kid` (RFC 7638 thumbprint) and `alg`. */
export async function generateSigningJwk(): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  if (typeof jwk.d !== 'string') throw new Error('generateSigningJwk: exported key has no private part');
  return { ...jwk, d: jwk.d, kid, alg: 'ES256' };
}

/** The public half of a private JWK, shaped for the admin API (`kty crv x y kid alg use`). */
export function publicJwk(jwk: PrivateJwk): JWK & { kid: string } {
  const { kty, crv, x, y, kid, alg } = jwk;
  const out: JWK & { kid: string } = { kid, use: 'sig' };
  if (kty !== undefined) out.kty = kty;
  if (crv !== undefined) out.crv = crv;
  if (x !== undefined) out.x = x;
  if (y !== undefined) out.y = y;
  if (alg !== undefined) out.alg = alg;
  return out;
}

/**
 * Fresh local secrets: random 256-bit ADMIN_TOKEN, PAIRWISE_SECRET, REGISTRY_HMAC_KEY and, per
 * environment, two ES256 assertion keys (`current` signs, `next` is published ahead of rotation):
 * SERVICE_SIGNING_KEYS for live, SANDBOX_SIGNING_KEYS for the sandbox.
 *
 * @example
 * const s = await generateSecrets(); // s.SERVICE_SIGNING_KEYS.current.kid
 */
export async function generateSecrets(): Promise<LocalSecrets> {
  const random = () => b64url(randomBytes(32));
  return {
    ADMIN_TOKEN: random(),
    PAIRWISE_SECRET: random(),
    REGISTRY_HMAC_KEY: random(),
    SERVICE_SIGNING_KEYS: { current: await generateSigningJwk(), next: await generateSigningJwk() },
    SANDBOX_SIGNING_KEYS: await signingKeyPair(),
  };
}

async function signingKeyPair(): Promise<{ current: PrivateJwk; next: PrivateJwk }> {
  return { current: await generateSigningJwk(), next: await generateSigningJwk() };
}

/** A `{ current, next }` of private JWKs. */
function isKeyPair(v: unknown): v is { current: PrivateJwk; next: PrivateJwk } {
  const keys = v as Record<string, unknown> | undefined;
  return typeof keys === 'object' && keys !== null && isPrivateJwk(keys.current) && isPrivateJwk(keys.next);
}

function isPrivateJwk(v: unknown): v is PrivateJwk {
  if (typeof v !== 'object' || v === null) return false;
  const j = v as Record<string, unknown>;
  return (
    j.kty === 'EC' &&
    j.crv === 'P-256' &&
    j.alg === 'ES256' &&
    ['x', 'y', 'd', 'kid'].every((k) => typeof j[k] === 'string' && (j[k] as string).length > 0)
  );
}

function isSecrets(v: unknown): v is LocalSecrets {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    ['ADMIN_TOKEN', 'PAIRWISE_SECRET', 'REGISTRY_HMAC_KEY'].every(
      (k) => typeof s[k] === 'string' && (s[k] as string).length >= 32,
    ) &&
    isKeyPair(s.SERVICE_SIGNING_KEYS) &&
    isKeyPair(s.SANDBOX_SIGNING_KEYS)
  );
}

/** Secrets of an earlier version without the sandbox's own keys: everything else kept. */
function lacksSandboxKeys(v: unknown): v is Omit<LocalSecrets, 'SANDBOX_SIGNING_KEYS'> {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    s.SANDBOX_SIGNING_KEYS === undefined && isSecrets({ ...s, SANDBOX_SIGNING_KEYS: s.SERVICE_SIGNING_KEYS })
  );
}

function writePrivate(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The secrets in `<stateDir>/secrets.json`, created (mode 0600) on first use and reused afterwards.
 *
 * @example
 * const { secrets, created } = await loadOrCreateSecrets('.chipid');
 */
export async function loadOrCreateSecrets(
  stateDir: string,
): Promise<{ secrets: LocalSecrets; created: boolean; path: string }> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, 'secrets.json');
  const existing = readJson(path);
  if (isSecrets(existing)) return { secrets: existing, created: false, path };
  if (lacksSandboxKeys(existing)) {
    // From before the sandbox had its own keys: keep the rest (the registry's keyed hashes, subs).
    const upgraded: LocalSecrets = { ...existing, SANDBOX_SIGNING_KEYS: await signingKeyPair() };
    writePrivate(path, `${JSON.stringify(upgraded, null, 2)}\n`);
    return { secrets: upgraded, created: false, path };
  }
  const secrets = await generateSecrets();
  writePrivate(path, `${JSON.stringify(secrets, null, 2)}\n`);
  return { secrets, created: true, path };
}

/** The local client's key: reused from `<stateDir>/local.json` when present, else fresh. */
async function loadOrCreateClientKey(stateDir: string, clientId: string): Promise<PrivateJwk> {
  const existing = readJson(join(stateDir, 'local.json')) as Partial<LocalCredentials> | undefined;
  if (existing?.clientId === clientId && isPrivateJwk(existing.privateJwk)) return existing.privateJwk;
  return generateSigningJwk();
}

/** dotenv line; JSON goes in single quotes (literal in dotenv), plain tokens as they are. */
function envLine(key: string, value: string): string {
  if (/^[A-Za-z0-9_\-.:/]*$/.test(value)) return `${key}=${value}`;
  if (value.includes("'") || value.includes('\n'))
    throw new Error(`env value for ${key} cannot be written safely`);
  return `${key}='${value}'`;
}

/** The Worker's bindings for a local run (SERVICE-CONTRACT "Worker configuration"). */
export function workerVars(opts: {
  url: string;
  dynamodbEndpoint: string;
  prefix: string;
  secrets: LocalSecrets;
}): Record<string, string> {
  return {
    SERVICE_URL: opts.url,
    TABLE_PREFIX: opts.prefix,
    DYNAMODB_REGION: 'ap-southeast-1',
    DYNAMODB_ENDPOINT: opts.dynamodbEndpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ADMIN_TOKEN: opts.secrets.ADMIN_TOKEN,
    PAIRWISE_SECRET: opts.secrets.PAIRWISE_SECRET,
    REGISTRY_HMAC_KEY: opts.secrets.REGISTRY_HMAC_KEY,
    SERVICE_SIGNING_KEYS: JSON.stringify(opts.secrets.SERVICE_SIGNING_KEYS),
    SANDBOX_SIGNING_KEYS: JSON.stringify(opts.secrets.SANDBOX_SIGNING_KEYS),
    // The sandbox console: on locally (a deployment has it off unless `--console`).
    CONSOLE_ENABLED: 'true',
  };
}

function wranglerBin(): string {
  return join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin', 'wrangler.js');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function abortError(): Error {
  return new Error('local stack start-up aborted');
}

/** Keeps the tail of a server's `stream` in `output`; with `inherit`, also writes it to `to`. */
function tee(
  stream: NodeJS.ReadableStream | null | undefined,
  output: Tail,
  to: NodeJS.WriteStream,
  mode: 'inherit' | 'quiet',
): void {
  let partial = '';
  stream?.on('data', (c: Buffer) => {
    output.push(c);
    if (mode !== 'inherit') return;
    // One log line per request: the Worker writes its own (request id, route pattern, status,
    // duration — no paths, which can carry document numbers); wrangler's per-request echo goes.
    const lines = (partial + c.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    const kept = lines.filter((l) => !WRANGLER_REQUEST_LINE.test(l));
    if (kept.length) to.write(`${kept.join('\n')}\n`);
  });
  stream?.on('end', () => {
    if (mode === 'inherit' && partial) to.write(partial);
  });
}

/** wrangler dev's own line for each request (`[wrangler:info] GET /v1/challenges 201 Created (12ms)`). */
export const WRANGLER_REQUEST_LINE =
  /^(?:\x1b\[[0-9;]*m)*\[wrangler:info\](?:\x1b\[[0-9;]*m)* (?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \S+ \d{3}\b/;

/** The process serving the Worker (wrangler dev, or workerd through Miniflare). */
interface WorkerServer {
  /** `wrangler dev` or `workerd` — for messages. */
  name: string;
  /** Why it can't serve any more (exited, failed bundle), or undefined while fine. */
  gone(): string | undefined;
  exited: Promise<void>;
  output: Tail;
  stop(): Promise<void>;
}

const liveGroups = new Set<ChildProcess>();
let exitHookInstalled = false;

function startWrangler(opts: {
  port: number;
  envFile: string;
  stateDir: string;
  output: 'inherit' | 'quiet';
}): Promise<WorkerServer> {
  return (async () => {
    const inspectorPort = await freePort();
    const args = [
      wranglerBin(),
      'dev',
      '--config',
      join(REPO_ROOT, 'wrangler.toml'),
      '--ip',
      '127.0.0.1',
      '--port',
      String(opts.port),
      '--inspector-ip',
      '127.0.0.1',
      '--inspector-port',
      String(inspectorPort),
      '--env-file',
      opts.envFile,
      '--persist-to',
      join(opts.stateDir, 'wrangler-state'),
      '--show-interactive-dev-session=false',
    ];
    const output = new Tail(6_000);
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        // No download of the `request.cf` sample from workers.cloudflare.com (the app does not read
        // `request.cf`; offline, the attempt only prints an error): the placeholder object is used.
        CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
        // Non-interactive: no prompts, no hotkeys.
        CI: 'true',
        ...(opts.output === 'quiet' ? { NO_COLOR: '1' } : {}),
      },
    });
    liveGroups.add(child);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const c of liveGroups) killGroup(c, 'SIGKILL');
      });
    }
    tee(child.stdout, output, process.stdout, opts.output);
    tee(child.stderr, output, process.stderr, opts.output);
    const exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        output.push(`\n${err.message}`);
        liveGroups.delete(child);
        resolve();
      });
      child.once('exit', () => {
        liveGroups.delete(child);
        resolve();
      });
    });
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 8_000);
        await exited;
        clearTimeout(timer);
        // workerd may outlive wrangler for a moment; make sure nothing of the group stays behind.
        killGroup(child, 'SIGKILL');
        if (child.pid !== undefined && process.platform !== 'win32') {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // group empty
          }
        }
      })();
      return stopping;
    };
    const gone = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return `wrangler dev exited (${child.exitCode ?? child.signalCode})`;
      }
      // wrangler keeps watching after a failed bundle; on a start-up that is fatal, so say so now.
      const out = output.toString().replace(/\x1b\[[0-9;]*m/g, '');
      return /Build failed/.test(out) ? 'wrangler dev could not bundle the Worker' : undefined;
    };
    return { name: 'wrangler dev', gone, exited, output, stop };
  })();
}

/** The Worker bundled once and served by workerd through Miniflare on 127.0.0.1:`port`. */
async function startWorkerd(opts: {
  port: number;
  vars: Record<string, string>;
  output: 'inherit' | 'quiet';
}): Promise<WorkerServer> {
  const [{ Miniflare }, { bundleWorker, miniflareModules, workerCompatibility }] = await Promise.all([
    import('miniflare'),
    import('./bundle.ts'),
  ]);
  const bundle = await bundleWorker(join(REPO_ROOT, 'functions', 'src', 'index.ts'));
  const output = new Tail(6_000);
  const mf = new Miniflare({
    modules: miniflareModules(bundle),
    ...workerCompatibility(),
    // The Worker serves its own socket, and its fetches go straight out: Miniflare's entry Worker
    // (request logging, pretty errors, `request.cf`) and its outbound `CF-Connecting-IP` stripper are two
    // more isolates in the same thread that the deployed Worker does not have — measured, they were
    // about a quarter of workerd's CPU per verification under the benchmark's load (docs/decisions.md).
    host: '127.0.0.1',
    port: 0,
    unsafeDirectSockets: [{ host: '127.0.0.1', port: opts.port }],
    stripCfConnectingIp: false,
    cf: false, // the placeholder `request.cf`, no download (see the wrangler runner)
    bindings: { CONSOLE_ENABLED: 'true', ...opts.vars },
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      tee(stdout, output, process.stdout, opts.output);
      tee(stderr, output, process.stderr, opts.output);
    },
  });
  await mf.ready;
  let stopped: Promise<void> | undefined;
  let resolveExited: () => void = () => {};
  const exited = new Promise<void>((r) => {
    resolveExited = r;
  });
  const stop = () => {
    stopped ??= mf.dispose().finally(resolveExited);
    return stopped;
  };
  return { name: 'workerd', gone: () => undefined, exited, output, stop };
}

async function waitForHealthz(
  url: string,
  server: WorkerServer,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (signal?.aborted) throw abortError();
    const gone = server.gone();
    if (gone !== undefined) {
      throw new Error(
        `${gone} before ${url}/healthz answered\n--- ${server.name} output (tail) ---\n${server.output}`,
      );
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${url}/healthz did not answer 200 within ${timeoutMs} ms (last: ${last})\n--- ${server.name} output (tail) ---\n${server.output}`,
      );
    }
    await sleep(250);
  }
}

async function admin(
  url: string,
  token: string,
  method: string,
  path: string,
  body: string,
  contentType: string,
): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (res.status === 409) return { conflict: true };
  if (!res.ok) throw new Error(`seed: ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return text === '' ? undefined : JSON.parse(text);
}

/**
 * Seed the sandbox through the admin API: the sandbox CSCA, the sandbox registry JSONL and the
 * local client with its public key and a broad scope.
 */
export async function seedSandbox(opts: {
  url: string;
  adminToken: string;
  clientId: string;
  clientKey: PrivateJwk;
  registryPath?: string;
  log?: (message: string) => void;
}): Promise<{ imported: number; failed: unknown[] }> {
  const log = opts.log ?? (() => {});
  const { sandboxCSCA } = await import('@chipid/sdk/sandbox');
  const { pem } = await sandboxCSCA();
  await admin(
    opts.url,
    opts.adminToken,
    'POST',
    '/admin/v1/trust/sandbox/cscas',
    JSON.stringify({ pem }),
    'application/json',
  );
  log('sandbox CSCA added to the sandbox trust store');

  const registryPath = opts.registryPath ?? join(REPO_ROOT, 'infra', 'seed', 'sandbox-registry.jsonl');
  const jsonl = readFileSync(registryPath, 'utf8');
  const out = (await admin(
    opts.url,
    opts.adminToken,
    'POST',
    '/admin/v1/registry/sandbox/import',
    jsonl,
    'application/x-ndjson',
  )) as {
    imported?: number;
    failed?: unknown[];
  };
  const imported = out?.imported ?? 0;
  const failed = out?.failed ?? [];
  log(
    `sandbox registry imported: ${imported} records${failed.length > 0 ? `, ${failed.length} failed` : ''}`,
  );
  if (failed.length > 0) log(`  failed lines: ${JSON.stringify(failed).slice(0, 1_000)}`);

  await admin(
    opts.url,
    opts.adminToken,
    'POST',
    '/admin/v1/clients',
    JSON.stringify({
      clientId: opts.clientId,
      name: 'Local sandbox client (npm start)',
      scope: LOCAL_CLIENT_SCOPE,
      jwks: { keys: [publicJwk(opts.clientKey)] },
    }),
    'application/json',
  );
  log(`sandbox client ${opts.clientId} registered`);
  return { imported, failed };
}

/**
 * Start the whole local stack: DynamoDB Local → tables → secrets → wrangler dev → `/healthz` → seed →
 * `.chipid/local.json`. On any failure everything already started is stopped before rejecting.
 *
 * @example
 * const stack = await startLocalStack({ log: console.log });
 * console.log(stack.url, stack.clientId);
 * await stack.stop();
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const stateDir = options.stateDir ?? join(REPO_ROOT, '.chipid');
  const prefix = options.prefix ?? DEFAULT_TABLE_PREFIX;
  const signal = options.signal;
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  };
  const checkAbort = () => {
    if (signal?.aborted) throw abortError();
  };

  try {
    // (c) Secrets, reused across restarts.
    const { secrets, created, path: secretsPath } = await loadOrCreateSecrets(stateDir);
    log(
      `${created ? 'generated' : 'reusing'} local secrets in ${relative(process.cwd(), secretsPath) || secretsPath}`,
    );
    const clientKey = await loadOrCreateClientKey(stateDir, LOCAL_CLIENT_ID);

    // (a) DynamoDB Local (in memory, free loopback port) and (d) wrangler dev on 127.0.0.1 start in
    // parallel: the Worker only needs DynamoDB's address to boot, not a running server.
    const dynamodbPort = options.dynamodbPort ?? (await freePort());
    const port = options.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const envFile = join(stateDir, 'dev.env');
    const vars = {
      ...workerVars({ url, dynamodbEndpoint: `http://127.0.0.1:${dynamodbPort}`, prefix, secrets }),
      ...options.vars,
    };
    writePrivate(
      envFile,
      `# Generated by npm start (infra/src/local-stack.ts); local secrets, do not commit.\n${Object.entries(
        vars,
      )
        .map(([k, v]) => envLine(k, v))
        .join('\n')}\n`,
    );
    const t0 = performance.now();
    const [ddbStarted, wranglerStarted] = await Promise.allSettled([
      startDynamoDBLocal({
        port: dynamodbPort,
        ...(options.dynamodbJit ? { jit: options.dynamodbJit } : {}),
      }).then((d) => {
        cleanups.push(() => d.stop());
        const name = d.kind === 'dynamodb-local' ? 'DynamoDB Local' : 'dynalite';
        log(`${name} on ${d.endpoint} (in memory, ${Math.round(performance.now() - t0)} ms)`);
        return d;
      }),
      (options.runner === 'workerd'
        ? startWorkerd({ port, vars, output: options.workerOutput ?? 'quiet' })
        : startWrangler({ port, envFile, stateDir, output: options.workerOutput ?? 'quiet' })
      ).then((w) => {
        cleanups.push(() => w.stop());
        return w;
      }),
    ]);
    if (ddbStarted.status === 'rejected') throw ddbStarted.reason;
    if (wranglerStarted.status === 'rejected') throw wranglerStarted.reason;
    const ddb = ddbStarted.value;
    const wrangler = wranglerStarted.value;
    checkAbort();

    // (b) Tables.
    const client = dynamoClient(ddb.endpoint);
    try {
      const t = await createTables(client, { prefix, warn: (m) => log(m.replace(/^chipid: /, '')) });
      log(`tables: ${[...t.created, ...t.existing].join(', ')} (TTL ${t.ttl})`);
    } finally {
      client.destroy();
    }
    checkAbort();

    // (e) Ready when /healthz answers.
    await waitForHealthz(url, wrangler, options.readyTimeoutMs ?? 90_000, signal);
    log(
      `Worker answers /healthz (${Math.round(performance.now() - t0)} ms after start); seeding the sandbox…`,
    );

    // (f) Seed through the admin API.
    try {
      await seedSandbox({ url, adminToken: secrets.ADMIN_TOKEN, clientId: LOCAL_CLIENT_ID, clientKey, log });
    } catch (err) {
      if (ddb.kind !== 'dynalite') throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(
        `${why}\nThe Worker needs DynamoDB transactions (TransactWriteItems), which dynalite lacks: install Java 17 (java on PATH) so npm start can run DynamoDB Local.`,
      );
    }
    checkAbort();

    // (g) Credentials for the CLI and the examples.
    const credentialsPath = join(stateDir, 'local.json');
    const credentials: LocalCredentials = { url, clientId: LOCAL_CLIENT_ID, privateJwk: clientKey };
    writePrivate(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`);
    // Said once everything is in place: the sandbox seeded and the credentials written.
    log(`Worker ready on ${url} (${Math.round(performance.now() - t0)} ms after start)`);

    let stopped = false;
    const stop = async () => {
      stopped = true;
      await cleanup();
    };
    const failed = Promise.race([
      wrangler.exited.then(
        () =>
          new Error(
            `${wrangler.name} stopped unexpectedly\n--- ${wrangler.name} output (tail) ---\n${wrangler.output}`,
          ),
      ),
      ddb.exited.then(() => new Error('DynamoDB Local stopped unexpectedly')),
    ]).then(async (err) => {
      // Only report failures that stop() did not cause; wait forever otherwise.
      if (stopped) return new Promise<Error>(() => {});
      await cleanup();
      return err;
    });
    return {
      url,
      clientId: LOCAL_CLIENT_ID,
      privateJwk: clientKey,
      credentialsPath,
      secretsPath,
      adminToken: secrets.ADMIN_TOKEN,
      dynamodb: { endpoint: ddb.endpoint, kind: ddb.kind, port: ddb.port },
      failed,
      stop,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
