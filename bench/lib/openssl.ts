/**
 * The native limit: `openssl speed` on this machine (single core) and the floor's primitive mix at
 * that speed. Node only (runs the openssl binary).
 */
import { execFileSync } from 'node:child_process';

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
