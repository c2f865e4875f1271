/**
 * The crypto floor of one verification: the signature and hash primitives a P-256 sandbox card's
 * verification cannot avoid — request JWS verify (ES256), SOD signature verify (ECDSA P-256 over the
 * signed attributes, RFC 5652 §5.4), Active Authentication verify (ECDSA P-256 plain r||s over the
 * challenge, BSI TR-03111), assertion sign (ES256) and the data-group hashes (SHA-256 of every DG the
 * SOD lists) — measured with this runtime's Web Crypto (and noble's SHA-256 where it is faster for
 * small inputs), and the same mix at OpenSSL's native speed (`openssl speed`).
 */
import { execFileSync } from 'node:child_process';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import type { ECPublicKey } from '../../sdk/src/crypto/keys.ts';
import { derToPlain } from '../../sdk/src/crypto/signature.ts';
import type { ChipDumpJSON } from '../../sdk/src/icao/dump.ts';
import { parseDG15, parseSOD } from '../../sdk/src/index.ts';
import { repeat } from './measure.ts';

const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const unb64url = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));
const own = (b: Uint8Array) => new Uint8Array(b) as Uint8Array<ArrayBuffer>;

/** One primitive of the mix with its measured CPU cost. */
export interface PrimitiveCost {
  name: string;
  count: number;
  cpuMsPerOp: number;
  impl: string;
}

/** The floor: primitives and their sum. */
export interface Floor {
  primitives: PrimitiveCost[];
  cpuMsPerVerification: number;
  perSec: number;
  /** Bytes hashed per verification (the DGs). */
  hashedBytes: number;
}

async function ecVerifyKey(point: Uint8Array) {
  return crypto.subtle.importKey('raw', own(point), { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'verify',
  ]);
}

/**
 * Measures the floor for a verification of `chip` (answered dump) with `requestJws` and a sample
 * assertion signing input of `assertionInputLength` bytes.
 */
export async function measureFloor(o: {
  chip: ChipDumpJSON;
  requestJws: string;
  requestPublicJwk: JsonWebKey;
  assertionInputLength: number;
  n: number;
}): Promise<Floor> {
  const n = o.n;
  const out: PrimitiveCost[] = [];
  const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

  // 1. request JWS verify
  const [h, p, s] = o.requestJws.split('.') as [string, string, string];
  const reqKey = await crypto.subtle.importKey(
    'jwk',
    o.requestPublicJwk,
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['verify'],
  );
  const reqInput = own(new TextEncoder().encode(`${h}.${p}`));
  const reqSig = own(unb64url(s));
  if (!(await crypto.subtle.verify(ES256, reqKey, reqSig, reqInput))) throw new Error('floor: request JWS');
  out.push({
    name: 'request JWS verify (ES256)',
    count: 1,
    impl: 'Web Crypto',
    cpuMsPerOp: (await repeat(() => crypto.subtle.verify(ES256, reqKey, reqSig, reqInput), n)).cpuMsPerOp,
  });

  // 2. SOD signature verify
  const sod = parseSOD(unb64(o.chip.sod));
  const dsKey = sod.documentSigner!.publicKey as ECPublicKey;
  const sodKey = await ecVerifyKey(dsKey.point);
  const sodSig = own(derToPlain(sod.signerInfo.signature, 32)!);
  const sodInput = own(sod.signerInfo.signedAttributes!);
  if (!(await crypto.subtle.verify(ES256, sodKey, sodSig, sodInput))) throw new Error('floor: SOD signature');
  out.push({
    name: 'SOD signature verify (ECDSA P-256)',
    count: 1,
    impl: 'Web Crypto',
    cpuMsPerOp: (await repeat(() => crypto.subtle.verify(ES256, sodKey, sodSig, sodInput), n)).cpuMsPerOp,
  });

  // 3. Active Authentication verify
  const aaPub = parseDG15(unb64(o.chip.dg15!)).key as ECPublicKey;
  const aaKey = await ecVerifyKey(aaPub.point);
  const aaSig = own(unb64(o.chip.aa!.signature));
  const aaInput = own(unb64(o.chip.aa!.challenge));
  if (!(await crypto.subtle.verify(ES256, aaKey, aaSig, aaInput))) throw new Error('floor: AA signature');
  out.push({
    name: 'Active Authentication verify (ECDSA P-256)',
    count: 1,
    impl: 'Web Crypto',
    cpuMsPerOp: (await repeat(() => crypto.subtle.verify(ES256, aaKey, aaSig, aaInput), n)).cpuMsPerOp,
  });

  // 4. assertion sign
  const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
  ]);
  const assertionInput = own(new Uint8Array(o.assertionInputLength).fill(0x41));
  out.push({
    name: 'assertion sign (ES256)',
    count: 1,
    impl: 'Web Crypto',
    cpuMsPerOp: (await repeat(() => crypto.subtle.sign(ES256, privateKey, assertionInput), n)).cpuMsPerOp,
  });

  // 5. DG hashes: every DG the dump carries (the SOD lists them all), best of Web Crypto and noble.
  const dgs = (['dg1', 'dg2', 'dg13', 'dg14', 'dg15'] as const).flatMap((k) =>
    o.chip[k] ? [own(unb64(o.chip[k]!))] : [],
  );
  const hashedBytes = dgs.reduce((a, b) => a + b.length, 0);
  const web = (await repeat(() => Promise.all(dgs.map((d) => crypto.subtle.digest('SHA-256', d))), n))
    .cpuMsPerOp;
  const noble = (
    await repeat(() => {
      for (const d of dgs) nobleSha256(d);
    }, n)
  ).cpuMsPerOp;
  // As the SDK's `digest` does it: small inputs in JS, large ones (the face) in Web Crypto.
  const small = dgs.filter((d) => d.length <= 1024);
  const large = dgs.filter((d) => d.length > 1024);
  const split = (
    await repeat(() => {
      for (const d of small) nobleSha256(d);
      return Promise.all(large.map((d) => crypto.subtle.digest('SHA-256', d)));
    }, n)
  ).cpuMsPerOp;
  const best = Math.min(web, noble, split);
  out.push({
    name: `DG hashes (SHA-256 × ${dgs.length}, ${hashedBytes} bytes)`,
    count: 1,
    impl:
      best === split
        ? `@noble/hashes ≤ 1 KB (${small.length}), Web Crypto above (${large.length})`
        : best === web
          ? 'Web Crypto'
          : '@noble/hashes',
    cpuMsPerOp: best,
  });

  const cpuMsPerVerification = out.reduce((a, x) => a + x.count * x.cpuMsPerOp, 0);
  return { primitives: out, cpuMsPerVerification, perSec: 1000 / cpuMsPerVerification, hashedBytes };
}

/** `openssl speed` figures (single core). */
export interface OpenSSLSpeed {
  version: string;
  p256SignPerSec: number;
  p256VerifyPerSec: number;
  brainpoolP256VerifyPerSec: number | undefined;
  rsa2048VerifyPerSec: number | undefined;
  sha256BytesPerSec: number;
}

function speed(args: string[]): string {
  return execFileSync('openssl', ['speed', '-mr', '-seconds', '1', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

/** Runs `openssl speed` (≈ 8 s); undefined when openssl is missing. */
export function opensslSpeed(): OpenSSLSpeed | undefined {
  let version: string;
  try {
    version = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  const ec = speed(['ecdsap256']);
  const m = /^\+F4:\d+:256:([\d.]+):([\d.]+)/m.exec(ec);
  if (!m) return undefined;
  let bp: number | undefined;
  try {
    bp = Number(/^\+F4:\d+:256:[\d.]+:([\d.]+)/m.exec(speed(['ecdsabrp256r1']))?.[1]);
  } catch {
    bp = undefined;
  }
  let rsa: number | undefined;
  try {
    // OpenSSL 3: +F2:<idx>:<bits>:<sign/s>:<verify/s>[:…]
    rsa = Number(/^\+F2:\d+:2048:[\d.]+:([\d.]+)/m.exec(speed(['rsa2048']))?.[1]);
  } catch {
    rsa = undefined;
  }
  const sha = /^\+F:\d+:sha256:([\d.]+)/m.exec(speed(['-bytes', '16384', 'sha256']));
  return {
    version,
    p256SignPerSec: Number(m[1]),
    p256VerifyPerSec: Number(m[2]),
    brainpoolP256VerifyPerSec: bp && Number.isFinite(bp) ? bp : undefined,
    rsa2048VerifyPerSec: rsa && Number.isFinite(rsa) ? rsa : undefined,
    sha256BytesPerSec: Number(sha?.[1] ?? Number.NaN),
  };
}

/** The same primitive mix at native speed: 3 P-256 verifies, 1 P-256 sign, the DG bytes hashed. */
export function nativeFloorPerSec(s: OpenSSLSpeed, hashedBytes: number): number {
  const seconds = 3 / s.p256VerifyPerSec + 1 / s.p256SignPerSec + hashedBytes / s.sha256BytesPerSec;
  return 1 / seconds;
}
