/**
 * The chipid verification service — a Hono app (OpenAPI via @hono/zod-openapi) split into route
 * groups with `app.route()`. Every error answer is an RFC 9457 problem rendered in one place.
 */
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { ConfigError } from './env.ts';
import { StoredAnswer } from './middleware/idempotency.ts';
import { logLine, requestContext } from './middleware/request-context.ts';
import { ApiError, renderProblem } from './problems.ts';
import { adminRoutes } from './routes/admin.ts';
import { challengeRoutes } from './routes/challenges.ts';
import { consoleRoutes } from './routes/console.ts';
import { systemRoutes } from './routes/system.ts';
import { verificationRoutes } from './routes/verifications.ts';
import { storeError } from './store/db.ts';
import { newApp } from './validation.ts';

/** Largest accepted body on RP endpoints (a chip dump with a large DG2 face fits comfortably). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Largest registry import body. */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;

const tooLarge = (): never => {
  throw new ApiError('ERR_PAYLOAD_TOO_LARGE', 'the request body is too large');
};
const limitRp = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
const limitImport = bodyLimit({ maxSize: MAX_IMPORT_BYTES, onError: tooLarge });

/** Maps anything thrown on the request path to a problem. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400 && /json/i.test(err.message))
      return new ApiError('ERR_MALFORMED_JSON', 'the request body is not valid JSON');
    if (err.status === 413) return new ApiError('ERR_PAYLOAD_TOO_LARGE', 'the request body is too large');
    if (err.status === 415)
      return new ApiError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        'unsupported Content-Type: this operation takes application/json (its requestBody in /openapi.json); curl -d sends application/x-www-form-urlencoded unless given -H "content-type: application/json"',
      );
    if (err.status === 400) return new ApiError('ERR_REQUEST_INVALID', 'bad request');
    return new ApiError('ERR_INTERNAL', 'internal error', { cause: err });
  }
  if (err instanceof ConfigError)
    return new ApiError('ERR_INTERNAL', 'service misconfigured', { cause: err });
  const name = (err as { name?: string } | null)?.name ?? '';
  // Anything from the AWS SDK that escaped a store module is still a store failure.
  if (
    typeof (err as { $metadata?: unknown } | null)?.$metadata === 'object' ||
    name === 'TransactionCanceledException'
  ) {
    return storeError(err);
  }
  return new ApiError('ERR_INTERNAL', 'internal error', { cause: err });
}

/**
 * Builds the Worker's Hono app.
 *
 * @example
 * export default { fetch: createApp().fetch };
 */
export function createApp() {
  const app = newApp();
  app.use('*', requestContext);
  app.use('*', async (c, next) =>
    c.req.path.startsWith('/admin/v1/registry/') || c.req.path.endsWith('/masterlists')
      ? limitImport(c, next)
      : limitRp(c, next),
  );
  app.use(
    '*',
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c: Context, methods: string[]) =>
        renderProblem(
          c,
          new ApiError('ERR_METHOD_NOT_ALLOWED', 'method not allowed on this resource', {
            headers: { Allow: methods.join(', ') },
          }),
        ),
    }),
  );

  app.route('/', systemRoutes);
  app.route('/', challengeRoutes);
  app.route('/', verificationRoutes);
  app.route('/', adminRoutes);
  app.route('/', consoleRoutes);

  app.openAPIRegistry.registerComponent('securitySchemes', 'rpBearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWS (typ chipid-auth+jwt)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminBearer', { type: 'http', scheme: 'bearer' });
  app.get('/openapi.json', (c) => {
    const doc = app.getOpenAPIDocument({
      openapi: '3.0.3',
      info: { title: 'chipid verification service', version: '1.0.0' },
      servers: [{ url: c.env.SERVICE_URL }],
    });
    // POST /v1/verifications declares its body for the validators' sake (routes/verifications.ts):
    // published as it is — required, and multipart/form-data.
    const verification = doc.paths?.['/v1/verifications']?.post?.requestBody;
    if (verification && 'content' in verification) {
      verification.required = true;
      const { 'multipart/*': parts, ...rest } = verification.content;
      if (parts) verification.content = { ...rest, 'multipart/form-data': parts };
    }
    return c.json(doc);
  });

  app.notFound((c) => renderProblem(c, new ApiError('ERR_NOT_FOUND', 'no such resource')));
  app.onError((err, c) => {
    if (err instanceof StoredAnswer) return err.response;
    const api = toApiError(err);
    if (api.status >= 500) {
      // The cause's name and message only: store and SDK errors carry no personal data; bodies never logged.
      const cause = (err instanceof ApiError ? err.cause : err) as Error | undefined;
      logLine({
        level: 'error',
        msg: 'request failed',
        requestId: c.get('requestId'),
        code: api.code,
        cause: cause ? `${cause.name}: ${String(cause.message).slice(0, 200)}` : undefined,
      });
    }
    return renderProblem(c, api);
  });
  return app;
}
