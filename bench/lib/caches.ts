/**
 * What each cache buys — passive authentication (Doc 9303 Part 11 §5.1) of one card with every cache
 * warm, with a fresh trust store per call (the DS → CSCA chain verdict recomputed: one CSCA signature
 * verification), and with a Document Signer never seen before per call (fresh trust store, DS
 * certificate parsed and its key imported anew: the SDK's caches are private and keyed by the DS
 * bytes, so a new DS is exactly a miss in all of them). Plus the parts on their own, and what a
 * per-key precomputed point table buys @noble/curves' brainpoolP256r1 verification, against the
 * native verification the SDK uses where the runtime has the curve (OpenSSL through node:crypto).
 */
import { createPublicKey, verify as nativeVerify } from 'node:crypto';
import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { OID } from '../../sdk/src/asn1/oid.ts';
import { type ECPublicKey, ecSPKI } from '../../sdk/src/crypto/keys.ts';
import { derToPlain } from '../../sdk/src/crypto/signature.ts';
import type { ChipDumpJSON } from '../../sdk/src/icao/dump.ts';
import {
  createTrustStore,
  parseCertificate,
  parseDump,
  parseSOD,
  verifyPassive,
} from '../../sdk/src/index.ts';
import { SANDBOX_VALIDITY, sandboxPKI } from '../../sdk/src/sandbox/index.ts';
import { dsName, issueCertificate, resign, seededP256 } from '../../test/robustness/support/pki.ts';
import { benchCard } from './fixtures.ts';
import { repeat, timed, timedBest } from './measure.ts';

export interface CacheRow {
  case: string;
  cpuMsPerOp: number;
  perCoreSec: number;
}

const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** Measures passive authentication of the P-256 card under the three cache states (n calls each). */
export async function measureCaches(n: number): Promise<{ rows: CacheRow[]; parts: CacheRow[] }> {
  const pki = await sandboxPKI();
  const card = await benchCard('valid');
  const dump = parseDump(card.dump);
  const cscaDer = pki.csca.der;
  const shared = createTrustStore({ cscas: [cscaDer] });
  const must = async (d: ReturnType<typeof parseDump>, trust: ReturnType<typeof createTrustStore>) => {
    const r = await verifyPassive(d, { trust });
    if (!r.valid)
      throw new Error(`caches: passive auth failed: ${JSON.stringify(r.checks.filter((c) => !c.ok))}`);
  };

  const warm = await repeat(() => must(dump, shared), n);
  const freshStore = await repeat(() => must(dump, createTrustStore({ cscas: [cscaDer] })), n);

  // n distinct Document Signers under the sandbox CSCA, each with its own SOD over the same DGs.
  const dumps: ReturnType<typeof parseDump>[] = [];
  for (let i = 0; i < n + 20; i++) {
    const ds = await issueCertificate({
      serial: 0x0b0000n + BigInt(i),
      issuer: pki.csca.subject,
      subject: dsName(`chipid Bench DS ${i}`),
      ...SANDBOX_VALIDITY.ds,
      key: seededP256(`chipid-bench-ds-${i}`),
      issuerKey: pki.csca.key,
      ca: false,
    });
    dumps.push(parseDump(await resign(card.dump as ChipDumpJSON, ds)));
  }
  for (const d of dumps.slice(0, 20)) await must(d, createTrustStore({ cscas: [cscaDer] }));
  const cold = await timedBest(
    dumps.slice(20).map((d) => () => must(d, createTrustStore({ cscas: [cscaDer] }))),
    4,
  );

  const row = (c: string, t: { cpuMsPerOp: number; perCoreSec: number }): CacheRow => ({
    case: c,
    cpuMsPerOp: t.cpuMsPerOp,
    perCoreSec: t.perCoreSec,
  });

  // Parts.
  const dsDers = dumps.map((d) => parseSOD(d.sod).documentSigner!.raw);
  const parse = await (async () => {
    // Fresh copies of the bytes are still the same cache key; distinct certificates are real misses.
    const list = dsDers.slice(0, n);
    return timed(
      list.map((der) => async () => parseCertificate(der)),
      1,
    );
  })();
  const dsPoint = (parseSOD(dump.sod).documentSigner!.publicKey as ECPublicKey).point;
  const imp = await repeat(
    () =>
      crypto.subtle.importKey('raw', new Uint8Array(dsPoint), { name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'verify',
      ]),
    n,
  );
  const cscaPoint = (parseCertificate(cscaDer).publicKey as ECPublicKey).point;
  const cscaKey = await crypto.subtle.importKey(
    'raw',
    new Uint8Array(cscaPoint),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['verify'],
  );
  const dsCert = parseCertificate(pki.ds.p256.der);
  const chainSig = new Uint8Array(derToPlain(dsCert.signature, 32)!);
  const chainTbs = new Uint8Array(dsCert.tbs);
  const chain = await repeat(
    () => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, cscaKey, chainSig, chainTbs),
    n,
  );

  // brainpoolP256r1: noble's verify of a key without a table vs a verifier holding a precomputed wNAF
  // table of the DS public point (what the SDK's point cache keeps for a key seen before).
  const bpCard = await benchCard('valid-brainpool');
  const bpSod = parseSOD(unb64(bpCard.dump.sod));
  const bpKey = bpSod.documentSigner!.publicKey as ECPublicKey;
  const bpSig = derToPlain(bpSod.signerInfo.signature, 32)!;
  const bpMsg = sha256(bpSod.signerInfo.signedAttributes!);
  const plainVerify = () => {
    if (
      !brainpoolP256r1.verify(bpSig, bpMsg, bpKey.point, { prehash: false, lowS: false, format: 'compact' })
    )
      throw new Error('brainpool verify failed');
  };
  const Point = brainpoolP256r1.Point;
  const Fn = Point.Fn;
  const P = Point.fromBytes(bpKey.point).precompute(8, false);
  const r = Fn.fromBytes(bpSig.subarray(0, 32));
  const s = Fn.fromBytes(bpSig.subarray(32));
  const h = Fn.create(BigInt(`0x${Buffer.from(bpMsg).toString('hex')}`));
  const tableVerify = () => {
    const is = Fn.inv(s);
    const R = Point.BASE.multiplyUnsafe(Fn.mul(h, is)).add(P.multiplyUnsafe(Fn.mul(r, is)));
    if (Fn.create(R.toAffine().x) !== r) throw new Error('brainpool table verify failed');
  };
  // Native: a key seen once, so its import is part of each verification (as for an AA key).
  const bpSpki = ecSPKI(OID.brainpoolP256r1, bpKey.point);
  const bpSignedAttrs = bpSod.signerInfo.signedAttributes!;
  const opensslVerify = () => {
    const key = createPublicKey({ key: Buffer.from(bpSpki), format: 'der', type: 'spki' });
    if (!nativeVerify('sha256', bpSignedAttrs, { key, dsaEncoding: 'ieee-p1363' }, bpSig))
      throw new Error('brainpool native verify failed');
  };
  const bpPlain = await repeat(plainVerify, Math.max(50, n / 2), 10, 1);
  const bpTable = await repeat(tableVerify, Math.max(50, n / 2), 10, 1);
  const bpNative = await repeat(opensslVerify, Math.max(50, n / 2), 10, 1);

  return {
    rows: [
      row('all caches warm (shared trust store, known DS)', warm),
      row('fresh trust store per call (chain verdict recomputed)', freshStore),
      row('unseen DS per call (fresh store; DS parse + key import + chain)', cold),
    ],
    parts: [
      row('DS certificate parse (cache miss)', parse),
      row('DS key import (Web Crypto importKey, P-256)', imp),
      row('chain check: CSCA signature over DS tbs (ECDSA P-256)', chain),
      row('brainpoolP256r1 verify, noble, no table (a key seen once: AA keys, a new DS)', bpPlain),
      row('brainpoolP256r1 verify, precomputed point table W=8 (a DS key seen before)', bpTable),
      row('brainpoolP256r1 verify, native: OpenSSL via node:crypto, key import included', bpNative),
    ],
  };
}
