/**
 * Step-up example against the real service (Worker in workerd + DynamoDB Local, no mocks): users are
 * onboarded with the eKYC example, then re-prove possession with a fresh challenge — same card,
 * another person's valid card, a cloned chip, a revoked card, a card without Active Authentication.
 */
import type { ChipIdClient } from '@chipid/sdk';
import { type CitizenCard, makeCard, type ProfileName, readyCitizen } from '@chipid/sdk/sandbox';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp as createOnboarding } from '../ekyc-onboarding/app.ts';
import { memoryStore } from '../ekyc-onboarding/store.ts';
import { useSandboxService } from '../shared/sandbox-service.ts';
import { createApp } from './app.ts';
import { decide, type StepUpDecision, stepUp } from './stepup.ts';

const svc = useSandboxService();
let client: ChipIdClient;
const store = memoryStore();
const decisions: StepUpDecision[] = [];
let stepup: ReturnType<typeof createApp>;

async function post(
  app: { request: (p: string, i: RequestInit) => Response | Promise<Response> },
  path: string,
  body: unknown,
) {
  const res = await app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const bytes = (b64: unknown) => new Uint8Array(Buffer.from(String(b64), 'base64'));

/** The mobile app's side: challenge, read the card (a sandbox chip answers), complete. */
async function runStepUp(
  userId: string,
  card: { profile: ProfileName; seed: string; citizen?: CitizenCard },
  trigger = 'large_transfer',
) {
  const ch = await post(stepup, '/stepup/challenge', { userId, trigger });
  expect(ch.status).toBe(201);
  const { dump } = await makeCard({ ...card, challenge: bytes(ch.json.challenge) });
  return post(stepup, '/stepup/complete', { userId, challengeId: ch.json.challengeId, chip: dump });
}

beforeAll(async () => {
  ({ client } = await svc.newClient());
  stepup = createApp({
    client,
    lookup: async (userId) => (await store.get(userId))?.sub,
    onDecision: (_u, _t, d) => decisions.push(d),
  });
  const onboarding = createOnboarding({ client, store });
  // alice: the `valid` citizen; bob: the citizen whose card the `clone` profile copies (his genuine card).
  for (const [userId, card] of [
    ['alice', { profile: 'valid' as const, seed: 'alice-card' }],
    ['bob', { profile: 'valid' as const, seed: 'bob-card', citizen: readyCitizen('clone') }],
  ] as const) {
    const ch = await post(onboarding, '/onboarding/challenge', { userId });
    const { dump } = await makeCard({ ...card, challenge: bytes(ch.json.challenge) });
    const done = await post(onboarding, '/onboarding/complete', {
      userId,
      challengeId: ch.json.challengeId,
      chip: dump,
    });
    expect(done.status, JSON.stringify(done.json)).toBe(201);
  }
});

describe('account-takeover step-up', () => {
  it('same card on a new device → allowed', async () => {
    const r = await runStepUp('alice', { profile: 'valid', seed: 'alice-card' }, 'new_device');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ outcome: 'allowed', reasons: [] });
    expect(typeof r.json.txn).toBe('string');
    expect(r.json.txn).not.toBe((await store.get('alice'))?.txn);
  });

  it("another person's valid card → different_card", async () => {
    const r = await runStepUp('alice', { profile: 'valid-brainpool', seed: 'mallory' });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ outcome: 'different_card', reasons: [] });
  });

  it("a clone of the user's own card (genuine data, wrong chip key) → clone_suspected", async () => {
    const r = await runStepUp('bob', { profile: 'clone', seed: 'bob-card' });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ outcome: 'clone_suspected', reasons: ['aa_failed'] });
  });

  it("the user's own genuine card still passes after a clone attempt", async () => {
    const r = await runStepUp('bob', { profile: 'valid', seed: 'bob-card', citizen: readyCitizen('clone') });
    expect(r.json.outcome).toBe('allowed');
  });

  it('a revoked card → rejected with its reason', async () => {
    const r = await runStepUp('alice', { profile: 'revoked-card', seed: 'x' });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ outcome: 'rejected', reasons: ['card_revoked'] });
  });

  it('a card without Active Authentication cannot prove possession → rejected', async () => {
    const r = await runStepUp('alice', { profile: 'no-aa', seed: 'x' });
    expect(r.json).toMatchObject({ outcome: 'rejected', reasons: ['aa_not_supported'] });
  });

  it('a user never onboarded: no challenge is spent (404); stepUp itself rejects (not_onboarded)', async () => {
    const ch = await post(stepup, '/stepup/challenge', { userId: 'carol', trigger: 'new_device' });
    expect(ch).toEqual({ status: 404, json: { error: 'not_onboarded' } });
    // Onboarding withdrawn between the two calls: the decision still needs a stored sub.
    const real = await client.challenge();
    const { dump } = await makeCard({ profile: 'valid', seed: 'alice-card', challenge: real.challenge });
    const d = await stepUp({ client, lookup: async () => undefined }, 'carol', dump, real, 'new_device');
    expect(d).toEqual({ outcome: 'rejected', reasons: ['not_onboarded'] });
  });

  it('refuses an unknown trigger and a foreign challenge', async () => {
    expect((await post(stepup, '/stepup/challenge', { userId: 'alice', trigger: 'login' })).status).toBe(400);
    const ch = await post(stepup, '/stepup/challenge', { userId: 'alice', trigger: 'new_device' });
    const { dump } = await makeCard({ seed: 'alice-card', challenge: bytes(ch.json.challenge) });
    const r = await post(stepup, '/stepup/complete', {
      userId: 'bob',
      challengeId: ch.json.challengeId,
      chip: dump,
    });
    expect(r).toEqual({ status: 409, json: { error: 'challenge_unknown' } });
  });

  it('reports every decision to the fraud hook', () => {
    expect(decisions.map((d) => d.outcome)).toEqual(
      expect.arrayContaining(['allowed', 'different_card', 'clone_suspected', 'rejected']),
    );
  });
});

describe('decide', () => {
  it.each([
    [{ result: 'verified', reasons: [], sub: 's1' }, 'allowed'],
    [{ result: 'verified', reasons: [], sub: 's2' }, 'different_card'],
    [{ result: 'verified', reasons: [] }, 'different_card'],
    [{ result: 'inconclusive', reasons: ['aa_failed'], sub: 's1' }, 'clone_suspected'],
    [{ result: 'inconclusive', reasons: ['aa_not_supported'], sub: 's1' }, 'rejected'],
    [{ result: 'inconclusive', reasons: ['challenge_invalid'], sub: 's1' }, 'rejected'],
    [{ result: 'rejected', reasons: ['dg_hash_mismatch'] }, 'rejected'],
  ] as const)('%j → %s', (a, want) => {
    expect(decide(a, 's1')).toBe(want);
  });
});
