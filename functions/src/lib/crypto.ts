/**
 * Small Web Crypto helpers of the Worker: SHA-256, HMAC-SHA256 (RFC 2104), random ids, constant-time
 * comparison and canonical JSON (RFC 8785 for the plain JSON values the service hashes).
 */

import { digest } from '@chipid/sdk';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

const enc = new TextEncoder();

/** Standard base64url without padding (RFC 4648 §5). */
export function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Standard base64 with padding (RFC 4648 §4). */
export function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Decodes standard base64 or base64url; undefined when invalid. */
export function fromB64(s: string): Uint8Array | undefined {
  const norm = s.replaceAll('-', '+').replaceAll('_', '/').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(norm)) return undefined;
  try {
    const bin = atob(norm);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * SHA-256 digest — the SDK's `digest`: inputs up to 1 KB (registry numbers, pairwise subjects, audit
 * entries, request and assertion digests) hashed in JS, where a Web Crypto call would cost more than
 * the hashing; dumps and faces in Web Crypto.
 */
export function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  return digest('SHA-256', typeof data === 'string' ? enc.encode(data) : data);
}

/** Keyed HMAC states per secret (the key's inner and outer pads hashed once per isolate). */
const hmacStates = new Map<string, ReturnType<typeof hmac.create>>();

/** HMAC-SHA256 (RFC 2104) with a secret string. */
export async function hmacSha256(secret: string, data: string | Uint8Array): Promise<Uint8Array> {
  let keyed = hmacStates.get(secret);
  if (!keyed) {
    keyed = hmac.create(nobleSha256, enc.encode(secret));
    hmacStates.set(secret, keyed);
  }
  return keyed
    .clone()
    .update(typeof data === 'string' ? enc.encode(data) : data)
    .digest();
}

/** Random bytes handed out in slices: one `getRandomValues` call per 4 KiB instead of one per id. */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

/** `n` (≤ 4096) bytes from the platform CSPRNG, through a pool; each byte is handed out once. */
function randomBytes(n: number): Uint8Array {
  if (poolAt + n > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const out = pool.slice(poolAt, poolAt + n);
  pool.fill(0, poolAt, poolAt + n);
  poolAt += n;
  return out;
}

/** Random identifier with a prefix: `ver_` + 22 base64url chars (128 bits). */
export function randomId(prefix: string): string {
  return prefix + b64url(randomBytes(16));
}

/**
 * Constant-time string comparison (both sides hashed first so the length does not leak either).
 *
 * @example
 * await timingSafeEqualString(given, env.ADMIN_TOKEN);
 */
export async function timingSafeEqualString(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < ha.length; i++) diff |= (ha[i] ?? 0) ^ (hb[i] ?? 0);
  return diff === 0;
}

/** Canonical JSON (sorted keys, no whitespace, `undefined` members dropped) — RFC 8785 for our values. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}
