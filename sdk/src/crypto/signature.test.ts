/**
 * Signature schemes across every curve and RSA variant Doc 9303 Part 12 allows. Keys and signatures
 * are made here with independent implementations (noble for EC, OpenSSL's CLI for RSA variants Web
 * Crypto can't produce), then verified through `verifySignature`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OID } from '../asn1/oid.ts';
import * as der from '../asn1/writer.ts';
import { bigIntToBytes } from '../lib/bytes.ts';
import { NAMED_CURVE_OID, type NamedCurve, NOBLE } from './curves.ts';
import { digest, type HashName } from './hash.ts';
import { parseSPKI } from './keys.ts';
import { nativeECDSAAvailable, selfTest, useNativeECDSA } from './native.ts';
import { verifySignature } from './signature.ts';

const CURVES = Object.keys(NOBLE) as NamedCurve[];

function explicitParams(name: NamedCurve): Uint8Array {
  const c = NOBLE[name].Point.CURVE();
  const len = Math.ceil(c.p.toString(2).length / 8);
  return der.seq(
    der.int(1),
    der.seq(der.oid(OID.primeField), der.int(c.p)),
    der.seq(der.octets(bigIntToBytes(c.a < 0n ? c.a + c.p : c.a, len)), der.octets(bigIntToBytes(c.b, len))),
    der.octets(new Uint8Array([4, ...bigIntToBytes(c.Gx, len), ...bigIntToBytes(c.Gy, len)])),
    der.int(c.n),
    der.int(c.h),
  );
}

const spki = (params: Uint8Array, point: Uint8Array) =>
  der.seq(der.seq(der.oid(OID.ecPublicKey), params), der.bitString(point));

describe.each([
  ['native where the runtime has the curve', true],
  ['portable (noble) only', false],
])('ECDSA on every eMRTD curve, named and explicit parameters — %s', (_, native) => {
  beforeAll(() => useNativeECDSA(native));
  afterAll(() => useNativeECDSA(true));

  for (const name of CURVES) {
    for (const explicit of [false, true]) {
      it(`${name} (${explicit ? 'explicit' : 'named'})`, async () => {
        const impl = NOBLE[name];
        const sk = impl.utils.randomSecretKey();
        const pub = impl.getPublicKey(sk, false);
        const key = parseSPKI(spki(explicit ? explicitParams(name) : der.oid(NAMED_CURVE_OID[name]), pub));
        expect(key.kind === 'ec' && key.curve.name).toBe(name); // explicit params are recognised
        const msg = new TextEncoder().encode('signed attributes');
        const hash: HashName = name.endsWith('512r1') || name === 'P-521' ? 'SHA-512' : 'SHA-256';
        const h = await digest(hash, msg);
        const sig = impl.sign(h, sk, { prehash: false, lowS: false, format: 'der' });
        expect(await verifySignature(key, { kind: 'ecdsa', hash, format: 'der' }, msg, sig)).toBe(true);
        const plain = impl.sign(h, sk, { prehash: false, lowS: false });
        expect(await verifySignature(key, { kind: 'ecdsa', hash, format: 'plain' }, msg, plain)).toBe(true);
        const bad = plain.slice();
        bad[5]! ^= 1;
        expect(await verifySignature(key, { kind: 'ecdsa', hash, format: 'plain' }, msg, bad)).toBe(false);
        expect(await verifySignature(key, { kind: 'ecdsa', hash, format: 'der' }, msg, bad)).toBe(false);
      });
    }
  }

  it('accepts high-S signatures (ICAO signatures are not normalised)', async () => {
    const impl = NOBLE.brainpoolP256r1;
    const sk = impl.utils.randomSecretKey();
    const key = parseSPKI(spki(der.oid(OID.brainpoolP256r1), impl.getPublicKey(sk, false)));
    const msg = new Uint8Array([1, 2, 3]);
    const h = await digest('SHA-256', msg);
    const sig = impl.Signature.fromBytes(impl.sign(h, sk, { prehash: false }));
    const n = impl.Point.CURVE().n;
    const high = new impl.Signature(sig.r, n - sig.s).toBytes('compact');
    expect(await verifySignature(key, { kind: 'ecdsa', hash: 'SHA-256', format: 'plain' }, msg, high)).toBe(
      true,
    );
  });
});

describe('native ECDSA (node:crypto) for the curves Web Crypto lacks', () => {
  const BRAINPOOL = CURVES.filter((c) => c.startsWith('brainpool'));

  it('is used in Node for every brainpool curve (each passed its self-test)', () => {
    useNativeECDSA(true);
    for (const c of BRAINPOOL) expect(nativeECDSAAvailable(c)).toBe(true);
  });

  it('stays off for a runtime whose verifier does not tell good signatures from bad', () => {
    const key = () => ({});
    expect(selfTest({ createPublicKey: key, verify: () => true }, 'brainpoolP256r1')).toBe(false);
    expect(selfTest({ createPublicKey: key, verify: () => false }, 'brainpoolP256r1')).toBe(false);
    const throws = () => {
      throw new Error('unsupported curve');
    };
    expect(selfTest({ createPublicKey: throws, verify: () => true }, 'brainpoolP256r1')).toBe(false);
  });

  it('gives the same verdict as noble on valid, high-S, corrupted and out-of-range signatures', async () => {
    for (const name of BRAINPOOL) {
      const impl = NOBLE[name];
      const n = impl.Point.CURVE().n;
      const len = Math.ceil(n.toString(2).length / 8);
      for (let i = 0; i < 4; i++) {
        const sk = impl.utils.randomSecretKey();
        const key = parseSPKI(spki(der.oid(NAMED_CURVE_OID[name]), impl.getPublicKey(sk, false)));
        const msg = crypto.getRandomValues(new Uint8Array(64 + i));
        const hash: HashName = (['SHA-1', 'SHA-224', 'SHA-256', 'SHA-384'] as const)[i]!;
        const sig = impl.Signature.fromBytes(
          impl.sign(await digest(hash, msg), sk, { prehash: false, lowS: false }),
        );
        const raw = (r: bigint, s: bigint) =>
          new Uint8Array([...bigIntToBytes(r, len), ...bigIntToBytes(s, len)]);
        const flipped = sig.toBytes('compact');
        flipped[i]! ^= 0x80;
        const cases = [
          raw(sig.r, sig.s),
          raw(sig.r, n - sig.s),
          flipped,
          raw(0n, sig.s),
          raw(sig.r, n),
          raw(sig.r + n < 1n << BigInt(8 * len) ? sig.r + n : sig.r, sig.s),
        ];
        const verdicts = async () => {
          const out: boolean[] = [];
          for (const c of cases)
            out.push(await verifySignature(key, { kind: 'ecdsa', hash, format: 'plain' }, msg, c));
          return out;
        };
        useNativeECDSA(true);
        const native = await verdicts();
        useNativeECDSA(false);
        const portable = await verdicts();
        useNativeECDSA(true);
        expect(native).toEqual(portable);
        expect(native.slice(0, 3)).toEqual([true, true, false]);
      }
    }
  });
});

const hasOpenSSL = (() => {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(hasOpenSSL)('RSA PKCS#1 v1.5 and PSS (signatures by OpenSSL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chipid-rsa-'));
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'genpkey',
    '-algorithm',
    'RSA',
    '-pkeyopt',
    'rsa_keygen_bits:2048',
    '-out',
    keyFile,
  ]);
  const pubDer = execFileSync('openssl', ['pkey', '-in', keyFile, '-pubout', '-outform', 'DER']);
  const key = parseSPKI(new Uint8Array(pubDer));
  const msg = new TextEncoder().encode('LDSSecurityObject');
  const msgFile = join(dir, 'msg.bin');
  writeFileSync(msgFile, msg);

  const sign = (opts: string[]) => {
    execFileSync('openssl', ['dgst', ...opts, '-sign', keyFile, '-out', join(dir, 'sig'), msgFile]);
    return new Uint8Array(readFileSync(join(dir, 'sig')));
  };

  it.each([
    ['SHA-1', '-sha1'],
    ['SHA-224', '-sha224'],
    ['SHA-256', '-sha256'],
    ['SHA-384', '-sha384'],
    ['SHA-512', '-sha512'],
  ] as const)('PKCS#1 v1.5 %s', async (hash, flag) => {
    const sig = sign([flag]);
    expect(await verifySignature(key, { kind: 'rsa-pkcs1', hash }, msg, sig)).toBe(true);
    expect(await verifySignature(key, { kind: 'rsa-pkcs1', hash }, msg.subarray(1), sig)).toBe(false);
  });

  it.each([
    ['SHA-256', 'SHA-256', '-sha256', 'sha256', 32],
    ['SHA-224', 'SHA-224', '-sha224', 'sha224', 28],
    ['SHA-256', 'SHA-1', '-sha256', 'sha1', 20], // MGF1 hash differs: Web Crypto can't, BigInt path does
    ['SHA-512', 'SHA-512', '-sha512', 'sha512', 64],
  ] as const)('PSS %s with MGF1-%s', async (hash, mgfHash, flag, mgf, saltLength) => {
    const sig = sign([
      flag,
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      `rsa_mgf1_md:${mgf}`,
      '-sigopt',
      `rsa_pss_saltlen:${saltLength}`,
    ]);
    const scheme = { kind: 'rsa-pss', hash, mgfHash, saltLength } as const;
    expect(await verifySignature(key, scheme, msg, sig)).toBe(true);
    const bad = sig.slice();
    bad[100]! ^= 1;
    expect(await verifySignature(key, scheme, msg, bad)).toBe(false);
  });
});

describe('explicit curve parameters must be a supported curve’s', () => {
  beforeAll(() => useNativeECDSA(false)); // noble's path, as in workerd and browsers (no native brainpool)
  afterAll(() => useNativeECDSA(true));

  it('a forged explicit curve sharing p and n with brainpoolP256r1 is refused, the genuine key still verifies', async () => {
    const impl = NOBLE.brainpoolP256r1;
    const c = impl.Point.CURVE();
    const mod = (v: bigint) => ((v % c.p) + c.p) % c.p;
    const sk = impl.utils.randomSecretKey();
    const pub = impl.getPublicKey(sk, false);
    const genuine = parseSPKI(spki(der.oid(OID.brainpoolP256r1), pub));
    const msg = new TextEncoder().encode('signed attributes');
    const plain = impl.sign(await digest('SHA-256', msg), sk, { prehash: false, lowS: false });
    const scheme = { kind: 'ecdsa', hash: 'SHA-256', format: 'plain' } as const;
    // The attacker's curve: same p and n, another a, and b chosen so that the genuine point lies on it
    // (its generator too). A certificate on it carries the genuine public point.
    const x = BigInt(`0x${Buffer.from(pub.subarray(1, 33)).toString('hex')}`);
    const y = BigInt(`0x${Buffer.from(pub.subarray(33)).toString('hex')}`);
    const a2 = mod(c.a + 1n);
    const b2 = mod(y * y - x * x * x - a2 * x);
    const forgedParams = der.seq(
      der.int(1),
      der.seq(der.oid(OID.primeField), der.int(c.p)),
      der.seq(der.octets(bigIntToBytes(a2, 32)), der.octets(bigIntToBytes(b2, 32))),
      der.octets(pub),
      der.int(c.n),
      der.int(1),
    );
    // Explicit parameters are accepted only when they are a supported curve's (issue 19).
    expect(() => parseSPKI(spki(forgedParams, pub))).toThrow(
      expect.objectContaining({ code: 'ERR_ALG_UNSUPPORTED' }),
    );
    expect(await verifySignature(genuine, scheme, msg, plain)).toBe(true);
  });
});
