/**
 * Issue 19 item 6 — the registry lookup is bound to the issuing state of the authenticated document.
 * The CCCD registry holds Vietnamese (VNM) documents only: a chip of another state (DG1 issuing state,
 * Doc 9303 Part 5 §4.2.2, tied to the DS and CSCA country by passive authentication) whose number equals
 * a registry record's must never match that record.
 *
 * The foreign card is the sandbox `wrong-country` card (DG1 issuing state LAO, the holder's number in
 * the sandbox registry) re-signed under a Lao Document Signer of a Lao CSCA that the sandbox trust store
 * holds, so passive authentication passes and only the registry decides. The control is the same holder
 * and card with DG1 issuing state VNM under the sandbox PKI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IssuedCertificate,
  issueCertificate,
  makeCard,
  SANDBOX_VALIDITY,
} from '../../sdk/src/sandbox/index.ts';
import { dsName, resign, seededP256 } from '../robustness/support/pki.ts';
import { startSeededWorker } from '../robustness/support/service.ts';
import { useTables } from '../support/dynamodb.ts';
import { postVerification, type RpClient, registerClient, type TestWorker } from '../support/worker.ts';

const db = useTables();
let w: TestWorker;
let rp: RpClient;
let laoDs: IssuedCertificate;

beforeAll(async () => {
  w = await startSeededWorker(db);
  rp = await registerClient(w);
  // A Lao CSCA (C=LA) and its Document Signer; the CSCA goes into the sandbox trust store.
  const cscaKey = seededP256('lao-csca');
  const cscaName = [
    { type: 'C', value: 'LA' },
    { type: 'O', value: 'chipid test' },
    { type: 'CN', value: 'Test CSCA LA' },
  ] as const;
  const csca = await issueCertificate({
    serial: 0x1a0001n,
    issuer: cscaName,
    subject: cscaName,
    notBefore: SANDBOX_VALIDITY.ds.notBefore,
    notAfter: SANDBOX_VALIDITY.ds.notAfter,
    key: cscaKey,
    issuerKey: cscaKey,
    ca: true,
  });
  laoDs = await issueCertificate({
    serial: 0x1a0002n,
    issuer: cscaName,
    subject: dsName('Test DS LA', 'LA'),
    ...SANDBOX_VALIDITY.ds,
    key: seededP256('lao-ds'),
    issuerKey: cscaKey,
    ca: false,
  });
  const res = await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: csca.pem });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
});

interface Checks {
  checks: { name: string; ok: boolean; reasons?: string[]; detail?: string }[];
}

async function verify(chip: Parameters<typeof postVerification>[2]) {
  const res = await postVerification(w, rp, chip);
  expect(res.status).toBe(200);
  const a = (await res.json()) as { id: string; result: string; reasons: string[] };
  const rec = await w.fetch(`/v1/verifications/${a.id}`, {
    headers: { authorization: await rp.bearer('GET', `/v1/verifications/${a.id}`) },
  });
  expect(rec.status).toBe(200);
  const registry = ((await rec.json()) as Checks).checks.find((c) => c.name === 'registry');
  return { ...a, registry };
}

describe('registry lookups are bound to the issuing state (VNM)', () => {
  it('a foreign (LAO) document whose number matches a Vietnamese registry record → card_unknown, not matched', async () => {
    const foreign = await makeCard({ profile: 'wrong-country', seed: 'issuing-state' });
    const chip = await resign(foreign.dump, laoDs);
    const a = await verify(chip);
    // Passive authentication passed (a trusted Lao chain, DG1 LAO = DS/CSCA LA): only the registry decides.
    expect(a.reasons).not.toContain('country_mismatch');
    expect(a.reasons).not.toContain('ds_untrusted');
    expect(a.result).toBe('rejected');
    expect(a.reasons).toContain('card_unknown');
    expect(a.registry?.ok).toBe(false);
    expect(a.registry?.reasons).toEqual(['card_unknown']);
    expect(a.registry?.detail).toMatch(/issuing state/);
  });

  it('control: the same holder and card numbers on a VNM document match the registry', async () => {
    const foreign = await makeCard({ profile: 'wrong-country', seed: 'issuing-state' });
    const vn = await makeCard({
      profile: 'valid',
      seed: 'issuing-state',
      citizen: { citizen: foreign.citizen, card: foreign.card },
    });
    const a = await verify(vn.dump);
    expect(a.registry?.ok).toBe(true);
    expect(a.reasons).not.toContain('card_unknown');
    // No AA answer in this dump: the clone check is not performed, nothing else is wrong.
    expect(a.reasons).toEqual(['aa_not_performed']);
  });
});
