/**
 * Step-up example against the real service (Worker in workerd + DynamoDB Local, no mocks): users are
 * onboarded with the eKYC example, then re-prove possession with a fresh challenge — same card,
 * another person's valid card, a cloned chip, a revoked card, a card without Active Authentication —
 * and, under SBV Decision 2345 (new device, transfer above 10 million VND, day above 20 million), the
 * chip's portrait goes with a selfie to the face-match step: match, no match, vendor error, timeout.
 * The matcher is the example's stand-in (byte equality, NOT biometrics), so each branch is reachable.
 */
import type { ChipIdClient } from '@chipid/sdk';
import { parseDG2 } from '@chipid/sdk/icao';
import { type CitizenCard, makeCard, type ProfileName, readyCitizen } from '@chipid/sdk/sandbox';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp as createOnboarding } from '../ekyc-onboarding/app.ts';
import { memoryStore } from '../ekyc-onboarding/store.ts';
import { useSandboxService } from '../shared/sandbox-service.ts';
import { createApp } from './app.ts';
import {
  type FaceMatcher,
  faceMatchRequired,
  NOT_A_BIOMETRIC_MATCHER,
  runFaceMatch,
  SBV_2345_TRANSFER_THRESHOLD_VND,
} from './face-match.ts';
import { decide, type StepUpDecision, stepUp, withFaceMatch } from './stepup.ts';

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

/** What the face-match vendor does in the next call (the stand-in's decision, a failure, a hang). */
let vendor: 'stand-in' | 'error' | 'hang' = 'stand-in';
let vendorCalls = 0;
const matcher: FaceMatcher = {
  async compare(input) {
    vendorCalls++;
    if (vendor === 'error') throw new Error('vendor: 503');
    if (vendor === 'hang') return new Promise(() => {});
    return NOT_A_BIOMETRIC_MATCHER.compare(input);
  },
};

/** The face on a sandbox card (its DG2 JPEG: the portrait chipid delivers for a JPEG face). */
const faceOf = async (card: { profile: ProfileName; seed: string; citizen?: CitizenCard }) =>
  Buffer.from(parseDG2(bytes((await makeCard(card)).dump.dg2))[0]!.image).toString('base64');

/** The mobile app's side: challenge, read the card (a sandbox chip answers), complete. */
async function runStepUp(
  userId: string,
  card: { profile: ProfileName; seed: string; citizen?: CitizenCard },
  trigger = 'large_transfer',
  extra: { amountVnd?: number; dailyTotalVnd?: number; selfie?: string } = {},
) {
  const { selfie, ...amounts } = extra;
  const ch = await post(stepup, '/stepup/challenge', { userId, trigger, ...amounts });
  expect(ch.status).toBe(201);
  const { dump } = await makeCard({ ...card, challenge: bytes(ch.json.challenge) });
  const done = await post(stepup, '/stepup/complete', {
    userId,
    challengeId: ch.json.challengeId,
    chip: dump,
    ...(selfie ? { selfie } : {}),
  });
  return { ...done, faceMatchRequired: ch.json.faceMatchRequired };
}

beforeAll(async () => {
  // Registered for the portrait too (Decision 2345 step-ups): onboarding and step-up share the client,
  // since the pairwise sub is per client.
  ({ client } = await svc.newClient([
    'name',
    'given_name',
    'family_name',
    'birthdate',
    'age_over_18',
    'portrait',
  ]));
  stepup = createApp({
    client,
    lookup: async (userId) => (await store.get(userId))?.sub,
    onDecision: (_u, _t, d) => decisions.push(d),
    matcher,
    faceMatchTimeoutMs: 300,
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
  it('same card on a new device, the selfie matching the chip face → allowed', async () => {
    const selfie = await faceOf({ profile: 'valid', seed: 'alice-card' });
    const r = await runStepUp('alice', { profile: 'valid', seed: 'alice-card' }, 'new_device', { selfie });
    expect(r.faceMatchRequired).toBe(true);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ outcome: 'allowed', reasons: [], faceMatch: 'match' });
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

describe('SBV Decision 2345 face match (stand-in matcher: byte equality, not biometrics)', () => {
  const alice = { profile: 'valid' as const, seed: 'alice-card' };
  const big = { amountVnd: 15_000_000 };

  it('a transfer at or under 10 million VND, day under 20 million: no face needed', async () => {
    vendorCalls = 0;
    const r = await runStepUp('alice', alice, 'large_transfer', {
      amountVnd: SBV_2345_TRANSFER_THRESHOLD_VND,
    });
    expect(r.faceMatchRequired).toBe(false);
    expect(r.json).toMatchObject({ outcome: 'allowed', faceMatch: 'not_required' });
    expect(vendorCalls).toBe(0);
  });

  it('above 10 million VND: the chip portrait and the selfie match → allowed', async () => {
    vendor = 'stand-in';
    const r = await runStepUp('alice', alice, 'large_transfer', { ...big, selfie: await faceOf(alice) });
    expect(r.faceMatchRequired).toBe(true);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ outcome: 'allowed', reasons: [], faceMatch: 'match' });
    expect(r.json.faceMatchReference).toContain('not biometrics');
  });

  it("a day's total above 20 million VND: another face in the selfie → face_mismatch", async () => {
    const other = await faceOf({ profile: 'valid-brainpool', seed: 'x' });
    const r = await runStepUp('alice', alice, 'large_transfer', {
      amountVnd: 6_000_000,
      dailyTotalVnd: 15_000_000,
      selfie: other,
    });
    expect(r.faceMatchRequired).toBe(true);
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ outcome: 'face_mismatch', faceMatch: 'no_match' });
  });

  it('the vendor fails → face_match_unavailable (blocked, never passed)', async () => {
    vendor = 'error';
    try {
      const r = await runStepUp('alice', alice, 'large_transfer', { ...big, selfie: await faceOf(alice) });
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ outcome: 'face_match_unavailable', faceMatch: 'vendor_error' });
      expect(typeof r.json.txn).toBe('string');
    } finally {
      vendor = 'stand-in';
    }
  });

  it('the vendor hangs past the deadline → face_match_unavailable', async () => {
    vendor = 'hang';
    try {
      const r = await runStepUp('alice', alice, 'new_device', { selfie: await faceOf(alice) });
      expect(r.json).toMatchObject({ outcome: 'face_match_unavailable', faceMatch: 'vendor_error' });
    } finally {
      vendor = 'stand-in';
    }
  });

  it('no selfie when one is required → rejected before chipid is asked', async () => {
    const r = await runStepUp('alice', alice, 'large_transfer', big);
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ outcome: 'rejected', reasons: ['selfie_required'] });
  });

  it("the chip check comes first: another person's card with its own face in the selfie → different_card", async () => {
    vendorCalls = 0;
    const mallory = { profile: 'valid-brainpool' as const, seed: 'mallory' };
    const r = await runStepUp('alice', mallory, 'new_device', { selfie: await faceOf(mallory) });
    expect(r.json).toMatchObject({ outcome: 'different_card' });
    expect(vendorCalls).toBe(0);
  });

  it('refuses a malformed selfie or amount', async () => {
    expect(
      (await post(stepup, '/stepup/challenge', { userId: 'alice', trigger: 'large_transfer', amountVnd: -1 }))
        .status,
    ).toBe(400);
    const ch = await post(stepup, '/stepup/challenge', { userId: 'alice', trigger: 'new_device' });
    const r = await post(stepup, '/stepup/complete', {
      userId: 'alice',
      challengeId: ch.json.challengeId,
      chip: {},
      selfie: 'not base64!',
    });
    expect(r).toEqual({ status: 400, json: { error: 'bad_request' } });
  });

  it('decision rules: when a face is needed, and how the two checks combine', async () => {
    expect(faceMatchRequired({ trigger: 'new_device' })).toBe(true);
    expect(faceMatchRequired({ trigger: 'large_transfer', amountVnd: 10_000_000 })).toBe(false);
    expect(faceMatchRequired({ trigger: 'large_transfer', amountVnd: 10_000_001 })).toBe(true);
    expect(
      faceMatchRequired({ trigger: 'large_transfer', amountVnd: 5_000_000, dailyTotalVnd: 15_000_000 }),
    ).toBe(false);
    expect(
      faceMatchRequired({ trigger: 'large_transfer', amountVnd: 5_000_001, dailyTotalVnd: 15_000_000 }),
    ).toBe(true);
    expect(withFaceMatch('allowed', 'match')).toBe('allowed');
    expect(withFaceMatch('allowed', 'no_match')).toBe('face_mismatch');
    expect(withFaceMatch('allowed', 'vendor_error')).toBe('face_match_unavailable');
    expect(withFaceMatch('allowed', undefined)).toBe('face_match_unavailable');
    expect(withFaceMatch('clone_suspected', 'match')).toBe('clone_suspected');
    expect(withFaceMatch('different_card', 'match')).toBe('different_card');
    const img = { mediaType: 'image/jpeg', bytes: Uint8Array.of(1, 2, 3) };
    const malformed = { compare: async () => ({ score: 0.9 }) as never };
    expect((await runFaceMatch(malformed, img, img)).outcome).toBe('vendor_error');
    expect((await runFaceMatch(NOT_A_BIOMETRIC_MATCHER, img, img)).outcome).toBe('match');
    expect(
      (await runFaceMatch(NOT_A_BIOMETRIC_MATCHER, img, { ...img, bytes: Uint8Array.of(1, 2) })).outcome,
    ).toBe('no_match');
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
