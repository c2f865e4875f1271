/**
 * Wire schemas (zod, via @hono/zod-openapi so `/openapi.json` is generated from the same schemas that
 * validate) — SERVICE-CONTRACT.md.
 */

import { CLAIM_NAMES } from '@chipid/sdk';
import { z } from '@hono/zod-openapi';
import { CLIENT_ID_PATTERN } from './env.ts';
import { PROBLEMS } from './problems.ts';

export const ProblemSchema = z
  .object({
    type: z.string().url(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(PROBLEMS) as [keyof typeof PROBLEMS, ...(keyof typeof PROBLEMS)[]]),
    instance: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  })
  .openapi('Problem');

/** Standard problem responses for a route (RFC 9457). */
export function problemResponses(...statuses: number[]) {
  const out: Record<
    number,
    { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }
  > = {};
  for (const s of statuses) {
    out[s] = {
      description: 'Problem (RFC 9457)',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  }
  return out;
}

export const ChallengeSchema = z
  .object({
    id: z.string().openapi({ example: 'chl_3q2kXb0mYw8rU1dD9f4TQA' }),
    challenge: z
      .string()
      .openapi({ description: '8 random bytes, standard base64', example: 'q83vEjRWeJA=' }),
    expiresAt: z.string().openapi({ description: 'ISO-8601', example: '2026-11-23T10:00:00.000Z' }),
  })
  .openapi('Challenge');

export const ResultSchema = z.enum(['verified', 'rejected', 'inconclusive']);

export const CheckSchema = z
  .object({
    name: z.string(),
    ok: z.boolean(),
    reasons: z.array(z.string()).optional(),
    detail: z.string().optional(),
  })
  .openapi('Check');

export const VerificationResponseSchema = z
  .object({
    id: z.string(),
    result: ResultSchema,
    reasons: z.array(z.string()),
    assertion: z.string().openapi({ description: 'JWT (ES256, typ chipid-assertion+jwt)' }),
    withheld: z
      .record(z.string(), z.enum(['not_registered', 'not_verified', 'not_on_chip']))
      .optional()
      .openapi({
        description:
          "Requested claims the assertion does not carry, each with why: the client is not registered for it (`not_registered`), the result is not `verified` (`not_verified`), or the chip does not hold it (`not_on_chip`). The same object is the assertion's `withheld_claims`. Absent when nothing was withheld.",
        example: { birthdate: 'not_registered', id_number: 'not_registered' },
      }),
    portrait: z
      .object({
        media_type: z.literal('image/jpeg'),
        data: z.string().openapi({ description: 'the JPEG, standard base64' }),
      })
      .optional()
      .openapi({
        description:
          "Scope `portrait`, `verified` chips only: the chip's DG2 face as JPEG (JPEG 2000 converted). Its SHA-256 is the assertion's `verified_claims.verification.evidence[0].attachments[0].digest` (desc `portrait`); check it before use. Never stored by the service.",
      }),
  })
  .openapi('VerificationResponse');

export const VerificationRecordSchema = z
  .object({
    id: z.string(),
    result: ResultSchema,
    reasons: z.array(z.string()),
    createdAt: z.string(),
    checks: z.array(CheckSchema),
  })
  .openapi('Verification');

export const JwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi('JWKS');

const JwkSchema = z
  .object({
    kty: z.enum(['EC', 'OKP']),
    crv: z.enum(['P-256', 'Ed25519']),
    x: z.string().min(1).max(200),
    y: z.string().min(1).max(200).optional(),
    kid: z.string().min(1).max(128),
    alg: z.enum(['ES256', 'EdDSA']).optional(),
    use: z.literal('sig').optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .strict()
  .superRefine((k, ctx) => {
    // Coordinates must be the curve's size (RFC 7518 §6.2.1.2, RFC 8037 §2): a P-384 point labelled
    // P-256 could never verify anything, so it is refused at registration, not at first use.
    const coord = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, base64url without padding
    const bad = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (k.crv === 'P-256') {
      if (k.kty !== 'EC') bad('kty', 'P-256 keys have kty EC');
      if (!coord.test(k.x)) bad('x', 'must be a 32-byte base64url coordinate');
      if (k.y === undefined || !coord.test(k.y)) bad('y', 'must be a 32-byte base64url coordinate');
      if (k.alg !== undefined && k.alg !== 'ES256') bad('alg', 'P-256 keys sign ES256');
    } else {
      if (k.kty !== 'OKP') bad('kty', 'Ed25519 keys have kty OKP');
      if (!coord.test(k.x)) bad('x', 'must be a 32-byte base64url public key');
      if (k.y !== undefined) bad('y', 'Ed25519 keys have no y');
      if (k.alg !== undefined && k.alg !== 'EdDSA') bad('alg', 'Ed25519 keys sign EdDSA');
    }
  });

export const ClientIdSchema = z
  .string()
  .regex(CLIENT_ID_PATTERN, 'must be sandbox_… or live_… (letters, digits, _ and -)');

export const ClaimNameSchema = z.enum(CLAIM_NAMES);
export type ClaimName = z.infer<typeof ClaimNameSchema>;

/**
 * A client's own quota (requests per minute, RP endpoints together); without it the service default
 * (`RATE_LIMIT_PER_MINUTE`). Its size decides how many copies the client item is kept in
 * (docs/capacity.md).
 */
const RateLimitSchema = z.number().int().min(1).max(10_000_000).openapi({
  description:
    "the client's quota in requests per minute (all RP endpoints together); default: the service's RATE_LIMIT_PER_MINUTE",
});

export const ClientCreateSchema = z
  .object({
    clientId: ClientIdSchema,
    name: z.string().min(1).max(200),
    scope: z.array(ClaimNameSchema).max(20),
    jwks: z.object({ keys: z.array(JwkSchema).min(1).max(10) }),
    rateLimitPerMinute: RateLimitSchema.optional(),
  })
  .strict()
  .openapi('ClientCreate');

export const ClientPatchSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    status: z.enum(['active', 'disabled']).optional(),
    scope: z.array(ClaimNameSchema).max(20).optional(),
    jwks: z.object({ keys: z.array(JwkSchema).min(1).max(10) }).optional(),
    rateLimitPerMinute: RateLimitSchema.optional(),
  })
  .strict()
  .openapi('ClientPatch');

export const ClientViewSchema = z
  .object({
    clientId: z.string(),
    name: z.string(),
    status: z.enum(['active', 'disabled']),
    scope: z.array(z.string()),
    keys: z.array(z.object({ kid: z.string(), status: z.enum(['active', 'disabled']) })),
    createdAt: z.string(),
    updatedAt: z.string(),
    rateLimitPerMinute: z.number().int().optional(),
  })
  .openapi('Client');

export const EnvParamSchema = z.enum(['sandbox', 'live']);
