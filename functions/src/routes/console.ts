/**
 * Sandbox console — `GET /console` (one self-contained HTML page: inline CSS and JS allowed by a
 * per-request CSP nonce, nothing loaded from elsewhere) and the JSON API it calls under
 * `/console/api/`: the sandbox profiles, making a card, and a full verification of a card or an
 * uploaded chip dump against the sandbox trust store and registry (`../console/service.ts`).
 *
 * Off unless `CONSOLE_ENABLED` is `true` (on under `npm start`, off in a deployment unless asked for):
 * off, every console path answers the same 404 problem as an unknown path. Anonymous, so its POSTs are
 * rate-limited per caller (client address), and what it writes expires and is kept apart from RP
 * records (`consoleLedger`). Hidden from `/openapi.json`: a developer tool, not part of the RP API.
 */
import { chipDumpSchema, REASONS } from '@chipid/sdk';
import { listProfiles, PROFILE_NAMES } from '@chipid/sdk/sandbox';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { consolePage } from '../console/page.ts';
import {
  CONSOLE_CLIENT_ID,
  CONSOLE_ENV,
  type ConsoleBindings,
  consoleCard,
  consoleEnabled,
  consoleStore,
  consoleVerify,
  newSeed,
  trustSummary,
} from '../console/service.ts';
import { ConfigError, intBinding } from '../env.ts';
import { b64, b64url, hmacSha256 } from '../lib/crypto.ts';
import { ApiError } from '../problems.ts';
import { problemResponses } from '../schemas.ts';
import { countRequest } from '../store/requests.ts';
import { newApp } from '../validation.ts';

export const DEFAULT_CONSOLE_RATE_LIMIT_PER_MINUTE = 60;

/**
 * Who the caller is, for the console's quota: the client address Cloudflare's edge puts in
 * `CF-Connecting-IP` (set by the edge, not by the caller), IPv6 by its /64 (one subscriber's usual
 * allocation: rotating within it buys nothing). Kept as a keyed hash, never the address itself.
 */
export async function consoleCaller(c: Context<AppEnv>): Promise<string> {
  const ip = (c.req.header('CF-Connecting-IP') ?? '').trim().toLowerCase();
  let who = ip === '' ? 'unknown' : ip;
  if (ip.includes(':')) {
    // Expand `::` just enough to take the first four groups.
    const [head = '', tail] = ip.split('::');
    const groups = head.split(':').filter((g) => g !== '');
    if (tail !== undefined) while (groups.length < 4) groups.push('0');
    who = `${groups
      .slice(0, 4)
      .map((g) => g.replace(/^0+(?=.)/, ''))
      .join(':')}::/64`;
  }
  const secret = c.env.PAIRWISE_SECRET;
  if (!secret) throw new ConfigError('missing configuration PAIRWISE_SECRET');
  return b64url(await hmacSha256(secret, `chipid/console-caller/v1\n${who}`)).slice(0, 22);
}

/** Disabled console ⇒ the very answer an unknown path gets. */
const gate = createMiddleware<AppEnv>(async (c, next) => {
  if (!consoleEnabled(c.env as ConsoleBindings)) throw new ApiError('ERR_NOT_FOUND', 'no such resource');
  await next();
});

/**
 * A quota per caller (it makes cards and writes verifications; no RP key limits it): one busy caller
 * no longer locks everyone else out. Counted in the sandbox table (`RATE#console#<caller>#<window>`).
 */
const consoleRateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const quota = intBinding(
    (c.env as ConsoleBindings).CONSOLE_RATE_LIMIT_PER_MINUTE,
    DEFAULT_CONSOLE_RATE_LIMIT_PER_MINUTE,
  );
  const nowS = Math.floor(Date.now() / 1000);
  const window = Math.floor(nowS / 60);
  const caller = await consoleCaller(c);
  const count = await countRequest(consoleStore(c.env), `console#${caller}`, window, 60);
  if (count > quota) {
    throw new ApiError('ERR_RATE_LIMITED', `more than ${quota} console requests in 60 s from this address`, {
      headers: { 'Retry-After': String((window + 1) * 60 - nowS) },
    });
  }
  await next();
});

const noStore = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  c.res.headers.set('Cache-Control', 'no-store');
  c.res.headers.set('X-Content-Type-Options', 'nosniff');
});

/**
 * The page's Content-Security-Policy: nothing but its own nonce'd inline style and script, images
 * only from `data:` (the DG2 face), fetches only to this origin, no framing, no forms, no plugins,
 * and Trusted Types enforced so no string can ever reach an HTML sink.
 */
export function consoleCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data:',
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

const SeedSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-"');
const ProfileSchema = z.enum(PROFILE_NAMES);

const CardRequestSchema = z.object({ profile: ProfileSchema, seed: SeedSchema.optional() }).strict();

const VerifyRequestSchema = z
  .object({ profile: ProfileSchema.optional(), seed: SeedSchema.optional(), dump: chipDumpSchema.optional() })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.profile === undefined) === (v.dump === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give either profile (and seed) or dump' });
    }
    if (v.dump !== undefined && v.seed !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['seed'], message: 'seed goes with profile only' });
    }
  });

/** Answers are described, not schema'd: the console API is hidden and its shape is the page's. */
const json = (description: string) => ({ description });

export const consoleRoutes = newApp();
consoleRoutes.use('/console', gate);
consoleRoutes.use('/console/*', gate);
consoleRoutes.use('/console/api/*', noStore);

consoleRoutes.get('/console', (c) => {
  const nonce = b64(crypto.getRandomValues(new Uint8Array(16)));
  c.header('Content-Security-Policy', consoleCsp(nonce));
  c.header('Cache-Control', 'no-store');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  c.header('Cross-Origin-Resource-Policy', 'same-origin');
  c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  return c.html(consolePage(nonce));
});

consoleRoutes
  .openapi(
    createRoute({
      method: 'get',
      path: '/console/api/profiles',
      hide: true,
      summary: 'Sandbox profiles with their expected outcomes, reason texts and the trust store state',
      responses: { 200: json('Profiles'), ...problemResponses(404, 503) },
    }),
    async (c) => {
      const trust = await trustSummary(consoleStore(c.env));
      return c.json(
        {
          environment: CONSOLE_ENV,
          clientId: CONSOLE_CLIENT_ID,
          profiles: listProfiles(),
          reasons: REASONS,
          trust,
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/console/api/cards',
      hide: true,
      summary: 'Make a sandbox card for a profile (reproducible with its seed) and describe it',
      middleware: [consoleRateLimit] as const,
      request: { body: { content: { 'application/json': { schema: CardRequestSchema } }, required: true } },
      responses: { 200: json('Card'), ...problemResponses(400, 404, 429, 503) },
    }),
    async (c) => {
      const { profile, seed } = c.req.valid('json');
      return c.json({ ...(await consoleCard(profile, seed ?? newSeed())) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/console/api/verifications',
      hide: true,
      summary: 'Verify a profile card (answering a fresh challenge) or an uploaded dump, in the sandbox',
      middleware: [consoleRateLimit] as const,
      request: {
        body: { content: { 'application/json': { schema: VerifyRequestSchema } }, required: true },
      },
      responses: { 200: json('Verification'), ...problemResponses(400, 404, 409, 413, 429, 503) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const v = body.dump
        ? await consoleVerify(c.env, { dump: body.dump })
        : await consoleVerify(c.env, { profile: body.profile!, seed: body.seed ?? newSeed() });
      return c.json({ ...v }, 200);
    },
  );
