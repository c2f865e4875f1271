/**
 * The crypto floor of one verification: the signature and hash primitives a P-256 sandbox card's
 * verification cannot avoid — request JWS verify (ES256), SOD signature verify (ECDSA P-256 over the
 * signed attributes, RFC 5652 §5.4), Active Authentication verify (ECDSA P-256 plain r||s over the
 * challenge, BSI TR-03111), assertion sign (ES256) and the data-group hashes (SHA-256 of every DG the
 * SOD lists) — with this runtime's Web Crypto (and noble's SHA-256 where it is faster for small
 * inputs). Portable (Web APIs only): {@link floorOps} builds the operations, checked once each;
 * `measureFloor` times them in Node and `bench/workerd/pipeline-probe.ts` inside workerd.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import type { ECPublicKey } from '../../sdk/src/crypto/keys.ts';
import { derToPlain } from '../../sdk/src/crypto/signature.ts';
import type { ChipDumpJSON } from '../../sdk/src/icao/dump.ts';
import { parseDG15, parseSOD } from '../../sdk/src/index.ts';
import { fromBase64 } from '../../sdk/src/lib/bytes.ts';
import { repeat } from './measure.ts';

const own = (b: Uint8Array) => new Uint8Array(b) as Uint8Array<ArrayBuffer>;
const unb64 = (s: string) => own(fromBase64(s));

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

/**
 * One operation of the floor. Operations sharing a `group` are alternative ways to do the same work
 * (the DG hashes: Web Crypto, noble, or split by size, as the SDK's `digest` does); the floor counts
 * the cheapest of a group.
 */
export interface FloorOp {
  name: string;
  impl: string;
  group: string;
  run: () => Promise<unknown> | unknown;
}

/** What the floor is built from: one answered verification request and its assertion's size. */
export interface FloorSample {
  chip: ChipDumpJSON;
  requestJws: string;
  requestPublicJwk: JsonWebKey;
  assertionInputLength: number;
}

/**
 * The {@link FloorSample} of a verified request: its body (`{ request, chip }` JSON), the RP's key
 * (private JWK; its public half is used) and the assertion the service answered.
 */
export function floorSample(body: string, rpPrivateJwk: JsonWebKey, assertion: string): FloorSample {
  const { request, chip } = JSON.parse(body) as { request: string; chip: ChipDumpJSON };
  const { d: _d, ...requestPublicJwk } = rpPrivateJwk;
  const [h, p] = assertion.split('.');
  return { chip, requestJws: request, requestPublicJwk, assertionInputLength: `${h}.${p}`.length };
}

const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** The floor's operations for `o`, each run once and checked (a failed verify throws). */
export async function floorOps(o: FloorSample): Promise<{ ops: FloorOp[]; hashedBytes: number }> {
  const ops: FloorOp[] = [];
  const verifyOp = async (name: string, key: CryptoKey, sig: Uint8Array, input: Uint8Array) => {
    const s = own(sig);
    const i = own(input);
    if (!(await crypto.subtle.verify(ES256, key, s, i))) throw new Error(`floor: ${name} does not verify`);
    ops.push({ name, impl: 'Web Crypto', group: name, run: () => crypto.subtle.verify(ES256, key, s, i) });
  };
  const pointKey = (point: Uint8Array) => crypto.subtle.importKey('raw', own(point), P256, false, ['verify']);

  // 1. request JWS verify
  const [h, p, s] = o.requestJws.split('.') as [string, string, string];
  const reqKey = await crypto.subtle.importKey('jwk', o.requestPublicJwk, P256, false, ['verify']);
  await verifyOp('request JWS verify (ES256)', reqKey, fromBase64(s), new TextEncoder().encode(`${h}.${p}`));

  // 2. SOD signature verify
  const sod = parseSOD(unb64(o.chip.sod));
  const ds = sod.documentSigner!.publicKey as ECPublicKey;
  await verifyOp(
    'SOD signature verify (ECDSA P-256)',
    await pointKey(ds.point),
    derToPlain(sod.signerInfo.signature, 32)!,
    sod.signerInfo.signedAttributes!,
  );

  // 3. Active Authentication verify
  const aa = parseDG15(unb64(o.chip.dg15!)).key as ECPublicKey;
  await verifyOp(
    'Active Authentication verify (ECDSA P-256)',
    await pointKey(aa.point),
    unb64(o.chip.aa!.signature),
    unb64(o.chip.aa!.challenge),
  );

  // 4. assertion sign
  const { privateKey } = await crypto.subtle.generateKey(P256, false, ['sign']);
  const assertionInput = own(new Uint8Array(o.assertionInputLength).fill(0x41));
  ops.push({
    name: 'assertion sign (ES256)',
    impl: 'Web Crypto',
    group: 'sign',
    run: () => crypto.subtle.sign(ES256, privateKey, assertionInput),
  });

  // 5. DG hashes: every DG the dump carries (the SOD lists them all), three ways.
  const dgs = (['dg1', 'dg2', 'dg13', 'dg14', 'dg15'] as const).flatMap((k) =>
    o.chip[k] ? [unb64(o.chip[k]!)] : [],
  );
  const hashedBytes = dgs.reduce((a, b) => a + b.length, 0);
  const small = dgs.filter((d) => d.length <= 1024);
  const large = dgs.filter((d) => d.length > 1024);
  const hashName = `DG hashes (SHA-256 × ${dgs.length}, ${hashedBytes} bytes)`;
  ops.push(
    {
      name: hashName,
      impl: 'Web Crypto',
      group: 'hash',
      run: () => Promise.all(dgs.map((d) => crypto.subtle.digest('SHA-256', d))),
    },
    {
      name: hashName,
      impl: '@noble/hashes',
      group: 'hash',
      run: () => {
        for (const d of dgs) nobleSha256(d);
      },
    },
    {
      name: hashName,
      impl: `@noble/hashes ≤ 1 KB (${small.length}), Web Crypto above (${large.length})`,
      group: 'hash',
      run: () => {
        for (const d of small) nobleSha256(d);
        return Promise.all(large.map((d) => crypto.subtle.digest('SHA-256', d)));
      },
    },
  );
  return { ops, hashedBytes };
}

/** Sums per group the cheapest of `costs` (ms per op, in `ops` order) into a {@link Floor}. */
export function floorOf(ops: FloorOp[], costs: number[], hashedBytes: number): Floor {
  const best = new Map<string, PrimitiveCost>();
  ops.forEach((op, i) => {
    const have = best.get(op.group);
    if (!have || costs[i]! < have.cpuMsPerOp)
      best.set(op.group, { name: op.name, impl: op.impl, count: 1, cpuMsPerOp: costs[i]! });
  });
  const primitives = [...best.values()];
  const cpuMsPerVerification = primitives.reduce((a, x) => a + x.count * x.cpuMsPerOp, 0);
  return { primitives, cpuMsPerVerification, perSec: 1000 / cpuMsPerVerification, hashedBytes };
}

/** Measures the floor in this (Node) process: CPU time of each operation, `n` runs in 3 rounds. */
export async function measureFloor(o: FloorSample & { n: number }): Promise<Floor> {
  const { ops, hashedBytes } = await floorOps(o);
  const costs: number[] = [];
  for (const op of ops) costs.push((await repeat(op.run, o.n)).cpuMsPerOp);
  return floorOf(ops, costs, hashedBytes);
}
