import { readFileSync } from 'node:fs';
import { p256 } from '@noble/curves/nist.js';
import { sha384 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader, readBigInt, readOctets, TAG } from '../asn1/der.ts';
import { namedCurve } from '../crypto/curves.ts';
import { digest, HASH_LENGTH, type HashName } from '../crypto/hash.ts';
import type { ECPublicKey, RSAPublicKey } from '../crypto/keys.ts';
import { ChipIdError } from '../errors.ts';
import { bigIntToBytes, bytesToBigInt, concat, fromHex } from '../lib/bytes.ts';
import { verifyActiveAuth } from './active-auth.ts';
import { parseDG15 } from './dg15.ts';

const vector = (p: string) =>
  new Uint8Array(readFileSync(new URL(`../../../test/vectors/${p}`, import.meta.url)));

const flip = (b: Uint8Array, bit: number) => {
  const c = b.slice();
  c[Math.floor(bit / 8) % c.length]! ^= 1 << (bit % 8);
  return c;
};

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = b % m;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
  }
  return r;
}

describe('verifyActiveAuth — RSA, real chip answers', () => {
  // A real Slovenian passport (ZeroPass port-py-server tests): DG15 key and 4 INTERNAL AUTHENTICATE
  // answers, one per 8-byte slice of the 32-byte challenge (ISO/IEC 9796-2 scheme 1, SHA-1, trailer BC).
  const { key } = parseDG15(vector('slovenia-passport/ef.dg15_ef.sod_si_454CB206.bin'));
  const aa = JSON.parse(new TextDecoder().decode(vector('slovenia-passport/aa_sigs.json')))[
    'ef.dg15_ef.sod_si_454CB206'
  ] as {
    challenge: string;
    csigs: string[];
  };
  const challenge = fromHex(aa.challenge);
  const slice = (i: number) => challenge.subarray(i * 8, i * 8 + 8);

  it('verifies all four signatures', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await verifyActiveAuth({
        publicKey: key,
        challenge: slice(i),
        signature: fromHex(aa.csigs[i]!),
      });
      expect(r).toEqual({ ok: true, scheme: 'rsa-iso9796-2', hash: 'SHA-1' });
    }
  });

  it('fails (without throwing) for another challenge, flipped bits or truncation', async () => {
    const sig0 = fromHex(aa.csigs[0]!);
    expect((await verifyActiveAuth({ publicKey: key, challenge: slice(1), signature: sig0 })).ok).toBe(false);
    expect(
      (await verifyActiveAuth({ publicKey: key, challenge: flip(slice(0), 3), signature: sig0 })).ok,
    ).toBe(false);
    for (const bit of [0, 7, 100, 511, 1017]) {
      expect(
        (await verifyActiveAuth({ publicKey: key, challenge: slice(0), signature: flip(sig0, bit) })).ok,
      ).toBe(false);
    }
    expect(
      (await verifyActiveAuth({ publicKey: key, challenge: slice(0), signature: sig0.subarray(1) })).ok,
    ).toBe(false);
    expect(
      (await verifyActiveAuth({ publicKey: key, challenge: slice(0), signature: new Uint8Array(0) })).ok,
    ).toBe(false);
    expect(
      (await verifyActiveAuth({ publicKey: key, challenge: slice(0), signature: concat(sig0, sig0) })).ok,
    ).toBe(false);
    expect(
      (
        await verifyActiveAuth({
          publicKey: key,
          challenge: slice(0),
          signature: new Uint8Array(128).fill(0xff),
        })
      ).ok,
    ).toBe(false);
  });
});

describe('verifyActiveAuth — RSA, answers made with the BSI TR-03105 AA private key', () => {
  // BSI TR-03105-5 DG15_sk.pkcs8: PrivateKeyInfo { 0, rsaEncryption, OCTET STRING { RSAPrivateKey } }.
  const pkcs8 = Reader.of(vector('bsi-tr03105/DG15_sk.pkcs8'), TAG.SEQUENCE);
  pkcs8.next(TAG.INTEGER);
  pkcs8.next(TAG.SEQUENCE);
  const rsa = Reader.of(readOctets(pkcs8.next(TAG.OCTET_STRING)), TAG.SEQUENCE);
  rsa.next(TAG.INTEGER);
  const n = readBigInt(rsa.next(TAG.INTEGER));
  rsa.next(TAG.INTEGER);
  const d = readBigInt(rsa.next(TAG.INTEGER));
  const { key } = parseDG15(vector('bsi-tr03105/Datagroup15.bin'));
  const k = 128;

  const TRAILER_ID: Record<HashName, number> = {
    'SHA-1': 0x33,
    'SHA-256': 0x34,
    'SHA-512': 0x35,
    'SHA-384': 0x36,
    'SHA-224': 0x38,
  };

  /** ISO/IEC 9796-2 scheme 1 signature with partial recovery: F = 6A|M1|H(M1||c)|BC (or 6B BB…BA, hh CC). */
  async function sign(
    challenge: Uint8Array,
    o: {
      hash?: HashName;
      explicit?: boolean;
      m1Length?: number;
      header?: number;
      negate?: boolean;
      trailer?: number[];
    } = {},
  ) {
    const hash = o.hash ?? 'SHA-1';
    const trailer = o.trailer ?? (o.explicit ? [TRAILER_ID[hash], 0xcc] : [0xbc]);
    const capacity = k - 1 - HASH_LENGTH[hash] - trailer.length;
    const m1 = crypto.getRandomValues(new Uint8Array(o.m1Length ?? capacity));
    const pad = capacity - m1.length;
    const head = pad === 0 ? [o.header ?? 0x6a] : [0x6b, ...new Array(pad - 1).fill(0xbb), 0xba];
    const h = await digest(hash, concat(m1, challenge));
    const f = concat(Uint8Array.from(head), m1, h, Uint8Array.from(trailer));
    expect(f.length).toBe(k);
    let s = modPow(bytesToBigInt(f), d, n);
    if (o.negate) s = n - s;
    return bigIntToBytes(s, k);
  }

  it('uses the matching key pair', () => {
    expect(n).toBe((key as RSAPublicKey).n);
  });

  it('verifies answers to random challenges and rejects flipped bits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.nat(1023),
        async (challenge, bit) => {
          const signature = await sign(challenge);
          expect((await verifyActiveAuth({ publicKey: key, challenge, signature })).ok).toBe(true);
          expect(
            (await verifyActiveAuth({ publicKey: key, challenge, signature: flip(signature, bit) })).ok,
          ).toBe(false);
          expect(
            (await verifyActiveAuth({ publicKey: key, challenge: flip(challenge, bit % 64), signature })).ok,
          ).toBe(false);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('reads the hash from an explicit trailer (hh CC)', async () => {
    const challenge = fromHex('0102030405060708');
    for (const hash of ['SHA-1', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512'] as const) {
      const signature = await sign(challenge, { hash, explicit: true });
      expect(await verifyActiveAuth({ publicKey: key, challenge, signature })).toEqual({
        ok: true,
        scheme: 'rsa-iso9796-2',
        hash,
      });
    }
    // Unknown hash identifier in the trailer.
    const odd = await sign(challenge, { trailer: [0x99, 0xcc] });
    expect((await verifyActiveAuth({ publicKey: key, challenge, signature: odd })).ok).toBe(false);
  });

  it('uses the caller hash with the implicit trailer BC', async () => {
    const challenge = fromHex('0807060504030201');
    const signature = await sign(challenge, { hash: 'SHA-256' });
    expect((await verifyActiveAuth({ publicKey: key, challenge, signature })).ok).toBe(false);
    expect(await verifyActiveAuth({ publicKey: key, challenge, signature, hash: 'SHA-256' })).toEqual({
      ok: true,
      scheme: 'rsa-iso9796-2',
      hash: 'SHA-256',
    });
  });

  it('accepts padding (6B BB … BA) and the n − s form of ISO/IEC 9796-2', async () => {
    const challenge = fromHex('1122334455667788');
    expect(
      (
        await verifyActiveAuth({
          publicKey: key,
          challenge,
          signature: await sign(challenge, { m1Length: 60 }),
        })
      ).ok,
    ).toBe(true);
    expect(
      (
        await verifyActiveAuth({
          publicKey: key,
          challenge,
          signature: await sign(challenge, { negate: true }),
        })
      ).ok,
    ).toBe(true);
  });

  it('rejects total-recovery and malformed headers', async () => {
    const challenge = fromHex('1122334455667788');
    for (const header of [0x4a, 0x2a, 0x6c]) {
      const signature = await sign(challenge, { header });
      expect((await verifyActiveAuth({ publicKey: key, challenge, signature })).ok).toBe(false);
    }
  });

  it('throws ERR_KEY_INVALID for unusable keys only', async () => {
    const bad: RSAPublicKey = {
      kind: 'rsa',
      n: (key as RSAPublicKey).n + 1n,
      e: 65537n,
      bits: 1024,
      spki: new Uint8Array(),
    };
    await expect(
      verifyActiveAuth({ publicKey: bad, challenge: new Uint8Array(8), signature: new Uint8Array(128) }),
    ).rejects.toMatchObject({
      code: 'ERR_KEY_INVALID',
    });
    const tiny: RSAPublicKey = { kind: 'rsa', n: 3233n, e: 17n, bits: 12, spki: new Uint8Array() };
    await expect(
      verifyActiveAuth({ publicKey: tiny, challenge: new Uint8Array(8), signature: Uint8Array.of(1) }),
    ).rejects.toBeInstanceOf(ChipIdError);
  });
});

describe('verifyActiveAuth — ECDSA (plain r||s, BSI TR-03111)', () => {
  const sk = p256.utils.randomSecretKey();
  const key: ECPublicKey = {
    kind: 'ec',
    curve: namedCurve('P-256'),
    point: p256.getPublicKey(sk, false),
    spki: new Uint8Array(),
  };
  const challenge = fromHex('a1a2a3a4a5a6a7a8');

  it('verifies a plain signature with the default SHA-256 and rejects flipped bits', async () => {
    const signature = p256.sign(challenge, sk); // prehash SHA-256, compact r||s
    expect(await verifyActiveAuth({ publicKey: key, challenge, signature })).toEqual({
      ok: true,
      scheme: 'ecdsa',
      hash: 'SHA-256',
    });
    expect((await verifyActiveAuth({ publicKey: key, challenge, signature: flip(signature, 9) })).ok).toBe(
      false,
    );
    expect((await verifyActiveAuth({ publicKey: key, challenge: flip(challenge, 1), signature })).ok).toBe(
      false,
    );
    expect((await verifyActiveAuth({ publicKey: key, challenge, signature: signature.subarray(2) })).ok).toBe(
      false,
    );
  });

  it('uses the hash from DG14 and accepts a DER-encoded answer', async () => {
    const signature = p256.sign(sha384(challenge), sk, { prehash: false });
    expect((await verifyActiveAuth({ publicKey: key, challenge, signature })).ok).toBe(false);
    expect(await verifyActiveAuth({ publicKey: key, challenge, signature, hash: 'SHA-384' })).toEqual({
      ok: true,
      scheme: 'ecdsa',
      hash: 'SHA-384',
    });
    const der = p256.sign(challenge, sk, { format: 'der' });
    expect((await verifyActiveAuth({ publicKey: key, challenge, signature: der })).ok).toBe(true);
  });
});
