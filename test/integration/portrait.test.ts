/**
 * Integration: the `portrait` scope end to end — the bundled Worker in workerd (OpenJPEG's WebAssembly
 * loaded as a module compiled with the Worker), DynamoDB Local, sandbox chips answering fresh
 * challenges, the SDK client and `verifyAssertion`.
 *
 * A verified chip's face comes back as JPEG beside the assertion, whose document evidence carries its
 * SHA-256 (OpenID Attachments digest); a swapped image fails `verifyAssertion`; no image without the
 * scope, without the client's registration for it, or for a rejected chip; a JPEG 2000 face comes back
 * as JPEG; an idempotent replay derives the same image again while the stored record holds none; the
 * Worker's logs never carry it.
 */
import { createHash } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyAttrs, keys } from '../../functions/src/store/keys.ts';
import { type ChipIdClient, createClient } from '../../sdk/src/client/index.ts';
import { isChipIdError } from '../../sdk/src/errors.ts';
import { parseDG2 } from '../../sdk/src/icao/dg2.ts';
import { type ChipDumpJSON, decodeDump } from '../../sdk/src/icao/dump.ts';
import { encodeFormData, verificationFormData } from '../../sdk/src/request/sign.ts';
import {
  makeCard,
  type ProfileName,
  sandboxCSCA,
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
let client: ChipIdClient;

interface Answer {
  id: string;
  result: string;
  reasons: string[];
  assertion: string;
  portrait?: { media_type: string; data: string };
}

const SCOPE = ['name', 'portrait'];

beforeAll(async () => {
  w = await startWorker({ endpoint: db.endpoint, prefix: db.prefix });
  rp = await registerClient(w, { scope: SCOPE });
  const csca = await sandboxCSCA();
  let res = await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: csca.pem });
  expect(res.status).toBe(201);
  res = await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
    'content-type': 'application/x-ndjson',
  });
  expect(res.status).toBe(200);
  client = createClient({
    baseUrl: w.serviceUrl,
    clientId: rp.clientId,
    privateKey: rp.privateJwk,
    fetch: (url, init) => w.fetch(String(url).slice(w.serviceUrl.length), init as RequestInit),
  });
});
afterAll(async () => {
  await w?.stop();
});

const sha256b64 = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** The portrait attachment of an assertion (undefined when it has none). */
function attachment(jwt: string) {
  const c = decodeJwt(jwt) as {
    verified_claims?: {
      verification: {
        evidence: {
          attachments?: { desc: string; content_type: string; digest: { alg: string; value: string } }[];
        }[];
      };
    };
  };
  return c.verified_claims?.verification.evidence[0]?.attachments?.find((a) => a.desc === 'portrait');
}

/** A sandbox card of `profile` whose virtual chip answered a fresh challenge of `who`. */
async function answered(who: RpClient, profile: ProfileName, seed = 'portrait') {
  const ch = await newChallenge(w, who);
  const card = await makeCard({ profile, seed, challenge: bytes(ch.challenge) });
  return { chip: card.dump, challengeId: ch.id };
}

async function verify(
  who: RpClient,
  chip: ChipDumpJSON,
  challengeId: string,
  scope: string[],
  idempotencyKey?: string,
): Promise<Answer> {
  const res = await postVerification(w, who, chip, {
    scope,
    challengeId,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

describe('portrait scope', () => {
  it('a verified chip: the JPEG face, its SHA-256 in the assertion, checked by verifyAssertion', async () => {
    const { chip, challengeId } = await answered(rp, 'valid');
    const a = await verify(rp, chip, challengeId, SCOPE);
    expect(a.result).toBe('verified');
    expect(a.portrait?.media_type).toBe('image/jpeg');
    const image = bytes(a.portrait!.data);
    // A JPEG face is passed on byte for byte.
    expect(image).toEqual(parseDG2(bytes(chip.dg2!))[0]!.image);
    const att = attachment(a.assertion);
    expect(att).toEqual({
      desc: 'portrait',
      content_type: 'image/jpeg',
      digest: { alg: 'sha-256', value: sha256b64(image) },
    });
    // The JWT stays small: the image is not in it.
    expect(a.assertion.length).toBeLessThan(4096);

    const claims = await client.verifyAssertion(a.assertion, { portrait: image });
    expect(claims.txn).toBe(a.id);
    // Another citizen's face (a swapped image) fails, as does one changed byte.
    const other = await makeCard({ profile: 'valid-brainpool', seed: 'portrait' });
    const swapped = parseDG2(bytes(other.dump.dg2!))[0]!.image;
    expect(swapped).not.toEqual(image);
    await expect(client.verifyAssertion(a.assertion, { portrait: swapped })).rejects.toMatchObject({
      code: 'ERR_ASSERTION_INVALID',
    });
    const flipped = image.slice();
    flipped[100] = (flipped[100] ?? 0) ^ 1;
    await expect(client.verifyAssertion(a.assertion, { portrait: flipped })).rejects.toMatchObject({
      code: 'ERR_ASSERTION_INVALID',
    });

    // The verification record names the check, without the image.
    const rec = await w.fetch(`/v1/verifications/${a.id}`, {
      headers: { authorization: await rp.bearer('GET', `/v1/verifications/${a.id}`) },
    });
    const checks = ((await rec.json()) as { checks: { name: string; ok: boolean; detail?: string }[] })
      .checks;
    expect(checks.find((c) => c.name === 'portrait')).toEqual({
      name: 'portrait',
      ok: true,
      detail: 'JPEG face',
    });
  });

  it('a JPEG 2000 face comes back as JPEG of the same size, bound the same way', async () => {
    const { chip, challengeId } = await answered(rp, 'valid-jp2');
    expect(parseDG2(bytes(chip.dg2!))[0]!.format).toBe('jp2');
    const a = await verify(rp, chip, challengeId, SCOPE);
    expect(a.result).toBe('verified');
    const image = bytes(a.portrait!.data);
    expect([...image.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const decoded = jpeg.decode(image, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([240, 320]);
    expect(attachment(a.assertion)?.digest.value).toBe(sha256b64(image));
    await expect(client.verifyAssertion(a.assertion, { portrait: image })).resolves.toMatchObject({
      result: 'verified',
    });
  });

  it('no image without the scope, or when the client is not registered for it', async () => {
    let card = await answered(rp, 'valid');
    let a = await verify(rp, card.chip, card.challengeId, ['name']);
    expect(a.result).toBe('verified');
    expect(a.portrait).toBeUndefined();
    expect(attachment(a.assertion)).toBeUndefined();

    const plain = await registerClient(w, { scope: ['name'] });
    card = await answered(plain, 'valid');
    a = await verify(plain, card.chip, card.challengeId, SCOPE);
    expect(a.result).toBe('verified');
    expect(a.portrait).toBeUndefined();
    expect(attachment(a.assertion)).toBeUndefined();
    // An assertion without a digest binds no image at all.
    await expect(
      client.verifyAssertion(a.assertion, { portrait: bytes(card.chip.dg2!) }),
    ).rejects.toBeDefined();
  });

  it('a rejected chip never returns one (tampered data, revoked card)', async () => {
    for (const profile of ['tampered-dg1', 'revoked-card', 'expired-ds'] as const) {
      const { chip, challengeId } = await answered(rp, profile);
      const a = await verify(rp, chip, challengeId, SCOPE);
      expect(a.result, profile).toBe('rejected');
      expect(a.portrait, profile).toBeUndefined();
      expect(attachment(a.assertion), profile).toBeUndefined();
    }
    // Nor an inconclusive one (clone check failed).
    const { chip, challengeId } = await answered(rp, 'clone');
    const a = await verify(rp, chip, challengeId, SCOPE);
    expect(a.result).toBe('inconclusive');
    expect(a.portrait).toBeUndefined();
  });

  it('an idempotent replay derives the same image again; the stored record holds none', async () => {
    const { chip, challengeId } = await answered(rp, 'valid-jp2', 'replay');
    const request = await rp.request(chip, { scope: SCOPE, challengeId });
    const key = `portrait-${Date.now()}`;
    const send = () => postVerification(w, rp, chip, { request, idempotencyKey: key });
    const first = await send();
    const a = (await first.json()) as Answer;
    const second = await send();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const b = (await second.json()) as Answer;
    expect(b.assertion).toBe(a.assertion);
    expect(b.portrait).toEqual(a.portrait);

    const stored = await db.client.send(
      new GetItemCommand({ TableName: db.tableName('sandbox'), Key: keyAttrs(keys.idem(rp.clientId, key)) }),
    );
    const body = stored.Item?.body?.S ?? JSON.stringify(stored.Item ?? {});
    expect(stored.Item).toBeDefined();
    expect(body).not.toContain(a.portrait!.data.slice(0, 64));
    expect(JSON.stringify(stored.Item)).not.toContain(a.portrait!.data.slice(0, 64));
  });

  it('a multipart replay derives the image from the parts again', async () => {
    const { chip, challengeId } = await answered(rp, 'valid-jp2', 'replay-mp');
    const request = await rp.request(chip, { scope: SCOPE, challengeId, transport: 'multipart' });
    const { bytes: body, type } = await encodeFormData(verificationFormData(request, decodeDump(chip)));
    const key = `mp-portrait-${challengeId}`;
    const sendKeyed = () =>
      w.fetch('/v1/verifications', {
        method: 'POST',
        headers: { 'content-type': type, 'idempotency-key': key },
        body,
      });
    const a = (await (await sendKeyed()).json()) as Answer;
    expect(a.result).toBe('verified');
    const again = await sendKeyed();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const b = (await again.json()) as Answer;
    expect(b.assertion).toBe(a.assertion);
    expect(b.portrait).toEqual(a.portrait);
    expect(attachment(b.assertion)?.digest.value).toBe(sha256b64(bytes(b.portrait!.data)));
  });

  it('the SDK client returns the verified bytes and media type (JSON and multipart, large DG2)', async () => {
    for (const [profile, transport] of [
      ['valid-jp2', 'json'],
      ['valid-large-dg2', 'multipart'],
    ] as const) {
      const ch = await client.challenge();
      const card = await makeCard({ profile, seed: 'sdk', challenge: ch.challenge });
      const out = await client.verify(card.dump, {
        scope: SCOPE,
        purpose: 'step-up: face match',
        challenge: ch,
        transport,
      });
      expect(out.result, profile).toBe('verified');
      expect(out.portrait?.mediaType).toBe('image/jpeg');
      expect([...out.portrait!.bytes.subarray(0, 2)]).toEqual([0xff, 0xd8]);
      if (profile === 'valid-large-dg2') expect(out.portrait!.bytes.length).toBeGreaterThanOrEqual(120_000);
      expect(out.claims?.verified_claims?.verification.evidence[0]?.attachments?.[0]?.digest?.value).toBe(
        sha256b64(out.portrait!.bytes),
      );
    }
    // A tampered answer (another image beside the genuine assertion) is refused by the client.
    const ch = await client.challenge();
    const card = await makeCard({ profile: 'valid', seed: 'swap', challenge: ch.challenge });
    const other = await makeCard({ profile: 'valid-brainpool', seed: 'swap' }); // another face
    const swapping = createClient({
      baseUrl: w.serviceUrl,
      clientId: rp.clientId,
      privateKey: rp.privateJwk,
      fetch: async (url, init) => {
        const res = await w.fetch(String(url).slice(w.serviceUrl.length), init as RequestInit);
        if (!String(url).endsWith('/v1/verifications')) return res;
        const body = (await res.json()) as Answer;
        const face = parseDG2(bytes(other.dump.dg2!))[0]!.image;
        return Response.json({
          ...body,
          portrait: { media_type: 'image/jpeg', data: Buffer.from(face).toString('base64') },
        });
      },
    });
    const err = await swapping
      .verify(card.dump, { scope: SCOPE, purpose: 'swap', challenge: ch })
      .catch((e: unknown) => e);
    expect(isChipIdError(err) && err.code).toBe('ERR_ASSERTION_INVALID');
  });

  it('the image never reaches the logs', async () => {
    const { chip, challengeId } = await answered(rp, 'valid', 'logs');
    const a = await verify(rp, chip, challengeId, SCOPE);
    const needle = a.portrait!.data.slice(200, 264);
    expect(w.logs.join('\n')).not.toContain(needle);
    expect(w.logs.length).toBeGreaterThan(0);
  });
});
