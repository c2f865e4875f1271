/**
 * Integration (issue 22): ICAO CSCA master lists (Doc 9303 Part 12 §9) loaded through the admin API into
 * an environment's trust store — the bundled Worker in workerd, DynamoDB Local. The sandbox environment's
 * master-list root is the sandbox CSCA (binding MASTERLIST_ROOTS_SANDBOX); a sandbox Master List Signer
 * under it signs lists holding the sandbox CSCA, and a verification whose CSCA came from such a list
 * passes. The live environment's root is Germany's csca-germany, with the BSI list of 2026-05-28
 * (test/vectors/master-lists, see test/vectors/SOURCES.md): 588 CSCAs, one item each.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../sdk/src/index.ts';
import {
  encodeMasterList,
  type IssuedCertificate,
  issueCertificate,
  makeCard,
  SANDBOX_VALIDITY,
  sandboxPKI,
  sandboxRegistryJSONL,
} from '../../sdk/src/sandbox/index.ts';
import { generateECKey } from '../../sdk/src/sandbox/keys.ts';
import { createRandom } from '../../sdk/src/sandbox/random.ts';
import { useTables } from '../support/dynamodb.ts';
import {
  newChallenge,
  postVerification,
  type RpClient,
  registerClient,
  startWorker,
  type TestWorker,
} from '../support/worker.ts';

const vector = (p: string) => new Uint8Array(readFileSync(new URL(`../vectors/${p}`, import.meta.url)));
const DE_ML = vector('master-lists/DE_ML_2026-05-28.ml');
const DE_ROOT = vector('master-lists/DE_csca-germany_root.cer');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const pem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${b64(der).replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

const db = useTables();
let w: TestWorker;
let rp: RpClient;
let signer: IssuedCertificate;
let laoCsca: IssuedCertificate;

interface ImportResult {
  signer: string;
  root: string;
  issued?: string;
  cscas: number;
  mode: string;
  added: number;
  kept: number;
  removed: number;
  countries: Record<string, { added: number; kept: number; removed: number }>;
}

beforeAll(async () => {
  const pki = await sandboxPKI();
  w = await startWorker({
    endpoint: db.endpoint,
    prefix: db.prefix,
    bindings: { MASTERLIST_ROOTS_SANDBOX: pki.csca.pem, MASTERLIST_ROOTS_LIVE: pem(DE_ROOT) },
  });
  rp = await registerClient(w, { scope: ['name', 'given_name', 'family_name'] });
  const res = await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
    'content-type': 'application/x-ndjson',
  });
  expect(res.status).toBe(200);
  signer = await issueCertificate({
    serial: 0x3a5201n,
    issuer: pki.csca.subject,
    subject: [
      { type: 'C', value: 'VN' },
      { type: 'O', value: 'chipid sandbox' },
      { type: 'CN', value: 'chipid Sandbox Master List Signer' },
    ],
    ...SANDBOX_VALIDITY.ds,
    key: generateECKey('p256', createRandom('integration-master-list-signer')),
    issuerKey: pki.csca.key,
    ca: false,
    extendedKeyUsage: ['2.23.136.1.1.3'],
  });
  const laoName = [
    { type: 'C', value: 'LA' },
    { type: 'CN', value: 'Test CSCA Laos' },
  ] as const;
  const laoKey = generateECKey('p256', createRandom('integration-lao-csca'));
  laoCsca = await issueCertificate({
    serial: 0x1a01n,
    issuer: [...laoName],
    subject: [...laoName],
    ...SANDBOX_VALIDITY.csca,
    key: laoKey,
    issuerKey: laoKey,
    ca: true,
  });
}, 120_000);
afterAll(async () => {
  await w?.stop();
});

async function sandboxList(cscas: Uint8Array[], by = signer) {
  return encodeMasterList({ signer: by, cscas, signingTime: new Date('2026-01-15T00:00:00Z') });
}

async function load(env: 'sandbox' | 'live', body: Record<string, unknown>) {
  return w.admin('POST', `/admin/v1/trust/${env}/masterlists`, body);
}

async function storedCscas(env: 'sandbox' | 'live') {
  const res = await w.admin('GET', `/admin/v1/trust/${env}/cscas`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { id: string; subject: string; country?: string }[] }).items;
}

async function verifyValidCard() {
  const ch = await newChallenge(w, rp);
  const card = await makeCard({
    profile: 'valid',
    seed: 'master-list',
    challenge: new Uint8Array(Buffer.from(ch.challenge, 'base64')),
  });
  const res = await postVerification(w, rp, card.dump, { challengeId: ch.id });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { result: string; reasons: string[] };
}

describe('master lists through the admin API', () => {
  it('a verification fails before the list is loaded and passes with the CSCA that came from it', async () => {
    expect(await storedCscas('sandbox')).toEqual([]);
    const before = await verifyValidCard();
    expect(before.result).toBe('rejected');
    expect(before.reasons).toContain('ds_untrusted');

    const pki = await sandboxPKI();
    const res = await load('sandbox', { der: b64(await sandboxList([pki.csca.der, laoCsca.der])) });
    expect(res.status, await res.clone().text()).toBe(200);
    const r = (await res.json()) as ImportResult;
    expect(r).toMatchObject({
      signer: 'C=VN, O=chipid sandbox, CN=chipid Sandbox Master List Signer',
      root: 'C=VN, O=chipid sandbox, CN=chipid Sandbox CSCA',
      issued: '2026-01-15T00:00:00.000Z',
      cscas: 2,
      mode: 'add',
      added: 2,
      kept: 0,
      removed: 0,
      countries: { VN: { added: 1, kept: 0, removed: 0 }, LA: { added: 1, kept: 0, removed: 0 } },
    });
    expect((await storedCscas('sandbox')).map((c) => c.country).sort()).toEqual(['LA', 'VN']);

    const after = await verifyValidCard();
    expect(after).toMatchObject({ result: 'verified', reasons: [] });

    // Loading the same list again changes nothing.
    const again = (await (
      await load('sandbox', { der: b64(await sandboxList([pki.csca.der])) })
    ).json()) as ImportResult;
    expect(again).toMatchObject({ added: 0, kept: 1, removed: 0 });
  });

  it('a list that fails verification changes nothing: a changed byte, a signer under another root, a country it lacks', async () => {
    const pki = await sandboxPKI();
    const before = await storedCscas('sandbox');
    const newLao = await issueCertificate({
      serial: 0x1a02n,
      issuer: [{ type: 'CN', value: 'Other' }],
      subject: [
        { type: 'C', value: 'LA' },
        { type: 'CN', value: 'Test CSCA Laos 2' },
      ],
      ...SANDBOX_VALIDITY.csca,
      key: laoCsca.key,
      issuerKey: laoCsca.key,
      ca: true,
    });
    const good = await sandboxList([newLao.der]);
    const tampered = good.slice();
    tampered[60]! ^= 0x01; // inside the CscaMasterList
    let res = await load('sandbox', { der: b64(tampered), mode: 'replace' });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; errors: { pointer: string; detail: string }[] };
    expect(problem.code).toBe('ERR_VALIDATION');
    expect(problem.errors.map((e) => e.detail).join(' ')).toMatch(/ml_/);

    // A Master List Signer issued by the (untrusted) foreign sandbox CSCA.
    const foreignSigner = await issueCertificate({
      serial: 0x3a5202n,
      issuer: pki.foreignCsca.subject,
      subject: [{ type: 'CN', value: 'Foreign signer' }],
      ...SANDBOX_VALIDITY.ds,
      key: generateECKey('p256', createRandom('integration-foreign-signer')),
      issuerKey: pki.foreignCsca.key,
      ca: false,
      extendedKeyUsage: ['2.23.136.1.1.3'],
    });
    res = await load('sandbox', {
      der: b64(await sandboxList([newLao.der], foreignSigner)),
      mode: 'replace',
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('ml_signer_untrusted');

    // The German list is not signed under the sandbox's root.
    res = await load('sandbox', { der: b64(DE_ML) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('ml_signer_untrusted');

    // A country the list does not hold: refused rather than emptying that country.
    res = await load('sandbox', { der: b64(good), countries: ['TH'], mode: 'replace' });
    expect(res.status).toBe(400);

    expect(await storedCscas('sandbox')).toEqual(before);
  });

  it('garbage bodies → 400 problems, never a 5xx, nothing stored; no admin token → 401', async () => {
    const before = await storedCscas('sandbox');
    const bodies: unknown[] = [
      { der: b64(crypto.getRandomValues(new Uint8Array(300))) },
      { der: b64(DE_ML.subarray(0, 1000)) },
      { der: b64(DE_ROOT) },
      { der: '***not base64***' },
      { pem: '-----BEGIN CMS-----\nAAAA\n-----END CMS-----' },
      { der: b64(DE_ML), pem: 'x' },
      {},
      { der: b64(DE_ML), countries: ['VNM'] },
      { der: b64(DE_ML), mode: 'merge' },
      { der: b64(DE_ML), extra: true },
    ];
    for (const body of bodies) {
      const res = await load('sandbox', body as Record<string, unknown>);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const unauth = await w.fetch('/admin/v1/trust/sandbox/masterlists', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ der: b64(DE_ML) }),
    });
    expect(unauth.status).toBe(401);
    expect(await storedCscas('sandbox')).toEqual(before);
  });

  it('mode replace swaps one country and leaves the others; countries filters what is imported', async () => {
    const before = await storedCscas('sandbox');
    const vn = before.filter((c) => c.country === 'VN');
    const laoKey = generateECKey('p256', createRandom('integration-lao-csca-2'));
    const laoName = [
      { type: 'C', value: 'LA' },
      { type: 'CN', value: 'Test CSCA Laos (new)' },
    ] as const;
    const newLao = await issueCertificate({
      serial: 0x1a03n,
      issuer: [...laoName],
      subject: [...laoName],
      ...SANDBOX_VALIDITY.csca,
      key: laoKey,
      issuerKey: laoKey,
      ca: true,
    });
    const pki = await sandboxPKI();
    // The list also holds the foreign sandbox CSCA (C=VN): `countries: ['LA']` keeps it out.
    const res = await load('sandbox', {
      pem: `-----BEGIN CMS-----\n${b64(await sandboxList([newLao.der, pki.foreignCsca.der]))}\n-----END CMS-----\n`,
      countries: ['la'],
      mode: 'replace',
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({
      added: 1,
      removed: 1,
      countries: { LA: { added: 1, kept: 0, removed: 1 } },
    });
    const after = await storedCscas('sandbox');
    expect(after.filter((c) => c.country === 'VN')).toEqual(vn);
    expect(after.filter((c) => c.country === 'LA').map((c) => c.subject)).toEqual([
      parseCertificate(newLao.der).subject.text,
    ]);
    expect((await verifyValidCard()).result).toBe('verified');
  });

  it('the German BSI list loads into live against csca-germany: 588 CSCAs, one item each; VN alone on replace', async () => {
    const t0 = performance.now();
    const res = await load('live', { der: b64(DE_ML) });
    const ms = performance.now() - t0;
    expect(res.status, await res.clone().text()).toBe(200);
    const r = (await res.json()) as ImportResult;
    expect(r.cscas).toBe(588);
    expect(r.added + r.kept).toBe((await storedCscas('live')).length);
    expect(r.added).toBeGreaterThan(580); // a list may repeat a certificate; each is stored once
    expect(Object.keys(r.countries)).toHaveLength(112);
    expect(r.countries.VN).toEqual({ added: 1, kept: 0, removed: 0 });
    console.log(`admin load of the 588-CSCA German list: ${ms.toFixed(0)} ms (workerd + DynamoDB Local)`);
    const vn = await load('live', { der: b64(DE_ML), countries: ['VN'], mode: 'replace' });
    expect(await vn.json()).toMatchObject({ added: 0, kept: 1, removed: 0 });
    const stored = await storedCscas('live');
    expect(stored.filter((c) => c.country === 'VN').map((c) => c.subject)).toEqual([
      'C=VN, O=Vietnam Government Information Security Commission, CN=CSCA ePassport Vietnam',
    ]);
  }, 120_000);
});
