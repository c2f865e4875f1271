/**
 * Per-client rate limits — a fixed one-minute window counted in DynamoDB with an atomic `ADD`
 * (`RATE#<clientId>#<window>`, TTL'd), advertised with the IETF draft headers
 * (draft-ietf-httpapi-ratelimit-headers-10): `RateLimit-Policy: "default";q=<quota>;w=60` and
 * `RateLimit: "default";r=<remaining>;t=<seconds to reset>`; over the quota ⇒ 429
 * `ERR_RATE_LIMITED` with `Retry-After`.
 *
 * Why the store and not isolate memory: a Worker runs as many short-lived isolates in many
 * locations, so in-isolate counters would let a client multiply its quota by the isolate count and
 * reset on every eviction. One conditional-free atomic counter per client per minute is one cheap
 * write and holds across the fleet. The fixed window allows at most 2× the quota across a window
 * edge, which is acceptable for abuse protection (not billing).
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { intBinding } from '../env.ts';
import { ApiError } from '../problems.ts';
import { countRequest } from '../store/requests.ts';

export const RATE_WINDOW_SECONDS = 60;
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.get('auth');
  const quota = intBinding(c.env.RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT_PER_MINUTE);
  const nowS = Math.floor(Date.now() / 1000);
  const window = Math.floor(nowS / RATE_WINDOW_SECONDS);
  const reset = (window + 1) * RATE_WINDOW_SECONDS - nowS;
  const count = await countRequest(auth.store, auth.clientId, window, RATE_WINDOW_SECONDS);
  const headers = {
    'RateLimit-Policy': `"default";q=${quota};w=${RATE_WINDOW_SECONDS}`,
    RateLimit: `"default";r=${Math.max(0, quota - count)};t=${reset}`,
  };
  if (count > quota) {
    throw new ApiError('ERR_RATE_LIMITED', `more than ${quota} requests in ${RATE_WINDOW_SECONDS} s`, {
      headers: { ...headers, 'Retry-After': String(reset) },
    });
  }
  await next();
  for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
});
