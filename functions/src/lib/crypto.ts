/**
 * Small Web Crypto helpers of the Worker: SHA-256, HMAC-SHA256 (RFC 2104), random ids, constant-time
 * comparison and canonical JSON (RFC 8785 for the plain JSON values the service hashes).
 */

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

function bytesOf(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  if (typeof data === 'string') return enc.encode(data);
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return copy;
}

/** SHA-256 digest. */
export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytesOf(data)));
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

/** HMAC-SHA256 with a secret string (keys imported once per isolate). */
export async function hmacSha256(secret: string, data: string | Uint8Array): Promise<Uint8Array> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    hmacKeys.set(secret, key);
  }
  return new Uint8Array(await crypto.subtle.sign('HMAC', await key, bytesOf(data)));
}

/** Random identifier with a prefix: `ver_` + 22 base64url chars (128 bits). */
export function randomId(prefix: string): string {
  return prefix + b64url(crypto.getRandomValues(new Uint8Array(16)));
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
