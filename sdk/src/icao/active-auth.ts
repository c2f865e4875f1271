/**
 * Active Authentication — Doc 9303 Part 11 §6.1: the chip signs a terminal challenge with the DG15
 * key. RSA: ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery (trailer `BC`
 * for SHA-1, or `hh CC` naming the hash). ECDSA: plain `r || s` (BSI TR-03111) over the challenge,
 * hash from DG14's ActiveAuthenticationInfo.
 */
import { digest, HASH_LENGTH, type HashName } from '../crypto/hash.ts';
import type { ECPublicKey, PublicKey, RSAPublicKey } from '../crypto/keys.ts';
import { verifyECDSA } from '../crypto/signature.ts';
import { CryptoError, isChipIdError } from '../errors.ts';
import { bigIntToBytes, bytesToBigInt, concat, equalBytes, modPow } from '../lib/bytes.ts';

export { aaHashFromDG14 } from './dg14.ts';

/** Input of {@link verifyActiveAuth}. */
export interface ActiveAuthInput {
  /** The DG15 key (after passive authentication proved DG15 genuine). */
  readonly publicKey: PublicKey;
  /** The challenge sent with INTERNAL AUTHENTICATE (RND.IFD, normally 8 bytes). */
  readonly challenge: Uint8Array;
  /** The chip's answer. */
  readonly signature: Uint8Array;
  /**
   * ECDSA: the hash from DG14 (`aaHashFromDG14`), default SHA-256. RSA: only used with the implicit
   * trailer `BC` (default SHA-1); an explicit trailer names its own hash and wins.
   */
  readonly hash?: HashName;
}

/** Outcome of {@link verifyActiveAuth}. */
export interface ActiveAuthResult {
  readonly ok: boolean;
  readonly scheme: 'rsa-iso9796-2' | 'ecdsa';
  /** The hash the verification used. */
  readonly hash: HashName;
}

/** ISO/IEC 10118-3 hash identifiers used in the explicit 9796-2 trailer `hh CC`. */
const TRAILER_HASH: Readonly<Record<number, HashName>> = {
  51: 'SHA-1',
  52: 'SHA-256',
  53: 'SHA-512',
  54: 'SHA-384',
  56: 'SHA-224',
};

function checkRSAKey(key: RSAPublicKey): void {
  if (
    typeof key.n !== 'bigint' ||
    typeof key.e !== 'bigint' ||
    key.n < 1n << 511n ||
    key.n % 2n === 0n ||
    key.e < 3n ||
    key.e % 2n === 0n ||
    key.e >= key.n
  )
    throw new CryptoError('ERR_KEY_INVALID', 'active auth: unusable RSA key');
}

async function verifyRSA(
  key: RSAPublicKey,
  challenge: Uint8Array,
  signature: Uint8Array,
  hashOpt: HashName | undefined,
): Promise<ActiveAuthResult> {
  checkRSAKey(key);
  const fallbackHash = hashOpt ?? 'SHA-1';
  const no = (hash: HashName = fallbackHash): ActiveAuthResult => ({
    ok: false,
    scheme: 'rsa-iso9796-2',
    hash,
  });
  const k = Math.ceil(key.n.toString(2).length / 8);
  if (signature.length === 0 || signature.length > k) return no();
  const s = bytesToBigInt(signature);
  if (s === 0n || s >= key.n) return no();
  let j = modPow(s, key.e, key.n);
  // ISO/IEC 9796-2: the signer may send min(J, n − J); the representative ends in nibble C.
  if ((j & 0xfn) !== 12n) j = key.n - j;
  if ((j & 0xfn) !== 12n) return no();
  const f = bigIntToBytes(j, k);
  // Header: '01', partial-recovery bit set, then either no padding ('A') or 'B' BB… BA.
  const head = f[0]!;
  if (head !== 0x6a && head !== 0x6b) return no();
  let mStart = 1;
  if (head === 0x6b) {
    while (mStart < k && f[mStart] === 0xbb) mStart++;
    if (f[mStart] !== 0xba) return no();
    mStart++;
  }
  let hash: HashName;
  let t: number;
  if (f[k - 1] === 0xbc) {
    hash = fallbackHash;
    t = 1;
  } else {
    const named = TRAILER_HASH[f[k - 2]!];
    if (f[k - 1] !== 0xcc || !named) return no();
    hash = named;
    t = 2;
  }
  const dEnd = k - t;
  const dStart = dEnd - HASH_LENGTH[hash];
  if (dStart - mStart < 1) return no(hash);
  const m1 = f.subarray(mStart, dStart);
  const d = f.subarray(dStart, dEnd);
  const h = await digest(hash, concat(m1, challenge));
  return { ok: equalBytes(h, d), scheme: 'rsa-iso9796-2', hash };
}

async function verifyEC(
  key: ECPublicKey,
  challenge: Uint8Array,
  signature: Uint8Array,
  hashOpt: HashName | undefined,
): Promise<ActiveAuthResult> {
  const hash = hashOpt ?? 'SHA-256';
  const attempt = async (format: 'plain' | 'der'): Promise<boolean> => {
    try {
      return await verifyECDSA(key, hash, challenge, signature, format);
    } catch (e) {
      if (isChipIdError(e) && (e.code === 'ERR_KEY_INVALID' || e.code === 'ERR_ALG_UNSUPPORTED')) throw e;
      return false;
    }
  };
  // TR-03111 plain r||s is what Doc 9303 specifies; a few chips answer with an X9.62 DER sequence.
  let ok = await attempt('plain');
  if (!ok && signature[0] === 0x30) ok = await attempt('der');
  return { ok, scheme: 'ecdsa', hash };
}

/**
 * Verifies an Active Authentication answer. A wrong or malformed signature gives `ok: false`; only an
 * unusable key throws.
 *
 * @throws CryptoError `ERR_KEY_INVALID` (unusable key), `ERR_ALG_UNSUPPORTED` (unknown key kind)
 * @example
 * const { key } = parseDG15(dump.dg15);
 * const { ok } = await verifyActiveAuth({ publicKey: key, challenge, signature, hash: aaHashFromDG14(dg14) });
 */
export async function verifyActiveAuth(input: ActiveAuthInput): Promise<ActiveAuthResult> {
  const { publicKey, challenge, signature, hash } = input;
  if (!(challenge instanceof Uint8Array) || !(signature instanceof Uint8Array))
    throw new CryptoError('ERR_SIGNATURE_INVALID', 'active auth: challenge and signature must be bytes');
  if (publicKey.kind === 'rsa') return verifyRSA(publicKey, challenge, signature, hash);
  if (publicKey.kind === 'ec') return verifyEC(publicKey, challenge, signature, hash);
  throw new CryptoError('ERR_ALG_UNSUPPORTED', 'active auth: unsupported key type');
}
