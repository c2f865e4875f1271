/**
 * Integration: every sandbox profile's documented outcome end to end — the sandbox factory's chip
 * (`makeCard`, answering a fresh server challenge with its virtual chip), the sandbox CSCA and registry
 * loaded through the admin API, the bundled Worker in workerd, DynamoDB Local. Also: the assertion
 * verifies with jose and with an independent verifier (OpenSSL), claims follow the scope, the audit
 * chain links, and the Worker's logs carry no personal data.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyAttrs, keys } from '../../functions/src/store/keys.ts';
import { readAudit, verifyAuditChain } from '../../functions/src/store/verifications.ts';
import { type ChipDumpJSON, chipDigest } from '../../sdk/src/icao/dump.ts';
import { parseCertificate } from '../../sdk/src/index.ts';
import {
  buildCRL,
  listProfiles,
  makeCard,
  PROFILE_NAMES,
  sandboxCSCA,
  sandboxPKI,
  sandboxRegistryJSONL,
} from '../../sdk/src/sandbox/index.ts';
import { useTables } from '../support/dynamodb.ts';
import {
  newChallenge,
  postVerification,
  type RpClient,
  registerClient,
  startWorker,
  type TestWorker,
} from '../support/worker.ts';

const db = useTables();
let w: TestWorker;
let rp: RpClient;

beforeAll(async () => {
  w = await startWorker({ endpoint: db.endpoint, prefix: db.prefix });
  rp = await registerClient(w, {
    scope: ['name', 'given_name', 'family_name', 'age_over_18', 'gender', 'nationality'],
  });
  const csca = await sandboxCSCA();
  let res = await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: csca.pem });
  expect(res.status).toBe(201);
  res = await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
    'content-type': 'application/x-ndjson',
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { failed: unknown[] }).failed).toEqual([]);
});
afterAll(async () => {
  await w?.stop();
});

interface Answer {
  id: string;
  result: string;
  reasons: string[];
  assertion: string;
}

/** A fresh challenge of `client` and a sandbox card whose virtual chip answered it. */
async function answeringCard(client: RpClient, profile: (typeof PROFILE_NAMES)[number] = 'valid') {
  const ch = await newChallenge(w, client);
  const card = await makeCard({
    profile,
    seed: 'h4',
    challenge: new Uint8Array(Buffer.from(ch.challenge, 'base64')),
  });
  return { ch, card };
}

async function verifyProfile(profile: (typeof PROFILE_NAMES)[number], client = rp): Promise<Answer> {
  const { ch, card } = await answeringCard(client, profile);
  const res = await postVerification(w, client, card.dump, {
    challengeId: ch.id,
    scope: ['name', 'given_name', 'age_over_18', 'birthdate'],
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Answer;
}

const store = () => ({ db: db.client, table: db.tableName('sandbox'), env: 'sandbox' as const });

async function jwks() {
  // Sandbox clients: the sandbox issuer's own keys.
  return createLocalJWKSet((await (await w.fetch('/sandbox/.well-known/jwks.json')).json()) as never);
}

/** Profiles whose chip fails passive authentication. */
const PASSIVE_FAILURES = new Set([
  'tampered-dg1',
  'tampered-dg13',
  'bad-sod-signature',
  'expired-ds',
  'foreign-csca',
  'wrong-country',
]);

describe('sandbox profiles', () => {
  for (const p of listProfiles()) {
    it(`${p.name} → ${p.expected.result} ${p.expected.reasons.join(',')}`, async () => {
      const a = await verifyProfile(p.name);
      expect({ result: a.result, reasons: [...a.reasons].sort() }).toEqual({
        result: p.expected.result,
        reasons: [...p.expected.reasons].sort(),
      });
      const { payload } = await jwtVerify(a.assertion, await jwks(), {
        issuer: `${w.serviceUrl}/sandbox`,
        audience: rp.clientId,
        typ: 'chipid-assertion+jwt',
        algorithms: ['ES256'],
      });
      expect(payload).toMatchObject({ txn: a.id, result: a.result, reasons: a.reasons });
      const evidence = (
        payload.verified_claims as { verification: { evidence: { document_details: object }[] } }
      ).verification.evidence[0]!;
      if (PASSIVE_FAILURES.has(p.name)) {
        // Nothing the chip states is in the assertion when the chip is not authentic: no subject,
        // no document details but the kind (issuer, dates), no claims.
        expect(payload.sub).toBeUndefined();
        expect(evidence.document_details).toEqual({ type: 'idcard' });
        expect((payload.verified_claims as { claims: object }).claims).toEqual({});
      } else {
        expect(payload.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
        // Without the document_number scope (this RP's): the issuer, not the card's dates — an expiry
        // on a 25th/40th/60th birthday with the issue date would give the birth date away.
        expect(evidence.document_details).toEqual({ type: 'idcard', issuer: { country_code: 'VNM' } });
      }
    });
  }
});

describe('assertion', () => {
  let a: Answer;
  beforeAll(async () => {
    a = await verifyProfile('valid');
  });

  it('carries OIDC4IDA verified_claims limited to registered ∩ requested scope', async () => {
    const { payload, protectedHeader } = await jwtVerify(a.assertion, await jwks(), {
      issuer: `${w.serviceUrl}/sandbox`,
      audience: rp.clientId,
      typ: 'chipid-assertion+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBe('sbx-current');
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const vc = payload.verified_claims as {
      verification: {
        trust_framework: string;
        evidence: { type: string; check_details: { check_method: string }[] }[];
      };
      claims: Record<string, unknown>;
    };
    expect(vc.verification.trust_framework).toBe('chipid_sandbox');
    expect(vc.verification.evidence[0]?.type).toBe('document');
    expect(vc.verification.evidence[0]?.check_details.map((c) => c.check_method)).toEqual([
      'vcrypt',
      'vcrypt',
      'data',
    ]);
    // Requested name, given_name, age_over_18, birthdate; registered has no birthdate.
    expect(Object.keys(vc.claims).sort()).toEqual(['age_over_18', 'given_name', 'name']);
    expect(vc.claims.age_over_18).toBe(true);
  });

  it('verifies with an independent verifier (OpenSSL, ES256 = ECDSA P-256 over SHA-256)', async () => {
    const [h, p, s] = a.assertion.split('.') as [string, string, string];
    const { kid } = decodeProtectedHeader(a.assertion);
    const keys = (
      (await (await w.fetch('/sandbox/.well-known/jwks.json')).json()) as { keys: { kid: string }[] }
    ).keys;
    const jwk = keys.find((k) => k.kid === kid);
    const { createPublicKey } = await import('node:crypto');
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    }) as string;
    // JWS ECDSA signatures are r‖s (RFC 7518 §3.4); OpenSSL wants DER.
    const raw = Buffer.from(s, 'base64url');
    const int = (b: Buffer) => {
      let i = 0;
      while (i < b.length - 1 && b[i] === 0) i++;
      let v = b.subarray(i);
      if ((v[0] as number) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
      return Buffer.concat([Buffer.from([0x02, v.length]), v]);
    };
    const body = Buffer.concat([int(raw.subarray(0, 32)), int(raw.subarray(32))]);
    const der = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    const dir = mkdtempSync(join(tmpdir(), 'chipid-ossl-'));
    try {
      writeFileSync(join(dir, 'key.pem'), pem);
      writeFileSync(join(dir, 'sig.der'), der);
      writeFileSync(join(dir, 'data'), `${h}.${p}`);
      const out = execFileSync(
        'openssl',
        [
          'dgst',
          '-sha256',
          '-verify',
          join(dir, 'key.pem'),
          '-signature',
          join(dir, 'sig.der'),
          join(dir, 'data'),
        ],
        {
          encoding: 'utf8',
        },
      );
      expect(out.trim()).toBe('Verified OK');
      writeFileSync(join(dir, 'data'), `${h}.${p}x`);
      expect(() =>
        execFileSync(
          'openssl',
          [
            'dgst',
            '-sha256',
            '-verify',
            join(dir, 'key.pem'),
            '-signature',
            join(dir, 'sig.der'),
            join(dir, 'data'),
          ],
          {
            stdio: 'pipe',
          },
        ),
      ).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sub is pairwise: two clients get different subjects for the same citizen', async () => {
    const other = await registerClient(w, { scope: ['name'] });
    const b = await verifyProfile('valid', other);
    const subA = (await jwtVerify(a.assertion, await jwks())).payload.sub;
    const subB = (await jwtVerify(b.assertion, await jwks())).payload.sub;
    expect(subA).toBeTruthy();
    expect(subB).toBeTruthy();
    expect(subA).not.toBe(subB);
  });

  it('document details follow the scope: number and dates with document_number, the id with id_number — never for a rejected card', async () => {
    const docs = await registerClient(w, { scope: ['age_over_18', 'document_number', 'id_number'] });
    const details = async (profile: (typeof PROFILE_NAMES)[number], scope: string[]) => {
      const { ch, card } = await answeringCard(docs, profile);
      const res = await postVerification(w, docs, card.dump, { challengeId: ch.id, scope });
      const answer = (await res.json()) as Answer;
      const { payload } = await jwtVerify(answer.assertion, await jwks(), { audience: docs.clientId });
      const vc = payload.verified_claims as { verification: { evidence: { document_details: object }[] } };
      return { result: answer.result, details: vc.verification.evidence[0]!.document_details, card };
    };
    const withNumber = await details('valid', ['document_number']);
    expect(withNumber.result).toBe('verified');
    expect(withNumber.details).toEqual({
      type: 'idcard',
      issuer: { country_code: 'VNM' },
      document_number: withNumber.card.card.documentNumber,
      date_of_expiry: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      date_of_issuance: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });
    const withId = await details('valid', ['id_number', 'age_over_18']);
    expect(withId.details).toEqual({
      type: 'idcard',
      issuer: { country_code: 'VNM' },
      personal_number: withId.card.citizen.idNumber,
    });
    const rejected = await details('revoked-card', ['document_number', 'id_number']);
    expect(rejected.result).toBe('rejected');
    expect(rejected.details).toEqual({ type: 'idcard', issuer: { country_code: 'VNM' } });
  });

  it('GET /v1/verifications/:id returns the stored outcome without personal data', async () => {
    const path = `/v1/verifications/${a.id}`;
    const res = await w.fetch(path, { headers: { authorization: await rp.bearer('GET', path) } });
    expect(res.status).toBe(200);
    const rec = (await res.json()) as { result: string; checks: { name: string; ok: boolean }[] };
    expect(rec.result).toBe('verified');
    expect(rec.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['sod.signature', 'ds.chain', 'aa.signature', 'registry']),
    );
    const card = await makeCard({ profile: 'valid', seed: 'h4' });
    const text = JSON.stringify(rec);
    expect(text).not.toContain(card.citizen.idNumber);
    expect(text).not.toContain(card.card.documentNumber);
  });
});

describe('challenges in verifications', () => {
  it('a reused challenge is not accepted as clone evidence (inconclusive + challenge_invalid)', async () => {
    const { ch, card } = await answeringCard(rp);
    const first = (await (await postVerification(w, rp, card.dump, { challengeId: ch.id })).json()) as Answer;
    expect(first.result).toBe('verified');
    const second = (await (
      await postVerification(w, rp, card.dump, { challengeId: ch.id })
    ).json()) as Answer;
    expect(second).toMatchObject({ result: 'inconclusive', reasons: ['challenge_invalid'] });
  });

  it("another client's challenge is refused the same way", async () => {
    const other = await registerClient(w);
    const { ch, card } = await answeringCard(other);
    const a = (await (await postVerification(w, rp, card.dump, { challengeId: ch.id })).json()) as Answer;
    expect(a).toMatchObject({ result: 'inconclusive', reasons: ['challenge_invalid'] });
  });

  it('a read that leaves out the DG15 its SOD lists is a chip that did not answer (aa_not_performed), not one without AA', async () => {
    // A copy of a genuine chip's data cannot answer the challenge: dropping DG15 and the answer must not
    // turn it into the softer "card without Active Authentication".
    const { ch, card } = await answeringCard(rp);
    const { dg15: _key, aa: _answer, ...copy } = card.dump;
    const a = (await (await postVerification(w, rp, copy, { challengeId: ch.id })).json()) as Answer;
    expect(a).toMatchObject({ result: 'inconclusive', reasons: ['aa_not_performed'] });
  });

  it('an AA answer without a server challenge proves nothing (inconclusive)', async () => {
    const card = await makeCard({ profile: 'valid', seed: 'h4', challenge: new Uint8Array(8).fill(7) });
    const a = (await (await postVerification(w, rp, card.dump)).json()) as Answer;
    expect(a).toMatchObject({ result: 'inconclusive', reasons: ['challenge_invalid'] });
  });

  it('a signed dump with a member not standard base64 (or unknown) → 400 naming it; the challenge survives', async () => {
    // Checked while decoding (the route's schema checks the structure only). Each variant is what a
    // lenient decoder would read as valid: URL-safe characters, a non-ASCII character whose low byte
    // is a base64 letter (ń = U+0144 → 'D'), white space, a stray character.
    const c = await registerClient(w);
    const { ch, card } = await answeringCard(c);
    const dg2 = card.dump.dg2!;
    const variants: [string, ChipDumpJSON][] = [
      ['/chip/dg2', { ...card.dump, dg2: `${dg2.slice(0, 100)}-_${dg2.slice(102)}` }],
      ['/chip/dg2', { ...card.dump, dg2: `${dg2.slice(0, 400)}\u0144${dg2.slice(401)}` }],
      ['/chip/sod', { ...card.dump, sod: ` ${card.dump.sod.slice(1)}` }],
      // Structure errors still come from the route's schema (reading the body parsed once).
      ['/chip', { ...card.dump, dg3: 'AA==' } as ChipDumpJSON],
      [
        '/chip/aa/signature',
        { ...card.dump, aa: { ...card.dump.aa!, signature: `!${card.dump.aa!.signature.slice(1)}` } },
      ],
    ];
    // The SDK's signer refuses such a dump, so the request is signed here: the valid dump's claims
    // with chip_digest over the bad dump (so it is the base64, not the digest, that is refused).
    const valid = await c.request(card.dump, { challengeId: ch.id });
    const claims = JSON.parse(Buffer.from(valid.split('.')[1]!, 'base64url').toString()) as JWTPayload;
    const key = await importJWK(c.privateJwk, 'ES256');
    for (const [pointer, chip] of variants) {
      const request = await new SignJWT({
        ...claims,
        jti: crypto.randomUUID(),
        chip_digest: await chipDigest(chip),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'chipid-request+jwt', kid: c.kid })
        .sign(key);
      const res = await postVerification(w, c, chip, { request });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'ERR_VALIDATION', errors: [{ pointer }] });
    }
    expect(await readAudit(store(), c.clientId)).toEqual([]);
    const a = (await (await postVerification(w, c, card.dump, { challengeId: ch.id })).json()) as Answer;
    expect(a.result).toBe('verified');
  });

  it('a chip with DG15 and no AA answer → inconclusive + aa_not_performed', async () => {
    const card = await makeCard({ profile: 'valid', seed: 'h4' });
    const a = (await (await postVerification(w, rp, card.dump)).json()) as Answer;
    expect(a).toMatchObject({ result: 'inconclusive', reasons: ['aa_not_performed'] });
  });
});

describe('registry changes are effective on the next verification', () => {
  it('card status update and citizen status update', async () => {
    const card = await makeCard({ profile: 'valid', seed: 'h4' });
    const doc = card.card.documentNumber;
    let res = await w.admin('PATCH', `/admin/v1/registry/sandbox/cards/${doc}`, { status: 'lost' });
    expect(res.status).toBe(200);
    try {
      expect((await verifyProfile('valid')).reasons).toEqual(['card_lost']);
    } finally {
      res = await w.admin('PATCH', `/admin/v1/registry/sandbox/cards/${doc}`, { status: 'active' });
      expect(res.status).toBe(200);
    }
    res = await w.admin('PATCH', `/admin/v1/registry/sandbox/citizens/${card.citizen.idNumber}`, {
      status: 'deceased',
    });
    expect(res.status).toBe(200);
    try {
      expect((await verifyProfile('valid')).reasons).toEqual(['citizen_deceased']);
    } finally {
      await w.admin('PATCH', `/admin/v1/registry/sandbox/citizens/${card.citizen.idNumber}`, {
        status: 'alive',
      });
    }
    expect((await verifyProfile('valid')).result).toBe('verified');
    res = await w.admin('PATCH', '/admin/v1/registry/sandbox/cards/000000001', { status: 'lost' });
    expect(res.status).toBe(404);
  });

  it('JSONL import reports bad lines by number and keeps every good line', async () => {
    const lines = [
      '{"kind":"citizen","idNumber":"001090000001","fullName":"Nguyễn Văn A","birthDate":"1990","sex":"M","status":"alive","currentDocumentNumber":"090000001"}',
      '{"kind":"card","documentNumber":"090000001","idNumber":"001090000001","status":"active","issuedOn":"2021-01-01","expiresOn":"2030-01-01"}',
      '{not json',
      '{"kind":"card","documentNumber":"x","idNumber":"001090000001","status":"active"}',
      '{"kind":"citizen","idNumber":"001090000002","fullName":"Trần Thị B","birthDate":"1991-13","sex":"F","status":"alive"}',
      '',
      '{"kind":"pet","name":"Miu"}',
      // An extra key holding personal data: reported, never echoed.
      '{"kind":"card","documentNumber":"090000003","idNumber":"001090000003","status":"active","Nguyen Van C 079195004127":1}',
    ].join('\n');
    const res = await w.admin('POST', '/admin/v1/registry/sandbox/import', lines, {
      'content-type': 'application/x-ndjson',
    });
    expect(res.status).toBe(200);
    const r = (await res.json()) as {
      imported: number;
      failed: { line: number; code: string; detail: string }[];
    };
    expect(r.imported).toBe(2);
    expect(r.failed.map((f) => [f.line, f.code])).toEqual([
      [3, 'ERR_MALFORMED_JSON'],
      [4, 'ERR_VALIDATION'],
      [5, 'ERR_VALIDATION'],
      [7, 'ERR_VALIDATION'],
      [8, 'ERR_VALIDATION'],
    ]);
    expect(r.failed[4]?.detail).toBe('kind: unknown field (not in the schema)');
    expect(JSON.stringify(r)).not.toMatch(/Trần|Nguyễn|Nguyen|001090000002|079195004127/);
    // Imported records are effective: the card exists (status update finds it).
    expect(
      (await w.admin('PATCH', '/admin/v1/registry/sandbox/cards/090000001', { status: 'revoked' })).status,
    ).toBe(200);
  });
});

describe('sandbox and live are separate worlds', () => {
  it('a live client cannot use the sandbox trust store or registry', async () => {
    const live = await registerClient(w, { env: 'live' });
    let a = await verifyProfile('valid', live);
    expect(a.result).toBe('rejected');
    expect(a.reasons).toContain('ds_untrusted');
    // With the sandbox CSCA in live trust (an operator mistake), the live registry still knows nothing.
    const csca = await sandboxCSCA();
    const res = await w.admin('POST', '/admin/v1/trust/live/cscas', { pem: csca.pem });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    let crlId: string | undefined;
    try {
      a = await verifyProfile('valid', live);
      // Live requires a current CRL of the CSCA: without one the DS's revocation status is unknown.
      expect(a.reasons).toEqual(['card_unknown', 'crl_unavailable']);
      // A live assertion: the live issuer's keys (never the sandbox's).
      const liveKeys = createLocalJWKSet((await (await w.fetch('/.well-known/jwks.json')).json()) as never);
      const vc = (await jwtVerify(a.assertion, liveKeys, { issuer: w.serviceUrl })).payload
        .verified_claims as {
        verification: { trust_framework: string };
      };
      expect(vc.verification.trust_framework).toBe('chipid');
      const { csca: issued } = await sandboxPKI();
      const crl = await buildCRL(
        issued,
        [999n],
        new Date(Date.now() - 86_400_000),
        new Date(Date.now() + 86_400_000),
      );
      const added = await w.admin('POST', '/admin/v1/trust/live/crls', { pem: crl.pem });
      expect(added.status).toBe(201);
      crlId = ((await added.json()) as { id: string }).id;
      a = await verifyProfile('valid', live);
      expect(a.reasons).toEqual(['card_unknown']);
    } finally {
      expect((await w.admin('DELETE', `/admin/v1/trust/live/cscas/${id}`)).status).toBe(204);
      if (crlId) expect((await w.admin('DELETE', `/admin/v1/trust/live/crls/${crlId}`)).status).toBe(204);
    }
    a = await verifyProfile('valid', live);
    expect(a.reasons).toContain('ds_untrusted');
  });

  it('the admin API lists a trust store: CSCAs and CRLs with the ids they are removed by', async () => {
    const { csca } = await sandboxPKI();
    const crl = await buildCRL(csca, [999n], new Date('2026-01-01'), new Date('2046-01-01'));
    const list = async (what: 'cscas' | 'crls') => {
      const res = await w.admin('GET', `/admin/v1/trust/live/${what}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: Record<string, unknown>[] }).items;
    };
    const added = async (what: 'cscas' | 'crls', pem: string) =>
      ((await (await w.admin('POST', `/admin/v1/trust/live/${what}`, { pem })).json()) as { id: string }).id;
    expect(await list('cscas')).toEqual([]);
    const cscaId = await added('cscas', csca.pem);
    const crlId = await added('crls', crl.pem);
    try {
      const cert = parseCertificate(csca.der);
      expect(await list('cscas')).toEqual([
        {
          id: cscaId,
          subject: cert.subject.text,
          country: 'VN',
          notBefore: cert.notBefore.toISOString(),
          notAfter: cert.notAfter.toISOString(),
          addedAt: expect.any(String),
        },
      ]);
      expect(await list('crls')).toEqual([
        {
          id: crlId,
          issuer: cert.subject.text,
          thisUpdate: '2026-01-01T00:00:00.000Z',
          nextUpdate: '2046-01-01T00:00:00.000Z',
          revoked: 1,
          addedAt: expect.any(String),
        },
      ]);
      // The sandbox store is another world: its own CSCA only.
      const sandbox = await w.admin('GET', '/admin/v1/trust/sandbox/crls');
      expect(((await sandbox.json()) as { items: unknown[] }).items).toEqual([]);
      // Admin credential only.
      expect((await w.fetch('/admin/v1/trust/live/cscas')).status).toBe(401);
    } finally {
      expect((await w.admin('DELETE', `/admin/v1/trust/live/cscas/${cscaId}`)).status).toBe(204);
      expect((await w.admin('DELETE', `/admin/v1/trust/live/crls/${crlId}`)).status).toBe(204);
    }
    expect(await list('cscas')).toEqual([]);
  });

  it('removing the sandbox CSCA takes effect at once', async () => {
    const csca = await sandboxCSCA();
    const added = (await (
      await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: csca.pem })
    ).json()) as { id: string };
    expect((await w.admin('DELETE', `/admin/v1/trust/sandbox/cscas/${added.id}`)).status).toBe(204);
    try {
      expect((await verifyProfile('valid')).reasons).toContain('ds_untrusted');
    } finally {
      expect((await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: csca.pem })).status).toBe(201);
    }
    expect((await verifyProfile('valid')).result).toBe('verified');
  });
});

describe('concurrency and atomicity', () => {
  it('concurrent verifications of one client all land in one unbroken audit chain', async () => {
    const c = await registerClient(w);
    const card = await makeCard({ profile: 'no-aa', seed: 'h4' });
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => postVerification(w, c, card.dump)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const entries = await readAudit(store(), c.clientId);
    expect(entries).toHaveLength(5);
    expect(await verifyAuditChain(entries)).toBe(0); // per lane: seqs 1, 2, …, links, hashes
  });

  it('the same request twice at once with one Idempotency-Key: one outcome, replayed to the other', async () => {
    const c = await registerClient(w);
    const card = await makeCard({ profile: 'no-aa', seed: 'h4' });
    const request = await c.request(card.dump);
    const [a, b] = await Promise.all(
      [0, 1].map(() => postVerification(w, c, card.dump, { request, idempotencyKey: 'race-1' })),
    );
    expect([a?.status, b?.status]).toEqual([200, 200]);
    const [ja, jb] = [await a?.json(), await b?.json()];
    expect(ja).toEqual(jb);
    expect([a?.headers.get('idempotent-replayed'), b?.headers.get('idempotent-replayed')]).toContain('true');
    expect(await readAudit(store(), c.clientId)).toHaveLength(1);
  });

  it('a stored verification answer (it carries claims) lives as long as its request token can be resent, not 24 h', async () => {
    const c = await registerClient(w);
    const card = await makeCard({ profile: 'valid', seed: 'h4' });
    const request = await c.request(card.dump, { scope: ['name'] });
    const res = await postVerification(w, c, card.dump, { request, idempotencyKey: 'ttl-1' });
    expect(res.status).toBe(200);
    const ttlOf = async (key: string) => {
      const got = await db.client.send(
        new GetItemCommand({
          TableName: db.tableName('sandbox'),
          Key: keyAttrs(keys.idem(c.clientId, key)),
          ConsistentRead: true,
        }),
      );
      return Number(got.Item?.ttl?.N);
    };
    const exp = decodeJwt(request).exp as number;
    expect(await ttlOf('ttl-1')).toBe(exp + 30); // the token's expiry + the accepted clock skew
    // A challenge's answer (no personal data) keeps the default day.
    const ch = await w.fetch('/v1/challenges', {
      method: 'POST',
      headers: { authorization: await c.bearer('POST', '/v1/challenges'), 'idempotency-key': 'ttl-2' },
    });
    expect(ch.status).toBe(201);
    expect(await ttlOf('ttl-2')).toBeGreaterThan(Date.now() / 1000 + 23 * 3600);
  });

  it('a replayed request writes nothing (no outcome, no audit entry)', async () => {
    const c = await registerClient(w);
    const card = await makeCard({ profile: 'no-aa', seed: 'h4' });
    const request = await c.request(card.dump);
    expect((await postVerification(w, c, card.dump, { request })).status).toBe(200);
    const res = await postVerification(w, c, card.dump, { request });
    expect(res.status).toBe(409);
    expect(await readAudit(store(), c.clientId)).toHaveLength(1);
  });
});

describe('audit and logs', () => {
  it('the per-client audit chain links and recomputes', async () => {
    const entries = await readAudit(
      { db: db.client, table: db.tableName('sandbox'), env: 'sandbox' },
      rp.clientId,
    );
    expect(entries.length).toBeGreaterThan(PROFILE_NAMES.length);
    expect(await verifyAuditChain(entries)).toBe(0);
    const tampered = entries.map((e, i) => (i === 3 ? { ...e, result: 'verified' } : e));
    if (entries[3]?.result !== 'verified') expect(await verifyAuditChain(tampered)).toBe(4);
    const text = JSON.stringify(entries);
    const card = await makeCard({ profile: 'valid', seed: 'h4' });
    expect(text).not.toContain(card.citizen.idNumber);
    expect(text).not.toContain(card.citizen.fullName);
  });

  it('structured logs carry ids and routes, never personal data', async () => {
    const card = await makeCard({ profile: 'valid', seed: 'h4' });
    const requests = w.logs
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))));
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.some((r) => r.route === '/admin/v1/registry/:env/cards/:documentNumber')).toBe(true);
    for (const r of requests)
      expect(Object.keys(r).sort()).toEqual(
        expect.arrayContaining(['durationMs', 'requestId', 'route', 'status']),
      );
    const all = w.logs.join('\n');
    for (const secret of [card.citizen.idNumber, card.card.documentNumber, card.citizen.fullName])
      expect(all).not.toContain(secret);
  });
});
