/**
 * `npm run bench:icao` — passive authentication throughput per DS algorithm, next to the raw rate of
 * the one signature verification it cannot avoid (same runtime, same run). Not a test: prints figures.
 *
 * cost = raw verify rate / passive-auth rate (target ≤ 1.5 for RSA-2048 and P-256).
 */

import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ECPublicKey, RSAPublicKey } from '../src/crypto/keys.ts';
import { derToPlain } from '../src/crypto/signature.ts';
import { parseSOD } from '../src/icao/sod.ts';
import { createTrustStore, parseDump, verifyPassive } from '../src/index.ts';
import { bigIntToBytes, own, toBase64Url } from '../src/lib/bytes.ts';
import { makeCard, sandboxCSCA } from '../src/sandbox/index.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
/** Operations in flight, as on a server (Web Crypto work runs off the main thread). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

async function rate(fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 50; i++) await fn(); // warm-up (JIT, key caches)
  let n = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      for (let i = 0; i < 10; i++) await fn();
      n += 10;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return (n * 1000) / (performance.now() - start);
}

const kinds = [
  { label: 'P-256 (Web Crypto)', profile: 'valid' },
  { label: 'RSA-2048 (Web Crypto)', profile: 'valid-rsa' },
  { label: 'brainpoolP256r1 (noble)', profile: 'valid-brainpool' },
] as const;

const rows: Record<string, string | number>[] = [];
const json: Record<string, number> = {};
const trust = createTrustStore({ cscas: [(await sandboxCSCA()).der] });

for (const k of kinds) {
  const card = await makeCard({ profile: k.profile, seed: 'bench' });
  const dump = parseDump(card.dump);
  const report = await verifyPassive(dump, { trust });
  if (!report.valid)
    throw new Error(`${k.profile}: sandbox card does not verify: ${JSON.stringify(report.checks)}`);
  const sod = parseSOD(dump.sod);
  const si = sod.signerInfo;
  const key = sod.documentSigner!.publicKey;
  const data = own(si.signedAttributes!);
  let raw: () => Promise<unknown> | unknown;
  if (key.kind === 'rsa') {
    const rsa = key as RSAPublicKey;
    const ck = await crypto.subtle.importKey(
      'jwk',
      { kty: 'RSA', n: toBase64Url(bigIntToBytes(rsa.n)), e: toBase64Url(bigIntToBytes(rsa.e)) },
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    const sig = own(si.signature);
    raw = () => crypto.subtle.verify('RSASSA-PKCS1-v1_5', ck, sig, data);
  } else {
    const ec = key as ECPublicKey;
    const plain = derToPlain(si.signature, ec.curve.orderLength)!;
    if (ec.curve.name === 'P-256') {
      const ck = await crypto.subtle.importKey(
        'raw',
        own(ec.point),
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['verify'],
      );
      const sig = own(plain);
      raw = () => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ck, sig, data);
    } else {
      raw = () => brainpoolP256r1.verify(plain, sha256(data), ec.point, { prehash: false, lowS: false });
    }
  }
  const rawRate = await rate(raw);
  const paRate = await rate(() => verifyPassive(dump, { trust }));
  const cost = rawRate / paRate;
  rows.push({
    algorithm: k.label,
    'raw verify/s': Math.round(rawRate),
    'passive auth/s': Math.round(paRate),
    'cost (raw/PA)': Number(cost.toFixed(2)),
    'PA ms': Number((1000 / paRate).toFixed(3)),
  });
  json[`${k.profile}PassivePerSec`] = Math.round(paRate);
  json[`${k.profile}RawPerSec`] = Math.round(rawRate);
  json[`${k.profile}Cost`] = Number(cost.toFixed(2));
}

console.log(
  `passive authentication, one process, ${process.version}, ${SECONDS}s per figure, ${CONCURRENCY} in flight`,
);
console.table(rows);
console.log(JSON.stringify(json));
