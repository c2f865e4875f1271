/**
 * Per-client rate limits — a fixed one-minute window counted in DynamoDB on the client's own item
 * (`rate_<window>`; counted by RP authentication in the same `UpdateItem` that reads the
 * client, `countClientRequest`), advertised with the IETF draft headers
 * (draft-ietf-httpapi-ratelimit-headers-10): `RateLimit-Policy: "default";q=<quota>;w=60` and
 * `RateLimit: "default";r=<remaining>;t=<seconds to reset>`; over the quota ⇒ 429
 * `ERR_RATE_LIMITED` with `Retry-After`.
 *
 * Why the store and not isolate memory: a Worker runs as many short-lived isolates in many
 * locations, so in-isolate counters would let a client multiply its quota by the isolate count and
 * reset on every eviction. One atomic counter per client is one cheap write that holds across the
 * fleet, and as it answers the client item it is also the read that authentication needs. The fixed
 * window allows at most 2× the quota across a window edge, which is acceptable for abuse protection
 * (not billing).
 *
 * The quota is the client's own (`rateLimitPerMinute`, set by the operator) or the service default. A
 * client with a large quota is counted on several copies of its item (`clients.ts#rateShards`: one item
 * takes at most 1,000 writes per second), each serving its share of the quota (`quotaShare`): never
 * more than the quota in all, and `RateLimit`'s remaining count is that copy's remainder scaled up.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv, RpAuth } from '../app-env.ts';
import { type Bindings, intBinding } from '../env.ts';
import { ApiError } from '../problems.ts';
import { quotaShare } from '../store/clients.ts';

export const RATE_WINDOW_SECONDS = 60;
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

/** The rate window (minute number) of a time in seconds. */
export const rateWindowOf = (nowS: number): number => Math.floor(nowS / RATE_WINDOW_SECONDS);

/**
 * The rate-limit headers of a counted request.
 *
 * @throws ApiError 429 `ERR_RATE_LIMITED` (with the headers and `Retry-After`) over the quota
 */
export function rateLimitHeaders(env: Bindings, auth: RpAuth): Record<string, string> {
  const quota =
    auth.client.rateLimitPerMinute ?? intBinding(env.RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT_PER_MINUTE);
  if (!auth.rate) throw new Error('rateLimit: the request was not counted by RP authentication');
  const { window, count } = auth.rate;
  const shards = auth.client.shards ?? 1;
  const share = quotaShare(quota, shards, auth.rate.shard ?? 0);
  const reset = Math.max(1, (window + 1) * RATE_WINDOW_SECONDS - Math.floor(Date.now() / 1000));
  const headers = {
    'RateLimit-Policy': `"default";q=${quota};w=${RATE_WINDOW_SECONDS}`,
    RateLimit: `"default";r=${Math.min(quota, Math.max(0, share - count) * shards)};t=${reset}`,
  };
  if (count > share) {
    throw new ApiError('ERR_RATE_LIMITED', `more than ${quota} requests in ${RATE_WINDOW_SECONDS} s`, {
      headers: { ...headers, 'Retry-After': String(reset) },
    });
  }
  return headers;
}

/** The rate limit of requests authenticated before the handler (`bearerAuth`). */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const headers = rateLimitHeaders(c.env, c.get('auth'));
  await next();
  for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
});
