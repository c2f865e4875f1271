/**
 * Public endpoints: `/healthz` (liveness: the Worker answers), `/readyz` (readiness: the Worker can
 * reach both environments' tables) and the RFC 7517 JWK Set of each issuer's assertion keys:
 * `/.well-known/jwks.json` (live, issuer SERVICE_URL) and `/sandbox/.well-known/jwks.json` (sandbox,
 * issuer SERVICE_URL/sandbox) — each lists its own environment's keys only.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { SANDBOX_ISSUER_PATH } from '../env.ts';
import { JwksSchema, problemResponses } from '../schemas.ts';
import { publicJwks } from '../signing.ts';
import { getItems, storeError, storeFor } from '../store/db.ts';
import { keys } from '../store/keys.ts';
import { newApp } from '../validation.ts';

/** How long `/readyz` waits for the store before it answers 503 (a probe must answer quickly). */
export const READY_TIMEOUT_MS = 2_000;

/** Reads one small item (the trust-store version) from each environment's table, within `ms`. */
async function storesReachable(env: Parameters<typeof storeFor>[0], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    // The same outage answer every store failure gets (503 + Retry-After).
    timer = setTimeout(() => reject(storeError(new Error(`no answer within ${ms} ms`))), ms);
  });
  try {
    await Promise.race([
      Promise.all((['sandbox', 'live'] as const).map((e) => getItems(storeFor(env, e), [keys.trustMeta()]))),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const systemRoutes = newApp()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'Where to start: the API description, the signing keys, the sandbox console',
      responses: {
        200: {
          description: 'Links',
          content: {
            'application/json': {
              schema: z.object({
                service: z.literal('chipid'),
                openapi: z.string(),
                jwks: z.string(),
                sandboxJwks: z.string(),
                console: z.string(),
                health: z.string(),
                docs: z.string(),
              }),
            },
          },
        },
      },
    }),
    (c) =>
      c.json(
        {
          service: 'chipid' as const,
          openapi: '/openapi.json',
          jwks: '/.well-known/jwks.json',
          sandboxJwks: '/sandbox/.well-known/jwks.json',
          console: '/console',
          health: '/readyz',
          docs: 'docs/README.md in the chipid repository: integration guide, API, errors, sandbox',
        },
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness',
      responses: {
        200: {
          description: 'Up',
          content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
        },
      },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: the store answers',
      description:
        'Reads one small item from the sandbox and the live table (at most 2 s). 503 `ERR_STORE_UNAVAILABLE` with `Retry-After` while the store cannot be reached: take the instance out of rotation, or wait. `/healthz` only says the Worker runs.',
      responses: {
        200: {
          description: 'Ready',
          content: { 'application/json': { schema: z.object({ status: z.literal('ready') }) } },
        },
        ...problemResponses(503),
      },
    }),
    async (c) => {
      await storesReachable(c.env, READY_TIMEOUT_MS);
      c.header('Cache-Control', 'no-store');
      return c.json({ status: 'ready' as const }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/.well-known/jwks.json',
      summary: 'Public keys that sign live identity assertions (current, next, previous)',
      description:
        'The live issuer (`iss` = the service URL). Never lists a sandbox key: sandbox assertions are signed with the keys at `/sandbox/.well-known/jwks.json`.',
      responses: { 200: { description: 'JWK Set', content: { 'application/json': { schema: JwksSchema } } } },
    }),
    (c) => {
      c.header('Cache-Control', 'public, max-age=300');
      return c.json(publicJwks(c.env, 'live') as { keys: Record<string, unknown>[] }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: `${SANDBOX_ISSUER_PATH}/.well-known/jwks.json`,
      summary: 'Public keys that sign sandbox identity assertions (current, next, previous)',
      description:
        'The sandbox issuer (`iss` = the service URL + `/sandbox`): its own keys, none of which the live JWKS lists.',
      responses: { 200: { description: 'JWK Set', content: { 'application/json': { schema: JwksSchema } } } },
    }),
    (c) => {
      c.header('Cache-Control', 'public, max-age=300');
      return c.json(publicJwks(c.env, 'sandbox') as { keys: Record<string, unknown>[] }, 200);
    },
  );
