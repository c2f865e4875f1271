/**
 * eKYC onboarding backend — the service a bank's mobile app calls during sign-up.
 *
 *   POST /onboarding/challenge  { userId }                      → { challengeId, challenge, expiresAt }
 *   POST /onboarding/complete   { userId, challengeId, chip }   → { status: 'verified', txn, … }
 *
 * The app reads the CCCD over NFC (BAC/PACE with the MRZ, then EF.COM, SOD, DG1, DG2, DG13–15) and has
 * the chip sign the challenge (Active Authentication, ICAO Doc 9303 Part 11 §6.1); it sends the
 * `chipid.dump/1` here. This backend — which holds the bank's chipid key, the app never does — submits
 * it through `@chipid/sdk`, checks the signed assertion, and keeps only the pairwise `sub` and `txn`.
 */
import {
  type ChipDumpJSON,
  type ChipIdClient,
  type ErrorCode,
  isChipIdError,
  type VerificationResult,
} from '@chipid/sdk';
import { type Context, Hono } from 'hono';
import type { SubjectStore } from './store.ts';

/** What {@link createApp} needs. */
export interface OnboardingDeps {
  /** A chipid client for the bank's client id and key (`createClient`). */
  client: ChipIdClient;
  /** Where `sub` + `txn` go. */
  store: SubjectStore;
  /** Claims asked for (default: name, birthdate, age_over_18 — shown to the user, never stored). */
  scope?: readonly string[];
  /** Kept in chipid's audit log (default `eKYC onboarding`). */
  purpose?: string;
}

/** Answer of `POST /onboarding/complete`. */
export type CompleteAnswer =
  | { status: 'verified'; txn: string; name?: string; ageOver18?: boolean }
  | { status: Exclude<VerificationResult, 'verified'>; txn: string; reasons: string[] }
  | { status: 'duplicate'; txn: string }
  | { error: string; code?: ErrorCode };

const USER_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** What each body member must be, said back when it is missing or malformed. */
const MEMBER_RULES: Record<string, string> = {
  userId: 'userId: a string of 1–128 letters, digits, _ or -',
  challengeId: 'challengeId: the id /onboarding/challenge answered',
  chip: 'chip: the chipid.dump/1 object the app read',
};

/** 400 naming what the body lacks (never echoing what it holds). */
function badRequest(c: Context, body: Record<string, unknown> | undefined, members: string[]) {
  const wrong = members.filter((m) => {
    const v = body?.[m];
    if (m === 'chip') return typeof v !== 'object' || v === null;
    return typeof v !== 'string' || (m === 'userId' && !USER_ID.test(v));
  });
  const detail =
    body === undefined ? 'the body must be a JSON object' : wrong.map((m) => MEMBER_RULES[m]).join('; ');
  return c.json({ error: 'bad_request', detail }, 400);
}
const toBase64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

interface Pending {
  userId: string;
  challenge: Uint8Array;
  expiresAt: number;
}

/** SDK error codes that mean "the app sent a bad read": ask the user to scan again. */
const BAD_INPUT = new Set<string>([
  'ERR_DUMP_INVALID',
  'ERR_REQUEST_INVALID',
  'ERR_VALIDATION',
  'ERR_MALFORMED_JSON',
  'ERR_PAYLOAD_TOO_LARGE',
]);
/** Codes where trying again later can work. */
const TRANSIENT = new Set<string>([
  'ERR_NETWORK',
  'ERR_STORE_UNAVAILABLE',
  'ERR_RATE_LIMITED',
  'ERR_INTERNAL',
]);

/** Maps an SDK/service failure to the answer for the app (codes only; messages stay in our logs). */
export function failure(e: unknown): {
  status: 400 | 502 | 503 | 500;
  body: { error: string; code?: ErrorCode };
} {
  if (!isChipIdError(e)) return { status: 500, body: { error: 'internal' } };
  if (BAD_INPUT.has(e.code)) return { status: 400, body: { error: 'bad_chip_read', code: e.code } };
  if (TRANSIENT.has(e.code))
    return { status: 503, body: { error: 'verification_unavailable', code: e.code } };
  return { status: 502, body: { error: 'verification_failed', code: e.code } };
}

/**
 * Builds the onboarding service (a Hono app: `app.fetch` for any runtime, `app.request` in tests).
 *
 * @example
 * const app = createApp({ client: createClient(loadConfig()), store: memoryStore() });
 * serve({ fetch: app.fetch, port: 3000 });
 */
export function createApp(deps: OnboardingDeps): Hono {
  const scope = deps.scope ?? ['name', 'birthdate', 'age_over_18'];
  const purpose = deps.purpose ?? 'eKYC onboarding';
  const pending = new Map<string, Pending>();
  const app = new Hono();

  const readJson = async (req: Request): Promise<Record<string, unknown> | undefined> => {
    try {
      const v = (await req.json()) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v)
        ? (v as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  };

  app.post('/onboarding/challenge', async (c) => {
    const body = await readJson(c.req.raw);
    const userId = body?.userId;
    if (typeof userId !== 'string' || !USER_ID.test(userId)) return badRequest(c, body, ['userId']);
    if (await deps.store.get(userId)) return c.json({ error: 'already_onboarded' }, 409);
    const now = Date.now();
    for (const [id, p] of pending) if (p.expiresAt < now) pending.delete(id);
    try {
      const ch = await deps.client.challenge();
      pending.set(ch.id, { userId, challenge: ch.challenge, expiresAt: ch.expiresAt.getTime() });
      // The app passes `challenge` to the chip (INTERNAL AUTHENTICATE) and sends back the answer.
      return c.json(
        { challengeId: ch.id, challenge: toBase64(ch.challenge), expiresAt: ch.expiresAt.toISOString() },
        201,
      );
    } catch (e) {
      const f = failure(e);
      return c.json(f.body, f.status);
    }
  });

  app.post('/onboarding/complete', async (c) => {
    const body = await readJson(c.req.raw);
    const { userId, challengeId, chip } = body ?? {};
    if (
      typeof userId !== 'string' ||
      typeof challengeId !== 'string' ||
      typeof chip !== 'object' ||
      chip === null
    )
      return badRequest(c, body, ['userId', 'challengeId', 'chip']);
    // Our own challenge, for this user, still fresh — and used once.
    const p = pending.get(challengeId);
    pending.delete(challengeId);
    if (!p || p.userId !== userId || p.expiresAt < Date.now())
      return c.json({ error: 'challenge_unknown' }, 409);

    try {
      const outcome = await deps.client.verify(chip as ChipDumpJSON, {
        scope,
        purpose,
        // The SDK first checks the chip signed OUR challenge. A card without Active Authentication
        // (no DG15) has no answer: the service then answers `inconclusive` / `aa_not_supported`.
        challenge: { id: challengeId, challenge: p.challenge },
      });
      // The JSON answer is just transport: the signed assertion is the proof. `verify` already checked
      // it; checking again here keeps this code right even if someone turns that off.
      const claims = await deps.client.verifyAssertion(outcome.assertion);
      if (claims.result !== 'verified') {
        const answer: CompleteAnswer = { status: claims.result, txn: claims.txn, reasons: claims.reasons };
        return c.json(answer, 422);
      }
      if (!claims.sub) return c.json({ error: 'verification_failed' }, 502);
      const existing = await deps.store.findBySub(claims.sub);
      if (existing !== undefined && existing !== userId) {
        // The same person already has an account here (pairwise sub: stable per bank).
        return c.json({ status: 'duplicate', txn: claims.txn } satisfies CompleteAnswer, 409);
      }
      await deps.store.put(userId, {
        sub: claims.sub,
        txn: claims.txn,
        onboardedAt: new Date().toISOString(),
      });
      const shown = claims.verified_claims?.claims;
      const answer: CompleteAnswer = {
        status: 'verified',
        txn: claims.txn,
        ...(typeof shown?.name === 'string' ? { name: shown.name } : {}),
        ...(typeof shown?.age_over_18 === 'boolean' ? { ageOver18: shown.age_over_18 } : {}),
      };
      return c.json(answer, 201);
    } catch (e) {
      const f = failure(e);
      return c.json(f.body, f.status);
    }
  });

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  return app;
}
