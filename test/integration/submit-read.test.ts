/**
 * Integration: `chipid submit --read` against the real service — the bundled Worker in workerd
 * (listening on a loopback port that is its SERVICE_URL, as `npm start` serves it) on DynamoDB Local,
 * sandbox CSCA and registry loaded through the admin API. One command from the card (the APDU-level
 * virtual chip of a sandbox card) to a signed assertion, with `chipid submit`'s output and exit codes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../sdk/src/cli/main.ts';
import { run } from '../../sdk/src/cli/submit.ts';
import { isChipIdError } from '../../sdk/src/errors.ts';
import { readyCitizen, sandboxCSCA, sandboxRegistryJSONL } from '../../sdk/src/sandbox/index.ts';
import { useTables } from '../support/dynamodb.ts';
import { registerClient, startWorker, type TestWorker } from '../support/worker.ts';

const db = useTables();
let w: TestWorker;
let dir: string;
let clientId: string;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  w = await startWorker({ endpoint: db.endpoint, prefix: db.prefix, port: await freePort() });
  const csca = await sandboxCSCA();
  let res = await w.admin('POST', '/admin/v1/trust/sandbox/cscas', { pem: csca.pem });
  expect(res.status).toBe(201);
  res = await w.admin('POST', '/admin/v1/registry/sandbox/import', sandboxRegistryJSONL(), {
    'content-type': 'application/x-ndjson',
  });
  expect(res.status).toBe(200);
  const rp = await registerClient(w, { scope: ['given_name', 'family_name', 'age_over_18'] });
  clientId = rp.clientId;
  // As `npm start` leaves it: .chipid/local.json with the URL, client id and private key.
  dir = mkdtempSync(join(tmpdir(), 'chipid-submit-read-'));
  mkdirSync(join(dir, '.chipid'));
  writeFileSync(
    join(dir, '.chipid', 'local.json'),
    JSON.stringify({ url: w.serviceUrl, clientId, privateJwk: rp.privateJwk }),
  );
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await w?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    err += String(c);
    return true;
  });
  return { out: () => out, err: () => err };
}

const canOf = (profile: Parameters<typeof readyCitizen>[0]) =>
  readyCitizen(profile).citizen.idNumber.slice(-6);

describe('chipid submit --read (real service)', () => {
  it('--can --virtual valid --seed: reads the virtual chip answering a fresh challenge, prints the verified assertion, exit 0', async () => {
    const io = capture();
    const code = await run(
      [
        '--read',
        '--can',
        canOf('valid'),
        '--virtual',
        'valid',
        '--seed',
        '5',
        '--scope',
        'given_name,age_over_18',
      ],
      dir,
    );
    expect(code).toBe(0);
    const printed = JSON.parse(io.out()) as {
      id: string;
      result: string;
      reasons: string[];
      assertion: string;
      claims: Record<string, unknown>;
    };
    expect(printed).toMatchObject({ result: 'verified', reasons: [] });
    expect(printed.claims).toMatchObject({ txn: printed.id, aud: clientId, iss: `${w.serviceUrl}/sandbox` });
    // The assertion is the sandbox issuer's, checked here again against that issuer's JWKS.
    const jwks = (await (await w.fetch('/sandbox/.well-known/jwks.json')).json()) as Parameters<
      typeof createLocalJWKSet
    >[0];
    const { payload } = await jwtVerify(printed.assertion, createLocalJWKSet(jwks), { audience: clientId });
    expect(payload.result).toBe('verified');
    expect(io.err()).toMatch(/read pace \(GM brainpoolP256r1 AES-128, can\), chip authentication passed/);
    // The verification the service recorded used the challenge it issued (Active Authentication passed).
    const rec = (await (
      await w.fetch(`/v1/verifications/${printed.id}`, {
        headers: { authorization: await bearer('GET', `/v1/verifications/${printed.id}`) },
      })
    ).json()) as { result: string; checks: { name: string; ok: boolean }[] };
    expect(rec.result).toBe('verified');
    expect(rec.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'aa.challenge', ok: true }),
        expect.objectContaining({ name: 'aa.signature', ok: true }),
      ]),
    );
  });

  it('through `chipid` main: --cccd (PACE-CAN) and --mrz (BAC on a CCCD) verified, a clone exit 1, a bad key file exit 2', async () => {
    const { citizen, card } = readyCitizen('valid-rsa');
    const yymmdd = (iso: string) => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
    const dates = ['--dob', yymmdd(citizen.birthDate), '--doe', yymmdd(card.expiresOn)];
    const prev = process.cwd();
    process.chdir(dir);
    try {
      let io = capture();
      const cccd = [
        'submit',
        '--read',
        '--cccd',
        citizen.idNumber,
        ...dates,
        '--virtual',
        'valid-rsa',
        '--seed',
        '6',
      ];
      expect(await main(cccd)).toBe(0);
      expect(JSON.parse(io.out())).toMatchObject({ result: 'verified' });
      expect(io.err()).toMatch(/read pace \(GM brainpoolP256r1 AES-128, can\)/);
      vi.restoreAllMocks();
      io = capture();
      const mrz = `${card.documentNumber},${yymmdd(citizen.birthDate)},${yymmdd(card.expiresOn)}`;
      expect(await main(['submit', '--read', '--mrz', mrz, '--virtual', 'valid-rsa', '--seed', '6'])).toBe(0);
      expect(JSON.parse(io.out())).toMatchObject({ result: 'verified' });
      // The CCCD set-up refuses PACE with the MRZ key (6982): the reader falls back to BAC.
      expect(io.err()).toMatch(/read bac, chip authentication passed/);
      vi.restoreAllMocks();
      io = capture();
      expect(
        await main(['submit', '--read', '--can', canOf('clone'), '--virtual', 'clone', '--seed', '7']),
      ).toBe(1);
      expect(JSON.parse(io.out())).toMatchObject({ result: 'inconclusive', reasons: ['aa_failed'] });
      vi.restoreAllMocks();
      io = capture();
      expect(await main([...cccd, '--key', 'no-such-key.json'])).toBe(2);
      expect(io.err()).toMatch(/ERR_CONFIG: cannot read key file .*no such file/);
    } finally {
      process.chdir(prev);
    }
  });

  it('a wrong CAN: exit 1 with the reader hint, nothing submitted', async () => {
    const io = capture();
    const wrong = canOf('valid') === '000000' ? '000001' : '000000';
    expect(await run(['--read', '--can', wrong, '--virtual', 'valid', '--seed', '5'], dir)).toBe(1);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(/ERR_ACCESS_DENIED: .*\n {2}The card refused the access key/);
  });

  it('usage errors: a challenge of your own, --out, no key, two sources', async () => {
    capture();
    for (const argv of [
      ['--read', '--can', '123456', '--virtual', 'valid', '--challenge', '0102030405060708'],
      ['--read', '--can', '123456', '--virtual', 'valid', '--out', 'x.json'],
      ['--read', '--virtual', 'valid'],
      ['--read', '--can', '123456', '--virtual', 'valid', '--reader'],
      ['--read', '--can', '123456', '--virtual', 'valid', '--profile', 'valid'],
    ]) {
      const e = await run(argv, dir).catch((x: unknown) => x);
      expect(isChipIdError(e) && e.code, argv.join(' ')).toBe('ERR_CONFIG');
    }
    expect(readFileSync(join(dir, '.chipid', 'local.json'), 'utf8')).toContain(clientId);
  });
});

/** A GET-bound bearer token of the registered client (for the verification record). */
async function bearer(method: 'GET', path: string): Promise<string> {
  const { signAuthToken } = await import('../../sdk/src/request/index.ts');
  const local = JSON.parse(readFileSync(join(dir, '.chipid', 'local.json'), 'utf8')) as {
    privateJwk: Record<string, unknown>;
  };
  const token = await signAuthToken({
    clientId,
    privateKey: local.privateJwk as never,
    audience: w.serviceUrl,
    method,
    path,
  });
  return `Bearer ${token}`;
}
