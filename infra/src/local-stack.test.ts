/**
 * The local stack (`npm start`'s pieces) for real: DynamoDB Local, wrangler dev serving the Worker,
 * the sandbox seeded through the admin API, credentials written; then a clean stop.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, loadOrCreateSecrets, startLocalStack, workerVars } from './local-stack.ts';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chipid-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are generated once (mode 0600) and reused on the next start', async () => {
    const first = await loadOrCreateSecrets(dir);
    expect(first.created).toBe(true);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const { current, next } = first.secrets.SERVICE_SIGNING_KEYS;
    for (const k of [current, next]) {
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(k.d.length).toBeGreaterThan(40);
      expect(k.kid.length).toBeGreaterThan(20);
    }
    expect(current.kid).not.toBe(next.kid);
    expect(first.secrets.ADMIN_TOKEN).not.toBe(first.secrets.PAIRWISE_SECRET);
    // The sandbox has keys of its own, none of them a live one.
    const sandbox = first.secrets.SANDBOX_SIGNING_KEYS;
    const liveKids = [current.kid, next.kid];
    for (const k of [sandbox.current, sandbox.next]) {
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(liveKids).not.toContain(k.kid);
      expect([current.x, next.x]).not.toContain(k.x);
    }

    const second = await loadOrCreateSecrets(dir);
    expect(second.created).toBe(false);
    expect(second.secrets).toEqual(first.secrets);

    const vars = workerVars({
      url: 'http://127.0.0.1:1',
      dynamodbEndpoint: 'http://127.0.0.1:2',
      prefix: 'chipid-',
      secrets: first.secrets,
    });
    expect(JSON.parse(vars.SERVICE_SIGNING_KEYS ?? '')).toEqual(first.secrets.SERVICE_SIGNING_KEYS);
    expect(JSON.parse(vars.SANDBOX_SIGNING_KEYS ?? '')).toEqual(first.secrets.SANDBOX_SIGNING_KEYS);
    expect(vars).toMatchObject({
      CONSOLE_ENABLED: 'true',
      SERVICE_URL: 'http://127.0.0.1:1',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:2',
      TABLE_PREFIX: 'chipid-',
    });
  });
});

describe('local secrets of an earlier version (no sandbox keys)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chipid-secrets-old-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('get sandbox keys of their own; everything else is kept', async () => {
    const { secrets } = await loadOrCreateSecrets(dir);
    const { SANDBOX_SIGNING_KEYS: _gone, ...old } = secrets;
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify(old));
    const upgraded = await loadOrCreateSecrets(dir);
    expect(upgraded.created).toBe(false);
    expect(upgraded.secrets).toMatchObject(old);
    expect(upgraded.secrets.SANDBOX_SIGNING_KEYS.current.kid).not.toBe(old.SERVICE_SIGNING_KEYS.current.kid);
    expect((await loadOrCreateSecrets(dir)).secrets).toEqual(upgraded.secrets);
  });
});

describe.each(['wrangler', 'workerd'] as const)('startLocalStack (runner %s)', (runner) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'chipid-stack-'));
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, workerOutput: 'quiet', runner });
  }, 150_000);
  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('serves the Worker on 127.0.0.1 and answers /healthz', async () => {
    expect(stack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${stack.url}/healthz`);
    expect(res.status).toBe(200);
    expect(stack.dynamodb.kind).toBe('dynamodb-local');
  });

  it('writes local.json as exactly { url, clientId, privateJwk } (mode 0600)', () => {
    const text = readFileSync(join(stateDir, 'local.json'), 'utf8');
    const creds = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(creds).sort()).toEqual(['clientId', 'privateJwk', 'url']);
    expect(creds.url).toBe(stack.url);
    expect(creds.clientId).toMatch(/^sandbox_/);
    expect(creds.privateJwk).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      kid: expect.any(String),
      d: expect.any(String),
    });
    expect(statSync(join(stateDir, 'local.json')).mode & 0o777).toBe(0o600);
  });

  it('registered the sandbox client with that key: a signed POST /v1/challenges gets 201', async () => {
    const creds = JSON.parse(readFileSync(join(stateDir, 'local.json'), 'utf8'));
    // RP authentication of SERVICE-CONTRACT.md: typ chipid-auth+jwt, iss/aud/iat/exp/jti/htm/htu.
    const auth = (kid: string) =>
      importJWK(creds.privateJwk, 'ES256').then((key) =>
        new SignJWT({ htm: 'POST', htu: '/v1/challenges' })
          .setProtectedHeader({ alg: 'ES256', typ: 'chipid-auth+jwt', kid })
          .setIssuer(creds.clientId)
          .setAudience(creds.url)
          .setIssuedAt()
          .setExpirationTime('30s')
          .setJti(crypto.randomUUID())
          .sign(key),
      );
    const post = async (token: string) =>
      fetch(`${creds.url}/v1/challenges`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const ok = await post(await auth(creds.privateJwk.kid));
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ id: expect.any(String), challenge: expect.any(String) });
    // Same key under an unknown kid: refused, so the 201 above really came from the registered key.
    expect((await post(await auth('not-registered'))).status).toBe(401);
  });

  it('keeps the admin API behind ADMIN_TOKEN and published both service keys', async () => {
    const denied = await fetch(`${stack.url}/admin/v1/clients`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(denied.status).toBe(401);
    const jwks = (await (await fetch(`${stack.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; d?: string }[];
    };
    const secrets = JSON.parse(readFileSync(stack.secretsPath, 'utf8'));
    const kids = jwks.keys.map((k) => k.kid);
    expect(kids).toContain(secrets.SERVICE_SIGNING_KEYS.current.kid);
    expect(kids).toContain(secrets.SERVICE_SIGNING_KEYS.next.kid);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    // The sandbox issuer's own keys, apart from the live ones.
    const sandbox = (await (await fetch(`${stack.url}/sandbox/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; d?: string }[];
    };
    const sandboxKids = sandbox.keys.map((k) => k.kid);
    expect(sandboxKids).toEqual([
      secrets.SANDBOX_SIGNING_KEYS.current.kid,
      secrets.SANDBOX_SIGNING_KEYS.next.kid,
    ]);
    expect(kids.filter((k) => sandboxKids.includes(k))).toEqual([]);
    // npm start serves the console (wrangler.toml has it off: the env file turns it on).
    expect((await fetch(`${stack.url}/console`)).status).toBe(200);
  });

  it('stops the Worker and DynamoDB Local cleanly', async () => {
    const { url } = stack;
    let failedSettled = false;
    void stack.failed.then(() => {
      failedSettled = true;
    });
    await stack.stop();
    await expect(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    await expect(fetch(stack.dynamodb.endpoint, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(failedSettled).toBe(false); // a requested stop is not a failure
    expect(processAlive(process.pid)).toBe(true);
  });
});
