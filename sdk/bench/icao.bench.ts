/**
 * `npm run bench:icao` — passive authentication throughput per DS algorithm, next to the raw rate of
 * the one signature verification it cannot avoid (same runtime, same run). Not a test: prints figures.
 *
 * cost = raw verify rate / passive-auth rate, both per CPU second of the process (target ≤ 1.5 for
 * RSA-2048 and P-256). The raw rate is the DS signature check alone: key imported once, no parsing.
 */

import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ECPublicKey, RSAPublicKey } from '../src/crypto/keys.ts';
import { derToPlain } from '../src/crypto/signature.ts';
import { parseSOD } from '../src/icao/sod.ts';
import { createTrustStore, parseDump, verifyPassive } from '../src/index.ts';
import { bigIntToBytes, own, toBase64, toBase64Url } from '../src/lib/bytes.ts';
import { makeCard, sandboxCSCA } from '../src/sandbox/index.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);

/**
 * Runs `fn` back to back for SECONDS; returns operations per second of wall time and of process CPU
 * time (user + system: Web Crypto's thread-pool work included), the latter robust on a busy machine.
 */
async function rate(fn: () => Promise<unknown> | unknown): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < 50; i++) await fn(); // warm-up (JIT, key caches)
  let n = 0;
  const c0 = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 10; i++) await fn();
    n += 10;
  }
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(c0);
  return { wall: (n * 1000) / wallMs, cpu: (n * 1e6) / (cpu.user + cpu.system) };
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
  const cost = rawRate.cpu / paRate.cpu;
  rows.push({
    algorithm: k.label,
    'raw verify/s (CPU)': Math.round(rawRate.cpu),
    'passive auth/s (CPU)': Math.round(paRate.cpu),
    'cost (raw/PA)': Number(cost.toFixed(2)),
    'PA CPU ms': Number((1000 / paRate.cpu).toFixed(3)),
    'raw verify/s (wall)': Math.round(rawRate.wall),
    'passive auth/s (wall)': Math.round(paRate.wall),
  });
  json[`${k.profile}PassivePerSec`] = Math.round(paRate.cpu);
  json[`${k.profile}RawPerSec`] = Math.round(rawRate.cpu);
  json[`${k.profile}Cost`] = Number(cost.toFixed(2));
}

console.log(
  `passive authentication, one at a time, ${process.version}, ${SECONDS}s per figure; rates per CPU second`,
);
console.table(rows);

// ——— the same in workerd (the Worker's runtime), timed from outside ———
const { Miniflare } = await import('miniflare');
const { bundleForWorkerd, workerCompatibility } = await import('../../infra/src/bundle.ts');
const script = await bundleForWorkerd(new URL('./workerd/probe.ts', import.meta.url).pathname);
const mf = new Miniflare({
  modules: true,
  script,
  // The Worker's date, without nodejs_compat: the SDK needs no Node APIs.
  compatibilityDate: workerCompatibility().compatibilityDate,
});
const cscaB64 = toBase64((await sandboxCSCA()).der);
const wRows: Record<string, string | number>[] = [];
const N = Number(process.env.BENCH_WORKERD_N ?? 2000);
async function workerdRate(dump: unknown, mode: 'passive' | 'raw'): Promise<number> {
  const call = async (n: number) => {
    const t0 = performance.now();
    const res = await mf.dispatchFetch('http://bench/', {
      method: 'POST',
      body: JSON.stringify({ dump, csca: cscaB64, n, mode }),
    });
    const { ok } = (await res.json()) as { ok: number };
    if (ok !== n) throw new Error(`workerd ${mode}: ${ok}/${n} verified`);
    return performance.now() - t0;
  };
  await call(50); // warm-up
  const base = await call(1); // request overhead (bundle parse, dump parse, key import)
  const ms = (await call(N)) - base;
  return (N * 1000) / ms;
}
for (const k of kinds.filter((x) => x.profile !== 'valid-brainpool')) {
  const card = await makeCard({ profile: k.profile, seed: 'bench' });
  const raw = await workerdRate(card.dump, 'raw');
  const pa = await workerdRate(card.dump, 'passive');
  wRows.push({
    algorithm: k.label,
    'raw verify/s': Math.round(raw),
    'passive auth/s': Math.round(pa),
    'cost (raw/PA)': Number((raw / pa).toFixed(2)),
  });
  json[`${k.profile}WorkerdCost`] = Number((raw / pa).toFixed(2));
}
await mf.dispose();
console.log(`\nthe same in workerd (Miniflare), ${N} back to back per figure, timed from outside`);
console.table(wRows);
console.log(JSON.stringify(json));
