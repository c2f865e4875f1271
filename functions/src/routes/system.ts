/** Public endpoints: `/healthz`, `/.well-known/jwks.json` (RFC 7517 JWK Set of the assertion keys). */
import { createRoute, z } from '@hono/zod-openapi';
import { JwksSchema } from '../schemas.ts';
import { publicJwks } from '../signing.ts';
import { newApp } from '../validation.ts';

export const systemRoutes = newApp()
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
      path: '/.well-known/jwks.json',
      summary: 'Public keys that sign identity assertions (current, next, previous)',
      responses: { 200: { description: 'JWK Set', content: { 'application/json': { schema: JwksSchema } } } },
    }),
    (c) => {
      c.header('Cache-Control', 'public, max-age=300');
      return c.json(publicJwks(c.env) as { keys: Record<string, unknown>[] }, 200);
    },
  );
