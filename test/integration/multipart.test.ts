/**
 * Integration: the binary body of `POST /v1/verifications` (`multipart/form-data`, the dump's members as
 * raw-byte parts, `chip_digest` over the parts' manifest) — the bundled Worker in workerd (Miniflare)
 * against DynamoDB Local.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit, verifyAuditChain } from '../../functions/src/store/verifications.ts';
import { createClient } from '../../sdk/src/client/index.ts';
import { type ChipDumpJSON, dumpParts, parseDump } from '../../sdk/src/icao/dump.ts';
import { toBase64 } from '../../sdk/src/lib/bytes.ts';
import { encodeFormData, verificationFormData } from '../../sdk/src/request/sign.ts';
import { makeCard } from '../../sdk/src/sandbox/index.ts';
import { seedSandbox } from '../robustness/support/service.ts';
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
  await seedSandbox(w);
  rp = await registerClient(w, { scope: ['name', 'age_over_18'] });
});
afterAll(async () => {
  await w?.stop();
});

interface Answer {
  id: string;
  result: string;
  reasons: string[];
  assertion: string;
  code?: string;
  errors?: { pointer: string; detail: string }[];
}

/** A sandbox card (150 KB face unless told) whose chip answered a fresh challenge of `rp`. */
async function answeredCard(o: { profile?: 'valid'; faceSize?: number } = {}) {
  const ch = await newChallenge(w, rp);
  const card = await makeCard({
    profile: o.profile ?? 'valid',
    seed: 'mp1',
    faceSize: o.faceSize ?? 150_000,
    challenge: new Uint8Array(Buffer.from(ch.challenge, 'base64')),
  });
  return { chip: card.dump as ChipDumpJSON, challengeId: ch.id };
}

/**
 * `POST /v1/verifications`. A FormData is encoded here, as `fetch` would put it on the wire: Miniflare's
 * `dispatchFetch` has its own undici, which takes Node's FormData for an unknown object.
 */
async function post(body: FormData | string, headers: Record<string, string> = {}): Promise<Response> {
  if (typeof body === 'string') return w.fetch('/v1/verifications', { method: 'POST', headers, body });
  const { bytes, type } = await encodeFormData(body);
  return w.fetch('/v1/verifications', {
    method: 'POST',
    headers: { 'content-type': type, ...headers },
    body: bytes,
  });
}

/** A signed multipart request for `chip` (the SDK's FormData). */
async function multipartBody(
  chip: ChipDumpJSON,
  challengeId?: string,
  transport: 'json' | 'multipart' = 'multipart',
) {
  const request = await rp.request(chip, { transport, ...(challengeId ? { challengeId } : {}) });
  return { request, form: verificationFormData(request, parseDump(chip)) };
}

describe('POST /v1/verifications with a multipart body', () => {
  it('verifies a 150 KB-face card with Active Authentication, as the JSON body does, and the assertion says so', async () => {
    const { chip, challengeId } = await answeredCard();
    const { form } = await multipartBody(chip, challengeId);
    const res = await post(form);
    expect(res.status).toBe(200);
    const a = (await res.json()) as Answer;
    expect(a).toMatchObject({ result: 'verified', reasons: [] });
    const jwks = (await (await w.fetch('/sandbox/.well-known/jwks.json')).json()) as { keys: never[] };
    const { payload } = await jwtVerify(a.assertion, createLocalJWKSet({ keys: jwks.keys }), {
      audience: rp.clientId,
    });
    expect(payload).toMatchObject({ txn: a.id, result: 'verified' });
    // The same card over JSON (its own challenge) reaches the same outcome.
    const again = await answeredCard();
    const json = await postVerification(w, rp, again.chip, { challengeId: again.challengeId });
    expect(((await json.json()) as Answer).result).toBe('verified');
  });

  it("the SDK client's transport: 'multipart' verifies, the assertion checked against the JWKS", async () => {
    const client = createClient({
      baseUrl: w.serviceUrl,
      clientId: rp.clientId,
      privateKey: rp.privateJwk,
      // Miniflare's dispatchFetch (its own undici) as the caller's fetch: the client hands it bytes and
      // their Content-Type, never a FormData another fetch could take for text.
      fetch: (url, init) => {
        if (init?.body !== undefined && typeof init.body !== 'string') {
          expect(init.body).toBeInstanceOf(Uint8Array);
          expect(new Headers(init.headers).get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
        }
        return w.fetch(String(url).slice(w.serviceUrl.length), init as RequestInit);
      },
    });
    const ch = await client.challenge();
    const card = await makeCard({
      profile: 'valid',
      seed: 'mp2',
      faceSize: 150_000,
      challenge: ch.challenge,
    });
    const out = await client.verify(card.dump, {
      scope: ['name'],
      purpose: 'multipart client',
      challenge: ch,
      transport: 'multipart',
    });
    expect(out).toMatchObject({ result: 'verified', reasons: [] });
    expect(out.claims?.txn).toBe(out.id);
  });

  it('a part changed after signing: 400 ERR_REQUEST_INVALID (chip_digest); a request signed for JSON: the same', async () => {
    const { chip, challengeId } = await answeredCard({ faceSize: 15_000 });
    const { request } = await multipartBody(chip, challengeId);
    const dump = parseDump(chip);
    const dg2 = dump.dg2 as Uint8Array;
    dg2[dg2.length - 1] = (dg2[dg2.length - 1] as number) ^ 1;
    let res = await post(verificationFormData(request, dump));
    expect(res.status).toBe(400);
    let a = (await res.json()) as Answer;
    expect(a).toMatchObject({ code: 'ERR_REQUEST_INVALID', errors: [{ pointer: '/request' }] });

    const signedForJson = await multipartBody(chip, challengeId, 'json');
    res = await post(signedForJson.form);
    a = (await res.json()) as Answer;
    expect(res.status).toBe(400);
    expect(a.errors?.[0]?.detail).toMatch(/transport multipart/);
  });

  it('a face altered before signing is caught by passive authentication (the reused member hashes are of the bytes sent)', async () => {
    const { chip, challengeId } = await answeredCard({ faceSize: 15_000 });
    const dg2 = parseDump(chip).dg2 as Uint8Array;
    dg2[100] = (dg2[100] as number) ^ 0x40;
    const altered: ChipDumpJSON = { ...chip, dg2: toBase64(dg2) };
    // Signed over the altered parts: the request's digest matches, the SOD's DG2 hash does not.
    const request = await rp.request(altered, { challengeId, transport: 'multipart' });
    const res = await post(verificationFormData(request, parseDump(altered)));
    expect(res.status).toBe(200);
    const a = (await res.json()) as Answer;
    expect(a.result).toBe('rejected');
    expect(a.reasons).toContain('dg_hash_mismatch');
  });

  it('Idempotency-Key: a resend (new FormData, new boundary) is the same request; the same key on the JSON body is another', async () => {
    const { chip, challengeId } = await answeredCard({ faceSize: 15_000 });
    const { request } = await multipartBody(chip, challengeId);
    const send = () =>
      post(verificationFormData(request, parseDump(chip)), { 'idempotency-key': 'mp-idem-1' });
    const first = await send();
    expect(first.status).toBe(200);
    const a = await first.text();
    const again = await send();
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(a);
    const json = await post(JSON.stringify({ request, chip }), {
      'content-type': 'application/json',
      'idempotency-key': 'mp-idem-1',
    });
    expect(json.status).toBe(409);
    expect(((await json.json()) as Answer).code).toBe('ERR_IDEMPOTENCY_CONFLICT');
  });

  it('refuses malformed forms with ERR_VALIDATION naming the part, never echoing an unknown part name', async () => {
    const { chip } = await answeredCard({ faceSize: 15_000 });
    const dump = parseDump(chip);
    const request = await rp.request(chip, { transport: 'multipart' });
    const file = (b: Uint8Array) => new Blob([b as Uint8Array<ArrayBuffer>]);
    const base = () => {
      const f = new FormData();
      f.append('request', request);
      f.append('sod', file(dump.sod), 'sod');
      f.append('dg1', file(dump.dg1), 'dg1');
      return f;
    };
    const cases: [string, (f: FormData) => void, string, RegExp][] = [
      ['unknown part', (f) => f.append('Nguyễn Văn A', file(dump.dg1), 'x'), '', /unknown part/],
      ['repeated part', (f) => f.append('dg1', file(dump.dg1), 'dg1'), '/dg1', /more than once/],
      ['member as text', (f) => f.append('dg2', 'AAAA'), '/dg2', /file part/],
      [
        'empty AA signature',
        (f) => {
          f.append('aa.challenge', file(new Uint8Array(8)), 'c');
          f.append('aa.signature', file(new Uint8Array(0)), 's');
        },
        '/aa.signature',
        /empty/,
      ],
      [
        'eleven parts',
        (f) => {
          for (const n of ['com', 'dg2', 'dg13', 'dg14', 'dg15', 'aa.challenge', 'aa.signature', 'x'])
            f.append(n, file(new Uint8Array(1)), n);
        },
        '',
        /more than 10 parts/,
      ],
      [
        'half an AA answer',
        (f) => f.append('aa.signature', file(new Uint8Array(64)), 's'),
        '/aa.challenge',
        /together/,
      ],
      [
        'over-long AA challenge',
        (f) => {
          f.append('aa.challenge', file(new Uint8Array(769)), 'c');
          f.append('aa.signature', file(new Uint8Array(64)), 's');
        },
        '/aa.challenge',
        /longer than 768/,
      ],
    ];
    for (const [what, change, pointer, detail] of cases) {
      const f = base();
      change(f);
      const res = await post(f);
      const text = await res.text();
      expect(res.status, what).toBe(400);
      expect(text, what).not.toContain('Nguy');
      const a = JSON.parse(text) as Answer;
      expect(a.code, what).toBe('ERR_VALIDATION');
      expect(
        a.errors?.some((e) => e.pointer === pointer && detail.test(e.detail)),
        `${what}: ${text}`,
      ).toBe(true);
    }
    // The request sent as a file: about the request only (nothing else is judged without it).
    let f = new FormData();
    f.append('request', new Blob([request]), 'request.jwt');
    f.append('dg1', file(dump.dg1), 'dg1');
    let res = await post(f);
    expect(res.status).toBe(400);
    let a = (await res.json()) as Answer;
    expect(a.errors).toEqual([{ pointer: '/request', detail: expect.stringMatching(/text part/) }]);
    // No sod under a good request.
    f = new FormData();
    f.append('request', await rp.request(chip, { transport: 'multipart' }));
    f.append('dg1', file(dump.dg1), 'dg1');
    res = await post(f);
    a = (await res.json()) as Answer;
    expect([res.status, a.errors]).toEqual([400, [{ pointer: '/sod', detail: 'required' }]]);
    // An over-long data group: named, as the JSON body names its member.
    f = base();
    f.append('dg2', file(new Uint8Array(1_050_001)), 'dg2');
    res = await post(f);
    a = (await res.json()) as Answer;
    expect([res.status, a.errors]).toEqual([400, [{ pointer: '/dg2', detail: 'longer than 1050000 bytes' }]]);
  });

  it('a body that is not multipart despite its Content-Type: 400 ERR_VALIDATION; a token that fails: 401 before the parts are judged', async () => {
    let res = await post('definitely not a form', { 'content-type': 'multipart/form-data; boundary=xyz' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Answer).code).toBe('ERR_VALIDATION');
    res = await post('--xyz--\r\n', { 'content-type': 'multipart/form-data' }); // no boundary parameter
    expect(res.status).toBe(400);
    // A part header that is not UTF-8 (found by the fuzz suite: the parser's strict decoder threw a
    // TypeError, answered 500): a malformed body like any other.
    const head = Buffer.from('--xyz\r\nContent-Disposition: form-data; name="sod"; filename="', 'latin1');
    const bad = Buffer.concat([
      head,
      Buffer.from([0xff, 0xfe, 0x22]),
      Buffer.from('\r\n\r\nAAAA\r\n--xyz--\r\n'),
    ]);
    res = await w.fetch('/v1/verifications', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: new Uint8Array(bad),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Answer).code).toBe('ERR_VALIDATION');
    const { chip } = await answeredCard({ faceSize: 15_000 });
    const { request } = await multipartBody(chip);
    const form = verificationFormData(`${request.slice(0, -4)}AAAA`, parseDump(chip));
    form.set('dg2', 'not a file'); // and a bad part: the token answers first, as in JSON
    res = await post(form);
    expect(res.status).toBe(401);
  });

  it('Content-Type parameters besides the boundary are fine; another multipart type is 415 before any work', async () => {
    const { chip, challengeId } = await answeredCard({ faceSize: 15_000 });
    const { form } = await multipartBody(chip, challengeId);
    const { bytes, type } = await encodeFormData(form);
    const send = (contentType: string) =>
      w.fetch('/v1/verifications', { method: 'POST', headers: { 'content-type': contentType }, body: bytes });
    let res = await send(type.replace('multipart/form-data', 'multipart/mixed'));
    expect(res.status).toBe(415);
    expect(((await res.json()) as Answer).code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    res = await send(`${type.replace('multipart/form-data', 'Multipart/Form-Data')};  charset=UTF-8`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Answer).result).toBe('verified');
  });

  it('a form written by another client library (preamble, parameter names in other cases, unquoted values) verifies', async () => {
    const { chip, challengeId } = await answeredCard({ faceSize: 15_000 });
    const dump = parseDump(chip);
    const request = await rp.request(chip, { transport: 'multipart', challengeId });
    const crlf = Buffer.from('\r\n');
    const part = (head: string, content: Uint8Array | string) =>
      Buffer.concat([Buffer.from(`--Zq9\r\n${head}\r\n\r\n`), Buffer.from(content), crlf]);
    const body = Buffer.concat([
      Buffer.from('This is a preamble, which RFC 2046 says to ignore.\r\n'),
      part('content-disposition: Form-Data; NAME=request', request),
      ...dumpParts(dump).map(([n, bytes]) =>
        part(
          `Content-Disposition: form-data; Name="${n}"; FILENAME=${n}.bin\r\nContent-Type: application/octet-stream`,
          bytes,
        ),
      ),
      Buffer.from('--Zq9--\r\nand an epilogue\r\n'),
    ]);
    const res = await w.fetch('/v1/verifications', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary="Zq9"' },
      body: new Uint8Array(body),
    });
    const a = (await res.json()) as Answer;
    expect([res.status, a.result, a.reasons], JSON.stringify(a)).toEqual([200, 'verified', []]);
    // A part whose disposition is another type, or names a parameter twice, is no part of the form.
    for (const head of [
      'Content-Disposition: attachment; name="dg2"',
      'Content-Disposition: form-data; name="dg2"; NAME="dg14"',
    ]) {
      const form = verificationFormData(request, dump);
      form.delete('dg2');
      const { bytes, type } = await encodeFormData(form);
      const boundary = type.split('boundary=')[1] as string;
      const text = Buffer.from(bytes).toString('latin1');
      const extra = `--${boundary}\r\n${head}; filename="x"\r\n\r\nAAAA\r\n--${boundary}--`;
      const withPart = Buffer.from(text.replace(`--${boundary}--`, extra), 'latin1');
      const r = await w.fetch('/v1/verifications', {
        method: 'POST',
        headers: { 'content-type': type },
        body: new Uint8Array(withPart),
      });
      const p = (await r.json()) as Answer;
      expect([r.status, p.code, p.errors], head).toEqual([
        400,
        'ERR_VALIDATION',
        [{ pointer: '', detail: 'a part without a valid Content-Disposition: form-data; name=…' }],
      ]);
    }
  });

  it('a refused client hears 429 / 403 before what its body lacks, for either body kind', async () => {
    const chip: ChipDumpJSON = {
      format: 'chipid.dump/1',
      sod: Buffer.from('7701ff', 'hex').toString('base64'),
      dg1: Buffer.from('61035f1f00', 'hex').toString('base64'),
    };
    /** A well-signed request with a body that fails its schema: dg1 is a number (JSON), a text part (multipart). */
    const badBodies = async (c: RpClient, worker: TestWorker) => {
      const json = await c.request(chip);
      const form = new FormData();
      form.append('request', await c.request(chip, { transport: 'multipart' }));
      form.append('sod', new Blob([Buffer.from('7701ff', 'hex')]), 'sod');
      form.append('dg1', 'not a file');
      const { bytes, type } = await encodeFormData(form);
      const send = (kind: 'json' | 'multipart') =>
        kind === 'json'
          ? worker.fetch('/v1/verifications', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ request: json, chip: { ...chip, dg1: 42 } }),
            })
          : worker.fetch('/v1/verifications', {
              method: 'POST',
              headers: { 'content-type': type },
              body: bytes,
            });
      return async (kind: 'json' | 'multipart') => {
        const res = await send(kind);
        return { kind, status: res.status, code: ((await res.json()) as Answer).code };
      };
    };
    // Quota 1 a minute: the first request of a window is judged on its body (400), every other one is
    // refused for the rate. Six alternating requests span at most two windows.
    const limited = await startWorker({
      endpoint: db.endpoint,
      prefix: db.prefix,
      bindings: { RATE_LIMIT_PER_MINUTE: '1' },
    });
    try {
      const c = await registerClient(limited);
      const answers = [];
      for (let i = 0; i < 6; i++) {
        // Each request is signed anew (own jti): the replay guard is not what refuses them.
        answers.push(await (await badBodies(c, limited))(i % 2 ? 'multipart' : 'json'));
      }
      const judged = answers.filter((a) => a.status === 400);
      expect(judged.length, JSON.stringify(answers)).toBeLessThanOrEqual(2);
      for (const a of judged) expect(a.code).toBe('ERR_VALIDATION');
      const limitedKinds = answers.filter((a) => a.status === 429 && a.code === 'ERR_RATE_LIMITED');
      expect(limitedKinds.length + judged.length, JSON.stringify(answers)).toBe(6);
      expect(new Set(limitedKinds.map((a) => a.kind))).toEqual(new Set(['json', 'multipart']));
    } finally {
      await limited.stop();
    }
    // A disabled client: 403, whatever its body.
    const off = await registerClient(w);
    const sendOff = await badBodies(off, w);
    expect((await w.admin('PATCH', `/admin/v1/clients/${off.clientId}`, { status: 'disabled' })).status).toBe(
      200,
    );
    expect([await sendOff('json'), await sendOff('multipart')]).toEqual([
      { kind: 'json', status: 403, code: 'ERR_FORBIDDEN' },
      { kind: 'multipart', status: 403, code: 'ERR_FORBIDDEN' },
    ]);
  });

  it('the same dump, an empty optional member: the same outcome over JSON and multipart', async () => {
    const base = await answeredCard({ faceSize: 15_000 });
    const { chip: other } = await answeredCard({ faceSize: 15_000 });
    const outcomes: [string, string[]][] = [];
    for (const [chip, challengeId, transport] of [
      [{ ...base.chip, dg13: '' }, base.challengeId, 'json'],
      [{ ...other, dg13: '' }, undefined, 'multipart'],
    ] as const) {
      const res =
        transport === 'json'
          ? await postVerification(w, rp, chip, { challengeId })
          : await post((await multipartBody(chip, undefined)).form);
      const a = (await res.json()) as Answer;
      expect(res.status).toBe(200);
      outcomes.push([a.result, a.reasons.filter((r) => !r.startsWith('aa_'))]);
    }
    expect(outcomes[0]).toEqual(['rejected', ['dg_hash_mismatch']]);
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  it('a resend without an Idempotency-Key is a replay (409); a body over 2 MiB is 413; the audit says which digest it holds', async () => {
    const { chip, challengeId } = await answeredCard({ faceSize: 15_000 });
    const { request } = await multipartBody(chip, challengeId);
    const first = await post(verificationFormData(request, parseDump(chip)));
    expect(first.status).toBe(200);
    const { id } = (await first.json()) as Answer;
    const again = await post(verificationFormData(request, parseDump(chip)));
    expect(again.status).toBe(409);
    expect(((await again.json()) as Answer).code).toBe('ERR_REQUEST_REPLAYED');
    const big = verificationFormData(request, parseDump(chip));
    big.append('dg14', new Blob([new Uint8Array(2 * 1024 * 1024)]), 'dg14');
    const tooLarge = await post(big);
    expect(tooLarge.status).toBe(413);
    const store = { db: db.client, table: db.tableName('sandbox'), env: 'sandbox' as const };
    const entries = await readAudit(store, rp.clientId);
    expect(entries.find((e) => e.verificationId === id)).toMatchObject({ chipDigestOf: 'parts' });
    expect(entries.filter((e) => e.chipDigestOf === undefined).length).toBeGreaterThan(0); // the JSON ones
    expect(await verifyAuditChain(entries)).toBe(0);
  });
});
