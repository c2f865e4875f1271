/**
 * Sandbox console (`/console`, issue 6): the JSON API in workerd (Miniflare, the real bundled Worker)
 * against DynamoDB Local — profiles, cards, full verifications through the real pipeline as the
 * built-in `sandbox_console` client, uploaded dumps, the live table never touched, the reserved client
 * id unusable by RPs, the disabled flag — and the page itself driven in a real headless Chromium
 * (Playwright), with a screenshot decoded and checked to be a rendered page.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolePage } from '../../functions/src/console/page.ts';
import { keys } from '../../functions/src/store/keys.ts';
import { readAudit, verifyAuditChain } from '../../functions/src/store/verifications.ts';
import { REASON_CODES } from '../../sdk/src/reasons.ts';
import { listProfiles, makeCard, sandboxCSCA, sandboxRegistryJSONL } from '../../sdk/src/sandbox/index.ts';
import { chromiumForTest } from '../support/chromium.ts';
import { useTables } from '../support/dynamodb.ts';
import { registerClient, startWorker, type TestWorker } from '../support/worker.ts';
import { colourStats, decodePNG } from './png.ts';

const db = useTables();
let w: TestWorker;
let off: TestWorker;
let unset: TestWorker;
let limited: TestWorker;

beforeAll(async () => {
  [w, off, unset, limited] = await Promise.all([
    startWorker({ endpoint: db.endpoint, prefix: db.prefix }),
    startWorker({ endpoint: db.endpoint, prefix: db.prefix, bindings: { CONSOLE_ENABLED: 'false' } }),
    // As a deployment without the switch: unset (an empty binding reads the same).
    startWorker({ endpoint: db.endpoint, prefix: db.prefix, bindings: { CONSOLE_ENABLED: '' } }),
    startWorker({
      endpoint: db.endpoint,
      prefix: db.prefix,
      bindings: { CONSOLE_RATE_LIMIT_PER_MINUTE: '1' },
    }),
  ]);
  const csca = await sandboxCSCA();
  let res = await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: csca.pem });
  expect(res.status).toBe(201);
  res = await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
    'content-type': 'application/x-ndjson',
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await Promise.all([w?.stop(), off?.stop(), unset?.stop(), limited?.stop()]);
});

interface Step {
  group: string;
  name: string;
  status: 'pass' | 'fail' | 'skip';
  reasons: string[];
}
interface Verification {
  id: string;
  result: string;
  reasons: string[];
  assertion: string;
  steps: Step[];
  source: string;
  challengeAnswered: boolean;
  card: Record<string, Record<string, unknown>>;
  dump: Record<string, unknown>;
  expected?: { result: string; reasons: string[] };
  matchesExpected?: boolean;
  seed?: string;
  read?: { accessControl: string; pace?: Record<string, string>; chipAuthentication: string; apdus: number };
}

const post = (worker: TestWorker, path: string, body: unknown, ip?: string) =>
  worker.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(ip ? { 'cf-connecting-ip': ip } : {}) },
    body: JSON.stringify(body),
  });

async function verify(body: unknown): Promise<Verification> {
  const res = await post(w, '/console/api/verifications', body);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Verification;
}

async function scan(table: string) {
  const items: Record<string, { S?: string }>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const r = await db.client.send(
      new ScanCommand({
        TableName: table,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((r.Items ?? []) as typeof items));
    start = r.LastEvaluatedKey as typeof start;
  } while (start);
  return items.map((i) => `${i.pk?.S}|${i.sk?.S}`).sort();
}

describe('console API', () => {
  it('lists every sandbox profile with its expected outcome, the reason texts and the trust state', async () => {
    const res = await w.fetch('/console/api/profiles');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as {
      environment: string;
      clientId: string;
      profiles: unknown[];
      reasons: Record<string, string>;
      trust: { cscas: number; sandboxCsca: boolean };
    };
    expect(body.environment).toBe('sandbox');
    expect(body.clientId).toBe('sandbox_console');
    expect(body.profiles).toEqual(listProfiles());
    expect(Object.keys(body.reasons).sort()).toEqual([...REASON_CODES].sort());
    expect(body.trust).toMatchObject({ cscas: 1, sandboxCsca: true });
  });

  it('makes a reproducible card and describes it (face, DG1, DG13 with diacritics)', async () => {
    const ref = await makeCard({ profile: 'valid', seed: 'api-card' });
    const res = await post(w, '/console/api/cards', { profile: 'valid', seed: 'api-card' });
    expect(res.status).toBe(200);
    const c = (await res.json()) as {
      dump: unknown;
      seed: string;
      card: {
        dg1: { documentNumber: string };
        dg2: { faces: { image: string }[] };
        dg13: { fullName: string };
      };
    };
    expect(c.dump).toEqual(ref.dump);
    expect(c.card.dg13.fullName).toBe(ref.citizen.fullName);
    expect(c.card.dg13.fullName).toMatch(/[^\x00-\x7f]/);
    expect(c.card.dg1.documentNumber).toBe(ref.card.documentNumber);
    const jpeg = Buffer.from(c.card.dg2.faces[0]?.image ?? '', 'base64');
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);

    // A JPEG 2000 face (browsers do not decode it) also comes converted to JPEG for display.
    const jp2 = (await (
      await post(w, '/console/api/cards', { profile: 'valid-jp2', seed: 'api-card' })
    ).json()) as {
      card: { dg2: { faces: { format: string; image: string; display?: string }[] } };
    };
    const jp2Face = jp2.card.dg2.faces[0]!;
    expect(jp2Face.format).toBe('jp2');
    expect(
      [...Buffer.from(jp2Face.image, 'base64').subarray(4, 8)].map((b) => String.fromCharCode(b)).join(''),
    ).toBe('jP  ');
    const shown = Buffer.from(jp2Face.display ?? '', 'base64');
    expect([...shown.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(c.card.dg2.faces[0]).not.toHaveProperty('display');

    const random = (await (await post(w, '/console/api/cards', { profile: 'valid' })).json()) as {
      seed: string;
    };
    expect(random.seed).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });

  it('valid → verified: every step passes, AA answered a fresh challenge, the assertion verifies', async () => {
    const ref = await makeCard({ profile: 'valid', seed: 'api' });
    const v = await verify({ profile: 'valid', seed: 'api' });
    expect(v).toMatchObject({ result: 'verified', reasons: [], source: 'profile', challengeAnswered: true });
    expect(v.matchesExpected).toBe(true);
    // Read as a phone reads it: the SDK reader over the card's APDU-level virtual card.
    expect(v.read).toMatchObject({
      accessControl: 'pace',
      pace: { mapping: 'GM', curve: 'brainpoolP256r1', cipher: 'AES-128', password: 'can' },
      chipAuthentication: 'passed',
      activeAuthentication: 'answered',
    });
    expect(v.read?.apdus).toBeGreaterThan(10);
    expect(v.steps.length).toBeGreaterThan(10);
    expect(v.steps.filter((s) => s.status !== 'pass')).toEqual([]);
    expect(v.steps.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'sod.signature',
        'ds.chain',
        'dg1.hash',
        'dg13.hash',
        'aa.challenge',
        'aa.signature',
        'registry',
      ]),
    );
    // The chip's AA answer is to a challenge the service issued (not the one in a reference card).
    expect((v.dump.aa as { challenge: string }).challenge).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    const { aa: _aa, ...rest } = v.dump;
    expect(rest).toEqual(ref.dump);

    const jwks = createLocalJWKSet((await (await w.fetch('/sandbox/.well-known/jwks.json')).json()) as never);
    const { payload } = await jwtVerify(v.assertion, jwks, {
      issuer: `${w.serviceUrl}/sandbox`,
      audience: 'sandbox_console',
      typ: 'chipid-assertion+jwt',
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({ txn: v.id, result: 'verified', env: 'sandbox' });
    const vc = payload.verified_claims as {
      claims: Record<string, unknown>;
      verification: { trust_framework: string };
    };
    expect(vc.verification.trust_framework).toBe('chipid_sandbox');
    expect(vc.claims.name).toBe(ref.citizen.fullName);
  });

  it('tampered-dg1 → rejected with dg_hash_mismatch: the DG1 hash step fails, the registry is not consulted', async () => {
    const v = await verify({ profile: 'tampered-dg1', seed: 'api' });
    expect(v).toMatchObject({ result: 'rejected', reasons: ['dg_hash_mismatch'], matchesExpected: true });
    expect(v.steps.find((s) => s.name === 'dg1.hash')).toMatchObject({
      status: 'fail',
      reasons: ['dg_hash_mismatch'],
    });
    expect(v.steps.find((s) => s.name === 'dg13.hash')?.status).toBe('pass');
    expect(v.steps.find((s) => s.name === 'registry')?.status).toBe('skip');
    expect(v.steps.filter((s) => s.group === 'active').map((s) => s.status)).toEqual(['skip']);
  });

  it('clone → inconclusive (AA signature fails); no-aa → inconclusive (no AA key)', async () => {
    const v = await verify({ profile: 'clone', seed: 'api' });
    expect(v).toMatchObject({ result: 'inconclusive', reasons: ['aa_failed'], matchesExpected: true });
    expect(v.steps.find((s) => s.name === 'aa.signature')).toMatchObject({
      status: 'fail',
      reasons: ['aa_failed'],
    });
    const n = await verify({ profile: 'no-aa', seed: 'api' });
    expect(n).toMatchObject({ result: 'inconclusive', reasons: ['aa_not_supported'], matchesExpected: true });
    expect(n.steps.filter((s) => s.group === 'active')).toMatchObject([
      { name: 'aa.key', status: 'fail', reasons: ['aa_not_supported'] },
    ]);
    expect(n.steps.find((s) => s.name === 'registry')?.status).toBe('pass');
  });

  it('an uploaded dump runs the same pipeline; without a chip, no fresh challenge can be answered', async () => {
    const { dump } = await makeCard({ profile: 'valid', seed: 'upload' });
    const v = await verify({ dump });
    expect(v).toMatchObject({ result: 'inconclusive', reasons: ['aa_not_performed'], source: 'upload' });
    expect(v.challengeAnswered).toBe(false);
    expect(v.matchesExpected).toBeUndefined();
    const byGroup = (g: string) => v.steps.filter((s) => s.group === g).map((s) => s.status);
    expect(new Set(byGroup('passive'))).toEqual(new Set(['pass']));
    expect(byGroup('registry')).toEqual(['pass']);
    expect(v.steps.find((s) => s.group === 'active')).toMatchObject({ name: 'aa.answer', status: 'fail' });
    expect(v.card.dg1?.documentNumber).toBeDefined();

    // An AA answer made for some other challenge is a replay as far as the service knows.
    const stale = await makeCard({ profile: 'valid', seed: 'upload', challenge: new Uint8Array(8).fill(7) });
    const r = await verify({ dump: stale.dump });
    expect(r).toMatchObject({ result: 'inconclusive', reasons: ['challenge_invalid'] });
    expect(r.steps.find((s) => s.name === 'aa.challenge')?.status).toBe('fail');

    const tampered = await makeCard({ profile: 'tampered-dg13', seed: 'upload' });
    const t = await verify({ dump: tampered.dump });
    expect(t.result).toBe('rejected');
    // Passive authentication failed: nothing else on the chip is judged (no aa_not_performed).
    expect(t.reasons).toEqual(['dg_hash_mismatch']);
    expect(t.steps.filter((s) => s.group === 'active')).toMatchObject([{ name: 'aa', status: 'skip' }]);
  });

  it('rejects malformed input with validation problems', async () => {
    for (const body of [
      {},
      { profile: 'nope' },
      { profile: 'valid', dump: { format: 'chipid.dump/1', sod: 'AA==', dg1: 'AA==' } },
      { dump: { format: 'chipid.dump/1', sod: 'AA==', dg1: 'AA==', extra: 1 } },
      { profile: 'valid', env: 'live' },
      { profile: 'valid', seed: '<script>' },
    ]) {
      const res = await post(w, '/console/api/verifications', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(((await res.json()) as { code: string }).code).toBe('ERR_VALIDATION');
    }
    // What a cross-site HTML form could send (no CORS preflight) is not accepted as JSON.
    const form = await w.fetch('/console/api/verifications', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ profile: 'valid' }),
    });
    expect(form.status).toBe(415);
    expect(((await form.json()) as { code: string }).code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('rate-limits console calls (CONSOLE_RATE_LIMIT_PER_MINUTE) per caller with a 429 problem', async () => {
    // Quota 1 per minute and address: of three calls at least one is over the quota even if a window
    // boundary falls between them.
    const a = '203.0.113.7';
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await post(limited, '/console/api/cards', { profile: 'valid' }, a));
    const over = answers.find((r) => r.status === 429);
    expect(over).toBeDefined();
    expect(over?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await over?.json()).toMatchObject({ code: 'ERR_RATE_LIMITED' });
    // Another caller is not locked out by the first one's burst: its own first call of the minute.
    const other = await post(limited, '/console/api/cards', { profile: 'valid' }, '198.51.100.23');
    expect(other.status).toBe(200);
    // Reading the profiles is not counted.
    expect((await limited.fetch('/console/api/profiles')).status).toBe(200);
    // The counters name no address.
    const sandbox = await scan(db.tableName('sandbox'));
    expect(sandbox.filter((k) => k.startsWith('RATE#console#')).length).toBeGreaterThanOrEqual(2);
    expect(sandbox.join('\n')).not.toMatch(/203\.0\.113|198\.51\.100/);
  });

  it('counts an IPv6 caller by its /64: rotating addresses inside it does not multiply the quota', async () => {
    const answers = [];
    for (const host of ['1', '2', 'abcd:1', 'ffff:ffff:ffff:ffff']) {
      answers.push(await post(limited, '/console/api/cards', { profile: 'valid' }, `2001:db8:77:5::${host}`));
    }
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(2);
    // Another /64 has its own quota.
    expect((await post(limited, '/console/api/cards', { profile: 'valid' }, '2001:db8:77:6::1')).status).toBe(
      200,
    );
  });

  it('writes only to the sandbox table: the live table is never touched; the audit chain links', async () => {
    const live = db.tableName('live');
    // Give the live world a client so it is not trivially empty.
    await registerClient(w, { env: 'live' });
    const before = await scan(live);
    await verify({ profile: 'valid', seed: 'live-check' });
    await verify({ dump: (await makeCard({ profile: 'deceased', seed: 'x' })).dump });
    await post(w, '/console/api/cards', { profile: 'valid' });
    await w.fetch('/console/api/profiles');
    expect(await scan(live)).toEqual(before);
    expect(before.some((k) => /sandbox_console/.test(k))).toBe(false);

    const sandbox = await scan(db.tableName('sandbox'));
    expect(sandbox).toContain('CLIENT#sandbox_console|CLIENT');
    const store = { db: db.client, table: db.tableName('sandbox'), env: 'sandbox' as const };
    // The console's audit log: its own partition per UTC day (today's, or yesterday's near midnight).
    const audit = [];
    for (const t of [Date.now() - 86_400_000, Date.now()]) {
      const day = new Date(t).toISOString().slice(0, 10);
      const ledger = { auditPartition: () => keys.consoleAuditPartition(day) };
      audit.push(...(await readAudit(store as never, 'sandbox_console', undefined, ledger)));
    }
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(await verifyAuditChain(audit)).toBe(0);
    expect(JSON.stringify(audit)).not.toMatch(/Trần|Nguyễn|fullName/);
  });

  it('the console client id is reserved: no keys, disabled, not registrable, no token accepted', async () => {
    await verify({ profile: 'valid', seed: 'reserve' });
    const view = await w.admin('GET', '/admin/v1/clients/sandbox_console');
    expect(view.status).toBe(200);
    const rec = (await view.json()) as { status: string; jwks?: { keys: unknown[] }; keys?: unknown[] };
    expect(rec.status).toBe('disabled');
    expect(rec.jwks?.keys ?? rec.keys ?? []).toEqual([]);
    const taken = await w.admin('POST', '/admin/v1/clients', {
      clientId: 'sandbox_console',
      name: 'squatter',
      scope: ['name'],
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43), kid: 'k' }] },
    });
    expect(taken.status).toBe(409);
    // A token claiming to be the console client is refused like any unknown key.
    const rp = await registerClient(w);
    const forged = (await rp.bearer('POST', '/v1/challenges')).replace('Bearer ', '');
    const [h, , s] = forged.split('.');
    const claims = Buffer.from(
      JSON.stringify({ iss: 'sandbox_console', aud: w.serviceUrl, iat: 1, exp: 2, jti: 'x'.repeat(16) }),
    ).toString('base64url');
    const res = await w.fetch('/v1/challenges', {
      method: 'POST',
      headers: { authorization: `Bearer ${h}.${claims}.${s}` },
    });
    expect(res.status).toBe(401);
  });

  it('never logs personal data', async () => {
    const ref = await makeCard({ profile: 'valid', seed: 'logs' });
    await verify({ profile: 'valid', seed: 'logs' });
    const logs = w.logs.join('\n');
    expect(logs).toContain('/console/api/verifications');
    for (const pii of [
      ref.citizen.fullName,
      ref.citizen.idNumber,
      ref.card.documentNumber,
      ref.citizen.birthDate,
    ]) {
      expect(logs).not.toContain(pii);
    }
  });
});

describe('console page', () => {
  it('is one self-contained page under a strict nonce CSP', async () => {
    const res = await w.fetch('/console');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/i);
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    // Nothing loaded from elsewhere, no inline handlers or style attributes the CSP would block.
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/\son[a-z]+="|\sstyle="/);
    // Not part of the RP API document.
    expect(await (await w.fetch('/openapi.json')).text()).not.toContain('/console');
    // A fresh nonce each time.
    const again = (await w.fetch('/console')).headers.get('content-security-policy');
    expect(again).not.toBe(csp);
  });

  it('renders the profiles into the page (escaped) and their data as an inert JSON block nothing can close', () => {
    const nasty = '</script><script>alert(1)</script>\u2028';
    const html = consolePage('AAAA', {
      profiles: [
        {
          name: 'x"<b>' as never,
          description: nasty,
          expected: { result: 'rejected', reasons: ['dg_hash_mismatch'] },
        },
      ],
      reasons: { dg_hash_mismatch: '<i>' },
    });
    expect(html).toContain(
      '<optgroup label="Expected: rejected"><option value="x&quot;&lt;b&gt;">x&quot;&lt;b&gt; — dg_hash_mismatch</option>',
    );
    const block =
      /<script id="console-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(block).not.toMatch(/[<\u2028]/);
    expect(JSON.parse(block)).toEqual({
      profiles: [
        {
          name: 'x"<b>',
          description: nasty,
          expected: { result: 'rejected', reasons: ['dg_hash_mismatch'] },
        },
      ],
      reasons: { dg_hash_mismatch: '<i>' },
    });
    // The page's own two scripts, nothing more: the data did not open a third.
    expect(html.match(/<script/g)).toHaveLength(2);
    // The served page carries the real list.
    const served = consolePage('AAAA');
    for (const p of listProfiles()) expect(served).toContain(`<option value="${p.name}">`);
  });

  it('CONSOLE_ENABLED=false, or not set at all → every console path is a 404 problem', async () => {
    for (const worker of [off, unset]) {
      for (const [method, path] of [
        ['GET', '/console'],
        ['GET', '/console/api/profiles'],
        ['POST', '/console/api/cards'],
        ['POST', '/console/api/verifications'],
      ] as const) {
        const res =
          method === 'GET'
            ? await worker.fetch(path)
            : await post(worker, path, { profile: 'valid', seed: 'off' });
        expect(res.status, path).toBe(404);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(await res.json()).toMatchObject({ code: 'ERR_NOT_FOUND', status: 404 });
      }
      expect((await worker.fetch('/healthz')).status).toBe(200);
    }
  });

  it("keeps its records apart from RPs' and lets them expire: CONSOLE#VER# / CONSOLE#AUDIT#<day>, TTL ≤ 24 h", async () => {
    const before = Math.floor(Date.now() / 1000);
    const v = await verify({ profile: 'valid', seed: 'ttl' });
    const table = db.tableName('sandbox');
    const get = (pk: string, sk: string) =>
      db.client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
      );
    // Not where an RP's verification lives (GET /v1/verifications reads there) …
    expect((await get(`VER#${v.id}`, 'VER')).Item).toBeUndefined();
    // … but in the console's own partition, expiring within a day.
    const rec = (await get(`CONSOLE#VER#${v.id}`, 'VER')).Item;
    expect(rec?.result?.S).toBe(v.result);
    const ttl = Number(rec?.ttl?.N);
    expect(ttl).toBeGreaterThanOrEqual(before + 86_400);
    expect(ttl).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 86_400);
    const all = await db.client.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    const items = all.Items ?? [];
    const auditItems = items.filter((i) => i.pk?.S?.startsWith('CONSOLE#AUDIT#'));
    expect(auditItems.length).toBeGreaterThanOrEqual(2); // a head and at least this entry
    for (const i of auditItems) expect(Number(i.ttl?.N)).toBeGreaterThan(before);
    expect(auditItems.some((i) => i.verificationId?.S === v.id)).toBe(true);
    // Nothing of the console in an RP's audit partition or verification records.
    expect(items.some((i) => i.pk?.S === 'AUDIT#sandbox_console')).toBe(false);
    expect(items.some((i) => i.pk?.S?.startsWith('VER#') && i.clientId?.S === 'sandbox_console')).toBe(false);
    // An RP's records stay as they were: kept, no TTL.
    const rp = await registerClient(w);
    const res = await w.fetch('/v1/verifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        request: await rp.request((await makeCard({ profile: 'valid', seed: 'rp' })).dump),
        chip: (await makeCard({ profile: 'valid', seed: 'rp' })).dump,
      }),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const rpRec = (await get(`VER#${id}`, 'VER')).Item;
    expect(rpRec?.clientId?.S).toBe(rp.clientId);
    expect(rpRec?.ttl).toBeUndefined();
  });
});

describe('console in a real browser (Playwright + Debian Chromium)', () => {
  let chrome: Awaited<ReturnType<typeof chromiumForTest>> | undefined;
  const shots = mkdtempSync(join(tmpdir(), 'chipid-console-shots-'));

  afterAll(async () => {
    await chrome?.close();
    if (!process.env.CHIPID_KEEP_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
  });

  it('valid → verified with face, diacritics, passing steps and a decoded assertion; tampered-dg1 fails DG1', async (ctx) => {
    chrome = await chromiumForTest(ctx);
    const browser = chrome.browser;
    const base = (await w.mf.ready).toString().replace(/\/$/, '');
    const page = browser.pages()[0] ?? (await browser.newPage());
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));

    const ref = await makeCard({ profile: 'valid', seed: 'browser' });
    await page.goto(`${base}/console`);
    await page.waitForSelector('#profile:not([disabled])');
    // The page previews the first profile on load.
    await page.waitForSelector('#face[src^="data:image/jpeg;base64,"]');

    await page.fill('#seed', 'browser');
    await page.selectOption('#profile', 'valid');
    await page.waitForSelector('#card-source:text("seed browser")');
    await page.click('#run');
    await page.waitForSelector('#result[data-result="verified"]', { timeout: 30_000 });
    await page.waitForSelector('#assertion-sig[data-verified]');

    const face = await page.$eval('#face', (img) => ({
      complete: (img as HTMLImageElement).complete,
      w: (img as HTMLImageElement).naturalWidth,
      h: (img as HTMLImageElement).naturalHeight,
    }));
    expect(face.complete).toBe(true);
    expect(face.w).toBeGreaterThan(0);
    expect(face.h).toBeGreaterThan(0);

    expect(await page.textContent('#card-source')).toBe('profile valid · seed browser');
    expect(await page.textContent('#dg13-fullName')).toBe(ref.citizen.fullName);
    expect(await page.textContent('#holder-name')).toBe(ref.citizen.fullName);
    expect(await page.textContent('#dg13-placeOfResidence')).toBe(ref.citizen.placeOfResidence);
    expect(await page.textContent('#dg1-documentNumber')).toBe(ref.card.documentNumber);

    const statuses = await page.$$eval('.step', (els) => els.map((e) => (e as HTMLElement).dataset.status));
    expect(statuses.length).toBeGreaterThan(10);
    expect(new Set(statuses)).toEqual(new Set(['pass']));
    expect(await page.$$eval('#steps ol', (els) => els.map((e) => (e as HTMLElement).dataset.group))).toEqual(
      ['passive', 'active', 'registry'],
    );
    expect((await page.textContent('#result'))?.trim()).toMatch(/verified$/);
    expect(await page.textContent('#expected-note')).toContain('Matches');

    const header = JSON.parse((await page.textContent('#assertion-header')) ?? '{}');
    const payload = JSON.parse((await page.textContent('#assertion-payload')) ?? '{}');
    expect(header).toMatchObject({ alg: 'ES256', typ: 'chipid-assertion+jwt' });
    expect(payload).toMatchObject({ result: 'verified', aud: 'sandbox_console', env: 'sandbox' });
    expect(payload.verified_claims.claims.name).toBe(ref.citizen.fullName);
    expect(await page.getAttribute('#assertion-sig', 'data-verified')).toBe('true');

    const shot = await page.screenshot({ fullPage: true, path: join(shots, 'console-valid.png') });
    const png = decodePNG(shot);
    expect(shot.length).toBeGreaterThan(40_000);
    expect(png.width).toBe(1280);
    expect(png.height).toBeGreaterThan(900);
    const stats = colourStats(png);
    expect(stats.distinct).toBeGreaterThan(500);
    expect(stats.dominantShare).toBeLessThan(0.8);
    await page.screenshot({ path: join(shots, 'console-valid-viewport.png') });
    // The face itself is a photo: many colours in its box.
    const faceShot = decodePNG(await page.locator('#face').screenshot());
    expect(colourStats(faceShot).distinct).toBeGreaterThan(300);

    // tampered-dg1: the DG1 hash step fails with its reason text.
    await page.selectOption('#profile', 'tampered-dg1');
    await page.click('#run');
    await page.waitForSelector('#result[data-result="rejected"]', { timeout: 30_000 });
    const dg1 = page.locator('.step[data-check="dg1.hash"]');
    expect(await dg1.getAttribute('data-status')).toBe('fail');
    expect(await dg1.textContent()).toContain('dg_hash_mismatch');
    expect(await dg1.textContent()).toContain('A data group does not hash to the value signed in the SOD.');
    expect(await page.getAttribute('.step[data-check="registry"]', 'data-status')).toBe('skip');
    expect(await page.textContent('#reasons')).toContain('dg_hash_mismatch');
    await page.screenshot({ fullPage: true, path: join(shots, 'console-tampered-dg1.png') });

    // valid-jp2: the JPEG 2000 face is shown (converted by the service), with its caption.
    await page.selectOption('#profile', 'valid-jp2');
    await page.waitForSelector('#face-caption:has-text("JPEG 2000")');
    const jp2 = await page.$eval('#face', (img) => ({
      src: (img as HTMLImageElement).src.slice(0, 27),
      w: (img as HTMLImageElement).naturalWidth,
      hidden: (img as HTMLImageElement).hidden,
    }));
    expect(jp2).toEqual({ src: 'data:image/jpeg;base64,/9j/', w: 240, hidden: false });

    // Upload a dump through the file input.
    const upload = await makeCard({ profile: 'valid', seed: 'browser-upload' });
    await page.setInputFiles('#file', {
      name: 'card.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(upload.dump)),
    });
    await page.waitForSelector('#result[data-result="inconclusive"]', { timeout: 30_000 });
    expect(await page.getAttribute('.step[data-check="aa.answer"]', 'data-status')).toBe('fail');
    expect(await page.textContent('#card-source')).toBe('uploaded dump');
    // Phone width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ fullPage: true, path: join(shots, 'console-upload-phone.png') });
    writeFileSync(join(shots, 'README.txt'), 'screenshots of test/console/console.test.ts\n');

    expect(problems).toEqual([]);
  });

  it('marks forged data NOT AUTHENTIC; first paint has the profiles; claims, copy, upload and phone width', async (ctx) => {
    // Issue 21, items 4 and 9.
    const mine = await chromiumForTest(ctx);
    try {
      const browser = mine.browser;
      const base = (await w.mf.ready).toString().replace(/\/$/, '');
      await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));

      // First paint: the profiles come with the page. Hold the profiles API back: the form still
      // offers every profile, enabled, with the first one described.
      const html = await (await w.fetch('/console')).text();
      expect(html).not.toContain('Loading profiles');
      for (const p of listProfiles()) expect(html).toContain(`<option value="${p.name}">`);
      const held: { continue: () => Promise<void> }[] = [];
      await page.route('**/console/api/profiles', (route) => {
        held.push(route);
      });
      await page.goto(`${base}/console`);
      await page.waitForSelector('#run:not([disabled])');
      expect(await page.$$eval('#profile option', (os) => os.length)).toBe(listProfiles().length);
      expect(await page.isDisabled('#profile')).toBe(false);
      expect(await page.textContent('#profile-desc')).toBe(listProfiles()[0]?.description);
      expect(held.length).toBe(1);
      for (const r of held) await r.continue();
      await page.unroute('**/console/api/profiles');

      // tampered-dg13: before verifying, the preview says it is not verified yet …
      const forged = await makeCard({ profile: 'tampered-dg13', seed: 'forged' });
      const genuine = await makeCard({ profile: 'valid', seed: 'forged' });
      await page.fill('#seed', 'forged');
      await page.selectOption('#profile', 'tampered-dg13');
      await page.waitForSelector('#card-source:text("tampered-dg13 · seed forged")');
      expect(await page.getAttribute('#card-panel', 'data-trust')).toBe('unchecked');
      expect(await page.isVisible('#card-unchecked')).toBe(true);
      expect(await page.isVisible('#card-untrusted')).toBe(false);
      // … and once verified it is shown NOT AUTHENTIC, the forged DG13 marked, nothing looking clean.
      await page.click('#run');
      await page.waitForSelector('#result[data-result="rejected"]', { timeout: 30_000 });
      expect(await page.getAttribute('#card-panel', 'data-trust')).toBe('untrusted');
      expect(await page.isVisible('#card-untrusted')).toBe(true);
      const banner = (await page.textContent('#card-untrusted')) ?? '';
      expect(banner).toContain('NOT AUTHENTIC');
      expect(banner).toContain('failed passive authentication');
      expect(banner).toContain('DG13 does not match the hash signed in the SOD');
      expect(await page.getAttribute('#dg13-fields', 'data-forged')).toBe('true');
      expect(await page.getAttribute('#dg1-fields', 'data-forged')).toBeNull();
      expect(await page.isVisible('#dg13-forged')).toBe(true);
      expect(await page.isVisible('#dg1-forged')).toBe(false);
      expect(await page.getAttribute('#holder-name', 'data-forged')).toBe('true');
      // The forged address is there, for inspection, but struck through in the failure colour.
      const residence = await page.textContent('#dg13-placeOfResidence');
      expect(residence).not.toBe(genuine.citizen.placeOfResidence);
      expect(forged.dump.dg13).not.toEqual(genuine.dump.dg13);
      const look = (sel: string) =>
        page.$eval(sel, (e) => {
          const cs = getComputedStyle(e);
          return { line: cs.textDecorationLine, colour: cs.color, filter: cs.filter };
        });
      expect((await look('#dg13-placeOfResidence')).line).toContain('line-through');
      expect((await look('#dg13-placeOfResidence')).colour).toBe('rgb(180, 35, 24)');
      // Every other value of the card is struck too (not forged, but from an untrusted chip).
      expect((await look('#dg1-documentNumber')).line).toContain('line-through');
      expect((await look('#face')).filter).toContain('grayscale');
      expect(await page.textContent('#face-caption')).toMatch(/^NOT AUTHENTIC · /);
      await page.screenshot({ fullPage: true, path: join(shots, 'console-tampered-dg13.png') });

      // A chip failing passive authentication some other way: the banner, no file called forged.
      await page.selectOption('#profile', 'bad-sod-signature');
      await page.click('#run');
      await page.waitForSelector('#result[data-result="rejected"]:has-text("rejected")', { timeout: 30_000 });
      await page.waitForSelector('#card-source:text("bad-sod-signature")');
      expect(await page.getAttribute('#card-panel', 'data-trust')).toBe('untrusted');
      expect(await page.textContent('#card-untrusted')).toContain('sod.signature');
      expect(await page.$$('[data-forged]')).toHaveLength(0);

      // valid: authentic, no banner, no marks, nothing struck; the claims shown above the payload.
      await page.selectOption('#profile', 'valid');
      await page.click('#run');
      await page.waitForSelector('#result[data-result="verified"]', { timeout: 30_000 });
      await page.waitForSelector('#assertion-sig[data-verified]');
      expect(await page.getAttribute('#card-panel', 'data-trust')).toBe('authentic');
      expect(await page.isVisible('#card-untrusted')).toBe(false);
      expect(await page.isVisible('#card-unchecked')).toBe(false);
      expect(await page.$$('[data-forged]')).toHaveLength(0);
      expect((await look('#dg13-placeOfResidence')).line).toBe('none');
      expect(await page.textContent('#dg13-placeOfResidence')).toBe(genuine.citizen.placeOfResidence);
      expect(await page.textContent('#face-caption')).not.toContain('NOT AUTHENTIC');

      expect(await page.textContent('#assertion-claims [data-claim="name"]')).toBe(genuine.citizen.fullName);
      const claimsBox = await page.$eval('#assertion-claims', (e) => ({
        fits: e.scrollHeight <= e.clientHeight + 1,
        beforePayload: Boolean(
          e.compareDocumentPosition(document.getElementById('assertion-payload') as Node) &
            Node.DOCUMENT_POSITION_FOLLOWING,
        ),
      }));
      expect(claimsBox).toEqual({ fits: true, beforePayload: true });
      const payload = JSON.parse((await page.textContent('#assertion-payload')) ?? '{}');
      const shownClaims = await page.$$eval('#assertion-claims [data-claim]', (ds) =>
        ds.map((d) => (d as HTMLElement).dataset.claim),
      );
      expect(shownClaims).toEqual(Object.keys(payload.verified_claims.claims));
      expect(await page.textContent('#assertion-claims [data-claim="address"]')).toBe(
        payload.verified_claims.claims.address.formatted,
      );

      // Copy the JWT: through the Clipboard API …
      const jwt = (await page.textContent('#assertion-jwt')) ?? '';
      expect(jwt.split('.')).toHaveLength(3);
      await page.click('#copy-jwt');
      await page.waitForSelector('#copy-jwt[data-copied="true"]');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(jwt);
      // … and through the fallback where the Clipboard API is missing.
      await page.evaluate(() => navigator.clipboard.writeText('something else'));
      await page.evaluate(() =>
        Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true }),
      );
      await page.click('#copy-jwt');
      await page.waitForSelector('#copy-jwt[data-copied="true"]');
      await page.evaluate(() => delete (navigator as unknown as Record<string, unknown>).clipboard);
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(jwt);

      // Phone width: "Verify this card" brings the result into view.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.evaluate(() => window.scrollTo(0, 0));
      const resultTop = () => page.$eval('#result-panel', (e) => e.getBoundingClientRect().top);
      expect(await resultTop()).toBeGreaterThan(844);
      await page.selectOption('#profile', 'clone');
      await page.waitForSelector('#card-source:text("clone")');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.click('#run');
      await page.waitForSelector('#result[data-result="inconclusive"]', { timeout: 30_000 });
      const top = await resultTop();
      expect(top).toBeGreaterThanOrEqual(-1); // sub-pixel scrolling
      expect(top).toBeLessThan(844 / 2);
      expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);

      // After an upload the button verifies the upload, not the selected profile.
      const upload = await makeCard({ profile: 'valid', seed: 'phone-upload' });
      await page.setInputFiles('#file', {
        name: 'phone.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(upload.dump)),
      });
      await page.waitForSelector('#card-source:text("uploaded dump")', { timeout: 30_000 });
      expect(await page.textContent('#run')).toBe('Verify the uploaded dump');
      expect(await page.textContent('#upload-note')).toContain('phone.json');
      const sent = async () => {
        const req = page.waitForRequest((r) => r.url().endsWith('/console/api/verifications'));
        const res = page.waitForResponse((r) => r.url().endsWith('/console/api/verifications'));
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.click('#run');
        const body = (await req).postDataJSON() as { profile?: string; dump?: unknown };
        const answer = await res;
        expect(answer.status()).toBe(200);
        // Rendered: the page shows this verification's id.
        const { id } = (await answer.json()) as { id: string };
        await page.waitForSelector(`#verification-id:text-is("${id}")`);
        return body;
      };
      const again = await sent();
      expect(again.profile).toBeUndefined();
      expect(again.dump).toEqual(upload.dump);
      await page.waitForSelector('#card-source:text("uploaded dump")');
      expect(await page.getAttribute('#result', 'data-result')).toBe('inconclusive');
      expect(await page.getAttribute('#card-panel', 'data-trust')).toBe('authentic');
      expect(await resultTop()).toBeGreaterThanOrEqual(-1); // sub-pixel scrolling
      // Back to the profile when asked.
      await page.click('#use-profile');
      expect(await page.textContent('#run')).toBe('Verify this card');
      expect(await page.isVisible('#upload-note')).toBe(false);
      const back = await sent();
      expect(back).toMatchObject({ profile: 'clone' });
      expect(back.dump).toBeUndefined();
      await page.screenshot({ path: join(shots, 'console-phone-result.png') });

      expect(problems).toEqual([]);
    } finally {
      await mine.close();
    }
  });
});
