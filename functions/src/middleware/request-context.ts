/**
 * Request context — a request id on every answer (`X-Request-Id`, also the problem `instance`) and one
 * structured JSON log line per request: id, client, route pattern, status, duration. Route patterns,
 * never paths (admin paths carry document numbers), and never bodies: no personal data in logs.
 */
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppEnv } from '../app-env.ts';
import { randomId } from '../lib/crypto.ts';

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** Writes one log line (JSON). Callers pass only non-personal fields. */
export function logLine(fields: Record<string, string | number | boolean | undefined>): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
}

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  const incoming = c.req.header('X-Request-Id');
  const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomId('req_');
  c.set('requestId', requestId);
  try {
    await next();
  } finally {
    c.res.headers.set('X-Request-Id', requestId);
    let clientId: string | undefined;
    try {
      clientId = c.get('auth')?.clientId;
    } catch {
      clientId = undefined;
    }
    logLine({
      level: c.res.status >= 500 ? 'error' : 'info',
      msg: 'request',
      requestId,
      clientId,
      method: c.req.method,
      route: routePath(c, -1) || 'unmatched',
      status: c.res.status,
      durationMs: Date.now() - started,
    });
  }
});
