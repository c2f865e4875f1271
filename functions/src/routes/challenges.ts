/**
 * `POST /v1/challenges` — a one-time Active Authentication challenge (Doc 9303 Part 11 §6.1: 8 random
 * bytes the chip signs with its DG15 key), bound to the calling client, valid ≤ 120 s, single use.
 */
import { createRoute } from '@hono/zod-openapi';
import { b64, randomId } from '../lib/crypto.ts';
import { idempotency, idempotencyItem, replayAfterRace } from '../middleware/idempotency.ts';
import { rateLimit } from '../middleware/rate-limit.ts';
import { bearerAuth, readJsonBody, replayed } from '../middleware/rp-auth.ts';
import { ApiError } from '../problems.ts';
import { ChallengeSchema, problemResponses } from '../schemas.ts';
import { cancellationReasons, transact } from '../store/db.ts';
import { challengePut, jtiPut } from '../store/requests.ts';
import { newApp } from '../validation.ts';

export const CHALLENGE_TTL_MS = 120_000;

export const challengeRoutes = newApp().openapi(
  createRoute({
    method: 'post',
    path: '/v1/challenges',
    summary: 'Issue a one-time Active Authentication challenge',
    security: [{ rpBearer: [] }],
    middleware: [bearerAuth, rateLimit, idempotency] as const,
    responses: {
      201: { description: 'Challenge', content: { 'application/json': { schema: ChallengeSchema } } },
      ...problemResponses(400, 401, 403, 409, 429, 503),
    },
  }),
  async (c) => {
    const body = await readJsonBody(c);
    if (
      body !== undefined &&
      (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length > 0)
    ) {
      throw new ApiError('ERR_VALIDATION', 'the body must be empty or {}', {
        errors: [{ pointer: '', detail: 'body: expected nothing or an empty object' }],
      });
    }
    const auth = c.get('auth');
    const now = Date.now();
    const id = randomId('chl_');
    const challenge = b64(crypto.getRandomValues(new Uint8Array(8)));
    const expiresAt = now + CHALLENGE_TTL_MS;
    const answer = { id, challenge, expiresAt: new Date(expiresAt).toISOString() };
    const idem = await idempotencyItem(c, 201, answer);
    try {
      await transact(auth.store, [
        challengePut(auth.store, { id, clientId: auth.clientId, challenge, expiresAt, used: false }),
        jtiPut(auth.store, auth.clientId, auth.jti, auth.exp),
        ...(idem ? [idem] : []),
      ]);
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (!reasons) throw e;
      if (reasons[2] === 'ConditionalCheckFailed') return await replayAfterRace(c);
      if (reasons[1] === 'ConditionalCheckFailed') throw replayed();
      throw e;
    }
    c.header('Cache-Control', 'no-store');
    return c.json(answer, 201);
  },
);
