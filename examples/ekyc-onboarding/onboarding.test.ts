/**
 * eKYC onboarding example against the real service (Worker in workerd + DynamoDB Local, no mocks):
 * the bank app's flow, what is stored (only sub + txn), refusals, duplicates, and the Node server.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChipIdClient } from '@chipid/sdk';
import { makeCard, type ProfileName } from '@chipid/sdk/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSandboxService } from '../shared/sandbox-service.ts';
import { createApp } from './app.ts';
import { startServer } from './index.ts';
import { jsonFileStore, memoryStore, type SubjectStore } from './store.ts';

const svc = useSandboxService();
let client: ChipIdClient;
const tmp = mkdtempSync(join(tmpdir(), 'chipid-onboarding-'));

beforeAll(async () => {
  ({ client } = await svc.newClient());
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Call = (path: string, body: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;

function caller(app: ReturnType<typeof createApp>): Call {
  return async (path, body) => {
    const res = await app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
}

/** What the bank's mobile app does: get a challenge, read the card (sandbox), send the dump. */
async function onboard(call: Call, userId: string, profile: ProfileName = 'valid', seed = 'onboarding') {
  const ch = await call('/onboarding/challenge', { userId });
  expect(ch.status).toBe(201);
  const card = await makeCard({
    profile,
    seed,
    challenge: new Uint8Array(Buffer.from(String(ch.json.challenge), 'base64')),
  });
  const done = await call('/onboarding/complete', {
    userId,
    challengeId: ch.json.challengeId,
    chip: card.dump,
  });
  return { card, done, challengeId: String(ch.json.challengeId) };
}

describe('eKYC onboarding', () => {
  it('verifies the card and stores only the pairwise sub and the txn', async () => {
    const store = memoryStore();
    const call = caller(createApp({ client, store }));
    const { card, done } = await onboard(call, 'user-1');
    expect(done.status).toBe(201);
    expect(done.json).toMatchObject({ status: 'verified', ageOver18: true });
    expect(done.json.name).toBe(card.citizen.fullName);

    const stored = await store.dump();
    expect(Object.keys(stored)).toEqual(['user-1']);
    const rec = stored['user-1']!;
    expect(Object.keys(rec).sort()).toEqual(['onboardedAt', 'sub', 'txn']);
    expect(rec.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rec.txn).toBe(done.json.txn);
    const text = JSON.stringify(stored);
    for (const personal of [
      card.citizen.fullName,
      card.citizen.birthDate,
      card.citizen.idNumber,
      card.card.documentNumber,
      card.citizen.placeOfResidence,
    ])
      expect(text).not.toContain(personal);
    // The txn is the audit reference at chipid.
    expect((await client.getVerification(rec.txn)).result).toBe('verified');
  });

  it('persists the same minimal record to a JSON file', async () => {
    const path = join(tmp, 'subjects.json');
    const call = caller(createApp({ client, store: jsonFileStore(path) }));
    const { card, done } = await onboard(call, 'user-file', 'valid-rsa');
    expect(done.status).toBe(201);
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
    expect(Object.keys(file['user-file'] ?? {}).sort()).toEqual(['onboardedAt', 'sub', 'txn']);
    const raw = readFileSync(path, 'utf8');
    expect(raw).not.toContain(card.citizen.fullName);
    expect(raw).not.toContain(card.citizen.birthDate);
    expect(raw).not.toContain(card.card.documentNumber);
    // A reloaded store sees it.
    expect((await jsonFileStore(path).get('user-file'))?.txn).toBe(done.json.txn);
    // So does a store opened BEFORE the write (the step-up example's, in another process).
    const early = jsonFileStore(join(tmp, 'early.json'));
    await jsonFileStore(join(tmp, 'early.json')).put('late', { sub: 's', txn: 't', onboardedAt: 'now' });
    expect((await early.get('late'))?.txn).toBe('t');
    expect(await early.findBySub('s')).toBe('late');
  });

  it('refuses a revoked card with the signed reasons and stores nothing', async () => {
    const store = memoryStore();
    const call = caller(createApp({ client, store }));
    const { done } = await onboard(call, 'user-revoked', 'revoked-card');
    expect(done.status).toBe(422);
    expect(done.json).toMatchObject({ status: 'rejected', reasons: ['card_revoked'] });
    expect(typeof done.json.txn).toBe('string');
    expect(await store.dump()).toEqual({});
  });

  it('reports a cloned chip as inconclusive and stores nothing', async () => {
    const store = memoryStore();
    const { done } = await onboard(caller(createApp({ client, store })), 'user-clone', 'clone');
    expect(done.status).toBe(422);
    expect(done.json).toMatchObject({ status: 'inconclusive', reasons: ['aa_failed'] });
    expect(await store.dump()).toEqual({});
  });

  it('gets a signed answer for a card without Active Authentication (inconclusive) and stores nothing', async () => {
    const store = memoryStore();
    const { card, done } = await onboard(caller(createApp({ client, store })), 'user-no-aa', 'no-aa');
    expect(card.dump.aa).toBeUndefined();
    expect(done.status).toBe(422);
    expect(done.json).toMatchObject({ status: 'inconclusive', reasons: ['aa_not_supported'] });
    expect(await store.dump()).toEqual({});
  });

  it('uses each challenge once, for the user it was issued to', async () => {
    const store: SubjectStore = memoryStore();
    const call = caller(createApp({ client, store }));
    const ch = await call('/onboarding/challenge', { userId: 'user-a' });
    const card = await makeCard({
      challenge: new Uint8Array(Buffer.from(String(ch.json.challenge), 'base64')),
    });
    const other = await call('/onboarding/complete', {
      userId: 'user-b',
      challengeId: ch.json.challengeId,
      chip: card.dump,
    });
    expect(other).toEqual({ status: 409, json: { error: 'challenge_unknown' } });
    // Consumed by the failed attempt: no second try on the same challenge.
    const again = await call('/onboarding/complete', {
      userId: 'user-a',
      challengeId: ch.json.challengeId,
      chip: card.dump,
    });
    expect(again.status).toBe(409);
    expect(await store.dump()).toEqual({});
  });

  it('rejects a chip answer to another challenge before calling the service', async () => {
    const call = caller(createApp({ client, store: memoryStore() }));
    const ch = await call('/onboarding/challenge', { userId: 'user-x' });
    const card = await makeCard({ challenge: new Uint8Array(8) });
    const done = await call('/onboarding/complete', {
      userId: 'user-x',
      challengeId: ch.json.challengeId,
      chip: card.dump,
    });
    expect(done).toEqual({ status: 400, json: { error: 'bad_chip_read', code: 'ERR_REQUEST_INVALID' } });
  });

  it('refuses a second account for the same person (same pairwise sub)', async () => {
    const store = memoryStore();
    const call = caller(createApp({ client, store }));
    expect((await onboard(call, 'first', 'valid-brainpool', 'one')).done.status).toBe(201);
    // Another physical read of the same person's card (different seed), another user id.
    const second = await onboard(call, 'second', 'valid-brainpool', 'two');
    expect(second.done.status).toBe(409);
    expect(second.done.json.status).toBe('duplicate');
    expect(Object.keys(await store.dump())).toEqual(['first']);
    // And the same user cannot onboard twice.
    expect((await call('/onboarding/challenge', { userId: 'first' })).status).toBe(409);
  });

  it('validates its own input', async () => {
    const call = caller(createApp({ client, store: memoryStore() }));
    expect((await call('/onboarding/challenge', { userId: '../etc' })).status).toBe(400);
    expect((await call('/onboarding/complete', { userId: 'u' })).status).toBe(400);
    // Each 400 says what the body lacks, naming the member and its rule (never echoing a value).
    expect(await call('/onboarding/challenge', {})).toEqual({
      status: 400,
      json: { error: 'bad_request', detail: 'userId: a string of 1–128 letters, digits, _ or -' },
    });
    expect((await call('/onboarding/complete', { userId: 'u' })).json).toEqual({
      error: 'bad_request',
      detail:
        'challengeId: the id /onboarding/challenge answered; chip: the chipid.dump/1 object the app read',
    });
  });

  it('serves the same flow over HTTP on Node (index.ts)', async () => {
    const store = memoryStore();
    const { url, close } = await startServer({ port: 0, deps: { client, store } });
    try {
      const call: Call = async (path, body) => {
        const res = await fetch(url + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      const { done } = await onboard(call, 'user-http', 'valid', 'http');
      expect(done.status).toBe(201);
      expect((await store.get('user-http'))?.txn).toBe(done.json.txn);
    } finally {
      await close();
    }
  });
});
