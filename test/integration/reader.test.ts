/**
 * Integration, issue 17 item 12: from the card to a signed assertion. The SDK's reader reads the
 * APDU-level virtual card of a sandbox card (PACE, secure messaging, Chip Authentication, every file,
 * INTERNAL AUTHENTICATE over the service's own challenge), and the service — the bundled Worker in
 * workerd on DynamoDB Local, sandbox CSCA and registry loaded through the admin API, reached over
 * loopback HTTP — answers `verified`; `client.verifyCard` does it in one call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChipIdClient, createClient, isChipIdError, readChip } from '../../sdk/src/index.ts';
import {
  makeCard,
  PROFILE_NAMES,
  readyCitizen,
  sandboxCSCA,
  sandboxRegistryJSONL,
  virtualCard,
  virtualCardFor,
} from '../../sdk/src/sandbox/index.ts';
import { useTables } from '../support/dynamodb.ts';
import { registerClient, startWorker, type TestWorker } from '../support/worker.ts';

const db = useTables();
let w: TestWorker;
let client: ChipIdClient;

beforeAll(async () => {
  w = await startWorker({ endpoint: db.endpoint, prefix: db.prefix });
  const url = (await w.mf.ready).href.replace(/\/$/, '');
  const csca = await sandboxCSCA();
  let res = await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: csca.pem });
  expect(res.status).toBe(201);
  res = await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
    'content-type': 'application/x-ndjson',
  });
  expect(res.status).toBe(200);
  const rp = await registerClient(w, { scope: ['given_name', 'family_name', 'age_over_18'] });
  // The Worker's SERVICE_URL (issuer, audience) differs from its loopback URL, as behind a proxy.
  client = createClient({
    baseUrl: url,
    clientId: rp.clientId,
    privateKey: rp.privateJwk,
    serviceUrl: w.serviceUrl,
    jwks: `${url}/sandbox/.well-known/jwks.json`, // a sandbox client: the sandbox issuer's keys
    retryBaseDelayMs: 50,
  });
});
afterAll(async () => {
  await w?.stop();
});

const canOf = (idNumber: string) => idNumber.slice(-6);

describe('reading the virtual card with the service challenge', () => {
  it('readChip + verify: a CCCD read with PACE-CAN, CA and AA over the service challenge is verified', async () => {
    const card = await makeCard({ profile: 'valid', seed: 11 });
    const chip = virtualCard(card, { seed: 11 });
    const challenge = await client.challenge();
    const read = await readChip(chip, {
      key: { can: canOf(card.citizen.idNumber) },
      challenge: challenge.challenge,
    });
    expect(read.accessControl).toBe('pace');
    expect(read.chipAuthentication).toBe('passed');
    // Every file byte-identical to the factory's dump; the AA answer is over the service's bytes.
    const { aa, ...files } = read.dump;
    expect(files).toEqual(card.dump);
    expect(aa?.challenge).toBe(Buffer.from(challenge.challenge).toString('base64'));
    const out = await client.verify(read.dump, { scope: ['given_name'], purpose: 'reader e2e', challenge });
    expect(out.result).toBe('verified');
    expect(out.reasons).toEqual([]);
    expect(out.claims?.verified_claims?.claims.given_name).toBeTruthy();
    expect(chip.stats.failedAccessAttempts).toBe(0);
  });

  it('client.verifyCard: card to signed assertion in one call (CCCD key from the id number and dates)', async () => {
    const chip = await virtualCardFor('valid-brainpool', 12);
    const { citizen, card } = chip.sandboxCard!;
    const yymmdd = (iso: string) => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
    const out = await client.verifyCard(chip, {
      key: {
        cccd: {
          idNumber: citizen.idNumber,
          dateOfBirth: yymmdd(citizen.birthDate),
          dateOfExpiry: yymmdd(card.expiresOn),
        },
      },
      scope: ['age_over_18'],
      purpose: 'verifyCard e2e',
    });
    expect(out.result).toBe('verified');
    expect(out.read.accessControl).toBe('pace');
    expect(out.read.pace?.password).toBe('can');
    expect(out.claims?.txn).toBe(out.id);
    expect(out.read.counters.apdus).toBe(chip.stats.apdus);
  });

  it('a BAC-only chip with the MRZ key, and a PACE-CAM chip, are verified the same way', async () => {
    for (const profile of ['bac', 'pace-cam'] as const) {
      const chip = await virtualCardFor('valid', 13, { profile });
      const { citizen, card } = chip.sandboxCard!;
      const yymmdd = (iso: string) => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
      const key =
        profile === 'bac'
          ? {
              mrz: {
                documentNumber: card.documentNumber,
                dateOfBirth: yymmdd(citizen.birthDate),
                dateOfExpiry: yymmdd(card.expiresOn),
              },
            }
          : { can: canOf(citizen.idNumber) };
      const out = await client.verifyCard(chip, { key, scope: [], purpose: `verifyCard ${profile}` });
      expect(out.result, profile).toBe('verified');
      expect(out.read.accessControl, profile).toBe(profile === 'bac' ? 'bac' : 'pace');
    }
  });

  it('every sandbox profile read through its virtual card gives its documented outcome', async () => {
    for (const name of PROFILE_NAMES) {
      const chip = await virtualCardFor(name, 21);
      const sandbox = chip.sandboxCard!;
      const out = await client.verifyCard(chip, {
        key: { can: canOf(sandbox.citizen.idNumber) },
        scope: [],
        purpose: `profile ${name}`,
      });
      expect({ profile: name, result: out.result, reasons: out.reasons }).toEqual({
        profile: name,
        ...sandbox.profile.expected,
      });
    }
  });

  it('a tag lost in the middle of DG2: the read resumes on a re-tap and is verified', async () => {
    const card = await makeCard({ profile: 'valid', seed: 14, faceSize: 40_000 });
    const chip = virtualCard(card, { seed: 14, faults: { dropAfterApdus: 60 } });
    const can = canOf(card.citizen.idNumber);
    const first = await client.verifyCard(chip, { key: { can }, scope: [], purpose: 'resume' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isChipIdError(first) && first.code).toBe('ERR_TRANSPORT');
    const partial = (first as { partial?: unknown }).partial;
    expect(partial).toBeDefined();
    chip.reset(); // the user taps the card again
    const out = await client.verifyCard(chip, {
      key: { can },
      scope: [],
      purpose: 'resume',
      resume: partial as never,
    });
    expect(out.result).toBe('verified');
    expect(out.read.dump.dg2).toBe(card.dump.dg2);
  });

  it('a wrong CAN: ERR_ACCESS_DENIED after one attempt on the card, nothing verified', async () => {
    const chip = await virtualCardFor('valid', 15);
    const right = canOf(readyCitizen('valid').citizen.idNumber);
    const wrong = right === '000000' ? '000001' : '000000';
    const e = await client.verifyCard(chip, { key: { can: wrong }, scope: [], purpose: 'wrong can' }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isChipIdError(e) && e.code).toBe('ERR_ACCESS_DENIED');
    expect(chip.stats.failedAccessAttempts).toBe(1);
  });
});
