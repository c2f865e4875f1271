/**
 * `npm run bench:icao` — passive authentication throughput per DS algorithm, next to the raw rate of
 * the one signature verification it cannot avoid (same runtime, same run). Not a test: prints figures.
 *
 * cost = raw verify rate / passive-auth rate, both per CPU second of the process (target ≤ 1.5 for
 * RSA-2048 and P-256). The raw rate is the DS signature check alone: key imported once, no parsing.
 *
 * Then the hostile-key inputs of issue 19 beside a normal verification of the same run (`verifyChip`,
 * CPU ms each and the ratio): the attacks the limits refuse (32 768-bit DG15, 32 776-bit DS, 4096-bit
 * explicit curve, 16 384-bit DG15 signed by the public sandbox PKI) and the worst inputs still accepted
 * (a 4096-bit DG15 and an 8192-bit DS, both with the largest exponent accepted, 2^17 − 1, under the
 * sandbox PKI — workerd's Web Crypto takes only e = 3 or 65537, so both run in BigInt there).
 */

import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  dsCertificateFor,
  explicitCurveSPKI,
  oversizedRSASPKI,
  resignedCard,
} from '../../test/support/hostile-keys.ts';
import type { ECPublicKey, RSAPublicKey } from '../src/crypto/keys.ts';
import { derToPlain } from '../src/crypto/signature.ts';
import { verifyChip } from '../src/crypto/verify-chip.ts';
import type { ChipDumpJSON } from '../src/icao/dump.ts';
import { parseSOD } from '../src/icao/sod.ts';
import { createTrustStore, parseDump, verifyPassive } from '../src/index.ts';
import { bigIntToBytes, own, toBase64, toBase64Url } from '../src/lib/bytes.ts';
import { encodeDG15, makeCard, sandboxCSCA, sandboxPKI } from '../src/sandbox/index.ts';

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

// ——— hostile keys (issue 19): each input's verifyChip CPU beside a normal card's, same run ———
const pki = await sandboxPKI();
const E17 = 2n ** 17n - 1n; // the largest public exponent accepted
/** An AA answer as long as the modulus and below it: the whole exponentiation runs before the verdict. */
const aaAnswer = (bytes: number) => {
  const a = new Uint8Array(bytes).fill(0x5a);
  a[0] = 0x3f;
  return toBase64(a);
};
const withAA = (dump: ChipDumpJSON, bytes: number): ChipDumpJSON => ({
  ...dump,
  aa: { challenge: toBase64(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)), signature: aaAnswer(bytes) },
});
const normal = withAA((await makeCard({ profile: 'valid-rsa', seed: 'bench' })).dump, 128);
const hostile: { label: string; dump: ChipDumpJSON }[] = [
  {
    label: 'DG15 RSA-32768, swapped into a genuine card (refused: AA not run)',
    dump: withAA({ ...normal, dg15: toBase64(encodeDG15(oversizedRSASPKI(32768, E17))) }, 1536),
  },
  {
    label: 'DG15 RSA-16384, signed by the sandbox DS (refused while parsing)',
    dump: withAA(
      (await resignedCard({ dg15: encodeDG15(oversizedRSASPKI(16384, E17)), profile: 'valid-rsa' })).dump,
      1536,
    ),
  },
  {
    label: 'DS RSA-32776 in the SOD, untrusted (refused while parsing)',
    dump: withAA(
      (
        await resignedCard({
          ds: await dsCertificateFor(oversizedRSASPKI(32776, E17), 32776, pki.foreignCsca),
          profile: 'valid-rsa',
        })
      ).dump,
      128,
    ),
  },
  {
    label: 'DG15 on a 4096-bit explicit curve, signed by the sandbox DS (refused while parsing)',
    dump: withAA(
      (await resignedCard({ dg15: encodeDG15(explicitCurveSPKI(4096)), profile: 'valid-rsa' })).dump,
      1024,
    ),
  },
  {
    label: 'worst accepted: DG15 RSA-4096, e = 2^17 − 1, signed by the sandbox DS',
    dump: withAA(
      (await resignedCard({ dg15: encodeDG15(oversizedRSASPKI(4096, E17)), profile: 'valid-rsa' })).dump,
      512,
    ),
  },
  {
    label: 'worst accepted: DS RSA-8192, e = 2^17 − 1, under the sandbox CSCA',
    dump: withAA(
      (
        await resignedCard({
          ds: await dsCertificateFor(oversizedRSASPKI(8192, E17), 8192, pki.csca),
          profile: 'valid-rsa',
        })
      ).dump,
      128,
    ),
  },
];
const chipOnce = (d: ReturnType<typeof parseDump>) => () => verifyChip(d, { trust });
const normalRate = await rate(chipOnce(parseDump(normal)));
const hRows: Record<string, string | number>[] = [
  {
    input: 'normal: valid-rsa card with an AA answer',
    'CPU ms each': Number((1000 / normalRate.cpu).toFixed(3)),
    'ratio to normal': 1,
  },
];
let worstRatio = 0;
for (const h of hostile) {
  const r = await rate(chipOnce(parseDump(h.dump)));
  const ratio = normalRate.cpu / r.cpu;
  worstRatio = Math.max(worstRatio, ratio);
  hRows.push({
    input: h.label,
    'CPU ms each': Number((1000 / r.cpu).toFixed(3)),
    'ratio to normal': Number(ratio.toFixed(2)),
  });
}
json.hostileWorstRatio = Number(worstRatio.toFixed(2));
json.normalChipCpuMs = Number((1000 / normalRate.cpu).toFixed(3));
console.log('\nhostile keys (issue 19): verifyChip CPU per input, beside a normal card in the same run');
console.table(hRows);

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
const HN = Math.max(40, Math.round(N / 5));
/** ms per verifyChip in workerd: the median of 5 rounds, each (HN back to back − one) / (HN − 1). */
async function workerdChipMs(dump: ChipDumpJSON): Promise<number> {
  const call = async (n: number) => {
    const t0 = performance.now();
    const res = await mf.dispatchFetch('http://bench/', {
      method: 'POST',
      body: JSON.stringify({ dump, csca: cscaB64, n, mode: 'chip' }),
    });
    const { ok } = (await res.json()) as { ok: number };
    if (ok !== n) throw new Error(`workerd chip: ${ok}/${n} completed`);
    return performance.now() - t0;
  };
  await call(10); // warm-up
  const rounds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const one = await call(1);
    rounds.push(((await call(HN)) - one) / (HN - 1));
  }
  return rounds.sort((a, b) => a - b)[2]!;
}
const wNormal = await workerdChipMs(normal);
const whRows: Record<string, string | number>[] = [
  {
    input: 'normal: valid-rsa card with an AA answer',
    'ms each': Number(wNormal.toFixed(3)),
    'ratio to normal': 1,
  },
];
let wWorst = 0;
for (const h of hostile) {
  const ms = await workerdChipMs(h.dump);
  wWorst = Math.max(wWorst, ms / wNormal);
  whRows.push({
    input: h.label,
    'ms each': Number(ms.toFixed(3)),
    'ratio to normal': Number((ms / wNormal).toFixed(2)),
  });
}
json.hostileWorstRatioWorkerd = Number(wWorst.toFixed(2));
json.normalChipMsWorkerd = Number(wNormal.toFixed(3));
await mf.dispose();
console.log(`\nthe same in workerd (Miniflare), ${N} back to back per figure, timed from outside`);
console.table(wRows);
console.log(
  `hostile keys in workerd: verifyChip, median of 5 rounds of ${HN} back to back per input, timed from outside`,
);
console.table(whRows);
console.log(JSON.stringify(json));
