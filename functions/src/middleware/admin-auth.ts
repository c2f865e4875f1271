/**
 * Admin authentication — `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. A separate
 * credential from any RP key; with no ADMIN_TOKEN configured the admin API is closed.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { timingSafeEqualString } from '../lib/crypto.ts';
import { ApiError } from '../problems.ts';

export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '');
  const given = m?.[1];
  if (!expected || expected.length < 16 || !given || !(await timingSafeEqualString(given, expected))) {
    throw new ApiError('ERR_UNAUTHORIZED', 'admin credential required', {
      headers: { 'WWW-Authenticate': 'Bearer realm="chipid-admin"' },
    });
  }
  await next();
});
