/**
 * The portrait on an idempotent replay. The idempotency record holds the answer without the image
 * (the service stores no face); a retry with the same `Idempotency-Key` resends the identical body
 * (the record's fingerprint covers it), so the DG2 in it is the one that passed passive
 * authentication: the portrait is derived again — conversion is deterministic — and sent only if its
 * SHA-256 equals the digest in the stored assertion. When it cannot be (a lost race answered from
 * `onError`, a codec change between the two), the replay carries the assertion alone.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { fromB64 } from '../lib/crypto.ts';
import { PORTRAIT_ATTACHMENT_DESC } from './assertion.ts';
import { type PortraitOut, portraitOf } from './portrait.ts';

/** The answer's `portrait` member. */
export function portraitBody(p: PortraitOut): { media_type: 'image/jpeg'; data: string } {
  let s = '';
  for (let i = 0; i < p.bytes.length; i += 0x8000)
    s += String.fromCharCode(...p.bytes.subarray(i, i + 0x8000));
  return { media_type: p.mediaType, data: btoa(s) };
}

/** The portrait attachment's digest (standard base64) in an assertion the service signed, if any. */
export function portraitDigest(assertion: string): string | undefined {
  try {
    const payload = assertion.split('.')[1] ?? '';
    const json = JSON.parse(
      new TextDecoder().decode(fromB64(payload.replace(/-/g, '+').replace(/_/g, '/')) ?? new Uint8Array()),
    ) as {
      verified_claims?: {
        verification?: {
          evidence?: { attachments?: { desc?: string; digest?: { alg?: string; value?: string } }[] }[];
        };
      };
    };
    for (const ev of json.verified_claims?.verification?.evidence ?? [])
      for (const a of ev.attachments ?? [])
        if (a.desc === PORTRAIT_ATTACHMENT_DESC && a.digest?.alg === 'sha-256') return a.digest.value;
  } catch {
    return undefined;
  }
  return undefined;
}

/** The DG2 of the request body (multipart parts, or the JSON body's `chip.dg2`). */
function requestDG2(
  c: Parameters<Parameters<typeof createMiddleware<AppEnv>>[0]>[0],
): Uint8Array | undefined {
  const parts = c.get('chipParts');
  if (parts) return parts.dump.dg2;
  try {
    const body = JSON.parse(c.get('bodyText') ?? '') as { chip?: { dg2?: unknown } };
    return typeof body.chip?.dg2 === 'string' ? fromB64(body.chip.dg2) : undefined;
  } catch {
    return undefined;
  }
}

/** Route middleware (outside `idempotency`): puts the portrait back into a replayed answer. */
export const portraitOnReplay = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const res = c.res;
  if (res.status !== 200 || res.headers.get('Idempotent-Replayed') !== 'true') return;
  let body: { assertion?: unknown; portrait?: unknown };
  try {
    body = (await res.clone().json()) as typeof body;
  } catch {
    return;
  }
  if (typeof body.assertion !== 'string' || body.portrait !== undefined) return;
  const digest = portraitDigest(body.assertion);
  if (!digest) return;
  // The same bytes as the request that was verified (same fingerprint), its DG2 hash check passed then.
  const { portrait } = await portraitOf(requestDG2(c), [{ name: 'dg2.hash', ok: true }]);
  if (!portrait || portrait.sha256 !== digest) return;
  const headers = new Headers(res.headers);
  headers.delete('Content-Length');
  // Hono merges the previous answer's headers into a new one: drop it first, the headers are kept above.
  c.res = undefined as unknown as Response;
  c.res = new Response(JSON.stringify({ ...body, portrait: portraitBody(portrait) }), {
    status: 200,
    headers,
  });
});
