/**
 * Security (issue 19): hostile keys through the service — the bundled Worker in workerd, DynamoDB
 * Local, the sandbox CSCA and registry loaded through the admin API. Each case is real DER, built with
 * the public sandbox PKI as anyone could (its keys are public), and is refused with its code: keys over
 * the size limits are refused while parsing, a DG15 nothing vouches for is never used, a weak AA key
 * is no clone evidence. What each would cost without the limits is measured by `npm run bench:icao`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChipDumpJSON, parseDump } from '../../sdk/src/icao/dump.ts';
import { toBase64 } from '../../sdk/src/lib/bytes.ts';
import { VirtualChip } from '../../sdk/src/sandbox/chip.ts';
import { encodeDG15, sandboxCSCA, sandboxPKI, sandboxRegistryJSONL } from '../../sdk/src/sandbox/index.ts';
import { rsaKey } from '../../sdk/src/sandbox/keys.ts';
import { createRandom } from '../../sdk/src/sandbox/random.ts';
import { generateRSAKey } from '../../sdk/src/sandbox/rsa.ts';
import { useTables } from '../support/dynamodb.ts';
import { dsCertificateFor, oversizedRSASPKI, resignedCard } from '../support/hostile-keys.ts';
import {
  newChallenge,
  postVerification,
  type RpClient,
  registerClient,
  startWorker,
  type TestWorker,
} from '../support/worker.ts';

const db = useTables();
let w: TestWorker;
let rp: RpClient;

beforeAll(async () => {
  w = await startWorker({ endpoint: db.endpoint, prefix: db.prefix });
  rp = await registerClient(w, { scope: ['name'] });
  let res = await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: (await sandboxCSCA()).pem });
  expect(res.status).toBe(201);
  res = await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
    'content-type': 'application/x-ndjson',
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await w?.stop();
});

interface Outcome {
  result: string;
  reasons: string[];
  checks: { name: string; ok: boolean; reasons?: string[]; detail?: string }[];
}

/** Posts `dump` with an answer to a fresh service challenge (`answer` makes it; default 1536 zero bytes, the most the dump schema takes). */
async function verify(
  dump: ChipDumpJSON,
  answer: (challenge: Uint8Array) => Promise<Uint8Array> = async () => new Uint8Array(1536),
): Promise<Outcome> {
  const ch = await newChallenge(w, rp);
  const challenge = new Uint8Array(Buffer.from(ch.challenge, 'base64'));
  const chip: ChipDumpJSON = {
    ...dump,
    aa: { challenge: ch.challenge, signature: toBase64(await answer(challenge)) },
  };
  const res = await postVerification(w, rp, chip, { challengeId: ch.id });
  expect(res.status, await res.clone().text()).toBe(200);
  const { id, result, reasons } = (await res.json()) as { id: string; result: string; reasons: string[] };
  const path = `/v1/verifications/${id}`;
  const rec = await w.fetch(path, { headers: { authorization: await rp.bearer('GET', path) } });
  expect(rec.status).toBe(200);
  const { checks } = (await rec.json()) as { checks: Outcome['checks'] };
  return { result, reasons, checks };
}

const check = (o: Outcome, name: string) => o.checks.find((c) => c.name === name);

describe('oversized and weak keys through the service', () => {
  it('a 16 384-bit RSA DG15 vouched for by the sandbox SOD → inconclusive, algorithm_unsupported', async () => {
    const dg15 = encodeDG15(oversizedRSASPKI(16384));
    const card = await resignedCard({ dg15, profile: 'valid-rsa' });
    expect(parseDump(card.dump).dg15?.length).toBeGreaterThan(2048);
    const o = await verify(card.dump);
    expect({ result: o.result, reasons: o.reasons }).toEqual({
      result: 'inconclusive',
      reasons: ['algorithm_unsupported'],
    });
    expect(check(o, 'aa.signature')).toMatchObject({ ok: false, reasons: ['algorithm_unsupported'] });
    expect(check(o, 'aa.signature')?.detail).toMatch(/16384-bit modulus is over the 4096-bit limit/);
  });

  it('the same DG15 swapped into a genuine card (nothing vouches for it) → rejected; AA not run', async () => {
    const honest = await resignedCard({ profile: 'valid-rsa' });
    const dump = { ...honest.dump, dg15: toBase64(encodeDG15(oversizedRSASPKI(16384))) };
    const o = await verify(dump);
    expect({ result: o.result, reasons: o.reasons }).toEqual({
      result: 'rejected',
      reasons: ['dg_hash_mismatch'],
    });
    expect(check(o, 'aa.signature')).toMatchObject({
      ok: false,
      detail: 'not run: passive authentication failed, so the DG15 key is not authenticated',
    });
    expect(check(o, 'aa.signature')?.reasons).toBeUndefined();
  });

  it('a 32 776-bit RSA Document Signer (untrusted, or under the public sandbox CSCA) → rejected, algorithm_unsupported', async () => {
    const pki = await sandboxPKI();
    for (const issuer of [pki.foreignCsca, pki.csca]) {
      const ds = await dsCertificateFor(oversizedRSASPKI(32776), 32776, issuer);
      const o = await verify((await resignedCard({ ds, profile: 'valid-rsa' })).dump);
      expect({ result: o.result, reasons: o.reasons }).toEqual({
        result: 'rejected',
        reasons: ['algorithm_unsupported'],
      });
      expect(check(o, 'sod.parse')).toMatchObject({ ok: false, reasons: ['algorithm_unsupported'] });
    }
  });

  it('a 512-bit RSA AA key answering the challenge correctly → inconclusive, aa_key_weak', async () => {
    const weak = rsaKey(generateRSAKey(512, createRandom('weak-aa')));
    const chip = new VirtualChip(weak, createRandom('weak-chip'));
    const card = await resignedCard({ dg15: encodeDG15(weak.spki), profile: 'valid-rsa' });
    const o = await verify(card.dump, (c) => chip.internalAuthenticate(c));
    expect({ result: o.result, reasons: o.reasons }).toEqual({
      result: 'inconclusive',
      reasons: ['aa_key_weak'],
    });
    // The same card with a 1024-bit key (the minimum) and a correct answer is verified.
    const ok = rsaKey(generateRSAKey(1024, createRandom('ok-aa')));
    const okChip = new VirtualChip(ok, createRandom('ok-chip'));
    const okCard = await resignedCard({ dg15: encodeDG15(ok.spki), profile: 'valid-rsa' });
    const v = await verify(okCard.dump, (c) => okChip.internalAuthenticate(c));
    expect({ result: v.result, reasons: v.reasons }).toEqual({ result: 'verified', reasons: [] });
  });
});
