/**
 * Step-up backend of a payment app (Hono):
 *
 *   POST /stepup/challenge  { userId, trigger, amountVnd?, dailyTotalVnd? }
 *                           → { challengeId, challenge, expiresAt, faceMatchRequired }
 *                             (404 { error: 'not_onboarded' })
 *   POST /stepup/complete   { userId, challengeId, chip, selfie? }   → { outcome, txn, reasons, faceMatch }
 *
 * `outcome` is `allowed` (go on with the login / transfer), `different_card`, `clone_suspected`,
 * `rejected`, `face_mismatch` or `face_match_unavailable` (block, and for all but the last alert the
 * fraud team). `faceMatchRequired` (SBV Decision 2345: new device, transfer above 10 million VND, day
 * above 20 million) tells the app to send a `selfie` (JPEG, base64) with the chip read. See
 * `stepup.ts` for the rule and `face-match.ts` for the vendor contract.
 */
import type { ChipDumpJSON, ChipIdClient } from '@chipid/sdk';
import { isChipIdError } from '@chipid/sdk';
import { Hono } from 'hono';
import { type FaceMatcher, faceMatchRequired, type StepUpContext } from './face-match.ts';
import { type StepUpDecision, type StepUpTrigger, type SubjectLookup, stepUp } from './stepup.ts';

/** What {@link createApp} needs. */
export interface StepUpDeps {
  client: ChipIdClient;
  /** The `sub` stored for a user at onboarding (see examples/ekyc-onboarding). */
  lookup: SubjectLookup;
  /** Called for every decision (e.g. to alert fraud on anything but `allowed`). */
  onDecision?: (userId: string, trigger: StepUpTrigger, d: StepUpDecision) => void;
  /** The face-match vendor's adapter (Decision 2345 step-ups); without one those step-ups are refused. */
  matcher?: FaceMatcher;
  /** Deadline of one face match (ms, default 10 000). */
  faceMatchTimeoutMs?: number;
}

/** Largest selfie accepted (bytes, decoded). */
const MAX_SELFIE_BYTES = 2_000_000;

const TRIGGERS = new Set<StepUpTrigger>(['new_device', 'large_transfer']);

/**
 * Builds the step-up service.
 *
 * @example
 * const app = createApp({ client, lookup: async (u) => (await store.get(u))?.sub });
 */
export function createApp(deps: StepUpDeps): Hono {
  const pending = new Map<
    string,
    { userId: string; context: StepUpContext; challenge: Uint8Array; expiresAt: number }
  >();
  const app = new Hono();
  const body = async (req: Request): Promise<Record<string, unknown>> => {
    try {
      const v = (await req.json()) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };

  app.post('/stepup/challenge', async (c) => {
    const { userId, trigger, amountVnd, dailyTotalVnd } = await body(c.req.raw);
    const amount = (v: unknown) => v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0);
    if (
      typeof userId !== 'string' ||
      !TRIGGERS.has(trigger as StepUpTrigger) ||
      !amount(amountVnd) ||
      !amount(dailyTotalVnd)
    )
      return c.json({ error: 'bad_request' }, 400);
    const context: StepUpContext = {
      trigger: trigger as StepUpTrigger,
      ...(amountVnd !== undefined ? { amountVnd: amountVnd as number } : {}),
      ...(dailyTotalVnd !== undefined ? { dailyTotalVnd: dailyTotalVnd as number } : {}),
    };
    const now = Date.now();
    for (const [id, p] of pending) if (p.expiresAt < now) pending.delete(id);
    try {
      // Nothing to compare a card with: refuse before spending a challenge (and a chip read) on it.
      if ((await deps.lookup(userId)) === undefined) return c.json({ error: 'not_onboarded' }, 404);
      const ch = await deps.client.challenge();
      pending.set(ch.id, { userId, context, challenge: ch.challenge, expiresAt: ch.expiresAt.getTime() });
      return c.json(
        {
          challengeId: ch.id,
          challenge: Buffer.from(ch.challenge).toString('base64'),
          expiresAt: ch.expiresAt.toISOString(),
          faceMatchRequired: faceMatchRequired(context),
        },
        201,
      );
    } catch (e) {
      return c.json(
        { error: 'verification_unavailable', ...(isChipIdError(e) ? { code: e.code } : {}) },
        503,
      );
    }
  });

  app.post('/stepup/complete', async (c) => {
    const { userId, challengeId, chip, selfie } = await body(c.req.raw);
    if (
      typeof userId !== 'string' ||
      typeof challengeId !== 'string' ||
      typeof chip !== 'object' ||
      chip === null ||
      (selfie !== undefined && (typeof selfie !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(selfie)))
    )
      return c.json({ error: 'bad_request' }, 400);
    const selfieBytes =
      typeof selfie === 'string' ? new Uint8Array(Buffer.from(selfie, 'base64')) : undefined;
    if (selfieBytes && (selfieBytes.length === 0 || selfieBytes.length > MAX_SELFIE_BYTES))
      return c.json({ error: 'bad_request' }, 400);
    const p = pending.get(challengeId);
    pending.delete(challengeId);
    if (!p || p.userId !== userId || p.expiresAt < Date.now())
      return c.json({ error: 'challenge_unknown' }, 409);
    let d: StepUpDecision;
    try {
      d = await stepUp(
        deps,
        userId,
        chip as ChipDumpJSON,
        { id: challengeId, challenge: p.challenge },
        p.context,
        selfieBytes ? { mediaType: 'image/jpeg', bytes: selfieBytes } : undefined,
      );
    } catch (e) {
      if (isChipIdError(e) && (e.code === 'ERR_DUMP_INVALID' || e.code === 'ERR_REQUEST_INVALID'))
        return c.json({ error: 'bad_chip_read', code: e.code }, 400);
      return c.json(
        { error: 'verification_unavailable', ...(isChipIdError(e) ? { code: e.code } : {}) },
        503,
      );
    }
    deps.onDecision?.(userId, p.context.trigger, d);
    return c.json(d, d.outcome === 'allowed' ? 200 : 403);
  });

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  return app;
}
