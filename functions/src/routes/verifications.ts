/**
 * `POST /v1/verifications` (checks 1–5, answer released only after the audit write) and
 * `GET /v1/verifications/{id}` (the stored outcome, for the calling client only).
 */

import { type ChipDumpJSON, chipDumpStructureSchema, DUMP_PARTS, MAX_PART_BYTES } from '@chipid/sdk';
import { createRoute, z } from '@hono/zod-openapi';
import { idempotency, idempotencyItem, replayAfterRace } from '../middleware/idempotency.ts';
import { rateLimit } from '../middleware/rate-limit.ts';
import { bearerAuth, CLOCK_SKEW_SECONDS, replayed, requestAuth } from '../middleware/rp-auth.ts';
import { ApiError } from '../problems.ts';
import { problemResponses, VerificationRecordSchema, VerificationResponseSchema } from '../schemas.ts';
import { jtiPut } from '../store/requests.ts';
import { commitVerification, getVerification } from '../store/verifications.ts';
import { newApp } from '../validation.ts';
import { MAX_REQUEST_LENGTH, NON_EMPTY } from '../verify/parts.ts';
import { prepareVerification } from '../verify/pipeline.ts';
import { portraitBody, portraitOnReplay } from '../verify/portrait-replay.ts';

const VerificationRequestSchema = z
  .object({
    request: z
      .string()
      .min(1)
      .max(MAX_REQUEST_LENGTH)
      .openapi({ description: 'compact JWS, typ chipid-request+jwt' }),
    // Members' base64 is checked while they are decoded (prepareVerification): one pass, same answer.
    chip: chipDumpStructureSchema,
  })
  .strict()
  .openapi('VerificationRequest');

/** The binary body, documented (checked by `requestAuth`: `readPartsBody`, not by a zod validator). */
const VerificationPartsSchema = {
  type: 'object' as const,
  description:
    'The same request with the dump as raw bytes, one file part per member; `chip_digest` then covers the parts (chipPartsDigest). Unknown or repeated parts are refused.',
  required: ['request', 'sod', 'dg1'],
  properties: {
    request: {
      type: 'string' as const,
      maxLength: MAX_REQUEST_LENGTH,
      description: 'compact JWS, typ chipid-request+jwt, signed for transport multipart',
    },
    ...Object.fromEntries(
      DUMP_PARTS.map((n) => [
        n,
        {
          type: 'string' as const,
          format: 'binary',
          ...(NON_EMPTY.has(n) ? { minLength: 1 } : {}),
          maxLength: MAX_PART_BYTES[n],
          description: n.startsWith('aa.')
            ? `Active Authentication: ${n.slice(3)} (with its partner part)`
            : `the elementary file ${n.toUpperCase()} as read, outer tag included`,
        },
      ]),
    ),
  },
};

/** How each part travels: the request as text, the members as raw bytes (file parts). */
const PARTS_ENCODING = {
  request: { contentType: 'text/plain' },
  ...Object.fromEntries(DUMP_PARTS.map((n) => [n, { contentType: 'application/octet-stream' }])),
};

export const verificationRoutes = newApp()
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/verifications',
      summary: 'Verify a chip read (passive + active authentication, registry) and get a signed assertion',
      // The rate limit is decided with the client (`authDecided`), while the handler reads ahead.
      middleware: [requestAuth, portraitOnReplay, idempotency] as const,
      request: {
        // For the validators' sake (the published document says otherwise, app.ts): not `required` — a
        // JSON validator on a required body would hold a multipart body to the JSON schema —, and
        // `multipart/*` — the media-type gate admits `multipart/form-data` with a bare `boundary` only,
        // while clients may add parameters (`charset`). Both kinds are required in fact (`requestAuth`
        // refuses a body without the signed request, and a multipart body other than form-data).
        body: {
          content: {
            'application/json': { schema: VerificationRequestSchema },
            'multipart/*': { schema: VerificationPartsSchema, encoding: PARTS_ENCODING },
          },
          required: false,
        },
      },
      responses: {
        200: {
          description: 'Outcome with signed assertion',
          content: { 'application/json': { schema: VerificationResponseSchema } },
        },
        ...problemResponses(400, 401, 403, 409, 413, 429, 503),
      },
    }),
    async (c) => {
      const parts = c.get('chipParts');
      // A JSON body passed VerificationRequestSchema (the typing knows no validated body: `required: false`).
      const json = parts ? undefined : (c.req.valid('json' as never) as { chip?: ChipDumpJSON } | undefined);
      if (!parts && !json?.chip)
        throw new ApiError(
          'ERR_UNSUPPORTED_MEDIA_TYPE',
          'the body is application/json (or multipart/form-data, the binary body)',
        );
      const body = parts ? { parts } : { chip: json?.chip as ChipDumpJSON };
      const decided = c.get('authDecided');
      if (!decided) throw new Error('POST /v1/verifications: requestAuth did not run');
      const decidedAuth = decided.then((d) => d.auth);
      decidedAuth.catch(() => {}); // a refusal is answered below, also when preparing threw first
      let prepared: Awaited<ReturnType<typeof prepareVerification>>;
      try {
        prepared = await prepareVerification(c.env, c.get('auth'), body, new Date(), decidedAuth);
      } catch (err) {
        await decided; // the client's refusal (401 / 403 / 429) answers first, as if decided up front
        throw err;
      }
      const { auth, headers } = await decided;
      c.set('auth', auth);
      for (const [k, v] of Object.entries(headers)) c.header(k, v);
      // The answer carries the claims the scope allowed: kept only while a retry could still present it
      // (the body holds the request token, refused once expired), not the default 24 h.
      const idem = await idempotencyItem(c, 200, prepared.response, auth.exp + CLOCK_SKEW_SECONDS);
      const extra = [
        jtiPut(auth.store, auth.clientId, auth.jti, auth.exp),
        ...prepared.consume,
        ...(idem ? [idem] : []),
      ];
      const r = await commitVerification(
        auth.store,
        prepared.record,
        prepared.audit,
        extra,
        prepared.readAhead,
        prepared.lanes,
      );
      if (!r.ok) {
        const idemIndex = idem ? extra.length - 1 : -1;
        if (r.conflicts.includes(idemIndex)) return await replayAfterRace(c);
        if (r.conflicts.includes(0)) throw replayed();
        throw new ApiError('ERR_CHALLENGE_INVALID', 'the challenge was used concurrently');
      }
      c.header('Cache-Control', 'no-store');
      // The portrait rides in this answer only: the idempotency record above holds the answer without it.
      const { portrait } = prepared;
      return c.json(
        portrait ? { ...prepared.response, portrait: portraitBody(portrait) } : prepared.response,
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/verifications/{id}',
      summary: 'Read a verification outcome (calling client only; no personal data)',
      security: [{ rpBearer: [] }],
      middleware: [bearerAuth, rateLimit] as const,
      request: {
        params: z.object({ id: z.string().regex(/^ver_[A-Za-z0-9_-]{22}$/, 'must be a verification id') }),
      },
      responses: {
        200: {
          description: 'Outcome',
          content: { 'application/json': { schema: VerificationRecordSchema } },
        },
        ...problemResponses(400, 401, 404, 409, 429, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const auth = c.get('auth');
      const rec = await getVerification(auth.store, id);
      // Another client's verification is indistinguishable from a missing one.
      if (!rec || rec.clientId !== auth.clientId) throw new ApiError('ERR_NOT_FOUND', 'no such verification');
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          id: rec.id,
          result: rec.result,
          reasons: rec.reasons,
          createdAt: rec.createdAt,
          checks: rec.checks,
        },
        200,
      );
    },
  );
