/** `chipid submit` against a local stand-in service (node:http): config, output JSON, exit codes. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isChipIdError } from '../errors.ts';
import { type ChipDumpJSON, chipDigest, chipPartsDigest, parseDump } from '../icao/dump.ts';
import { toBase64 } from '../lib/bytes.ts';
import { makeCard } from '../sandbox/index.ts';
import { main } from './main.ts';
import { run } from './submit.ts';

let server: Server;
let base: string;
let dir: string;
let rpJwk: JWK;
let rpPublic: CryptoKey;
const CHALLENGE = Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2);
let nextResult: 'verified' | 'rejected' = 'verified';
const bodies: string[] = [];
const contentTypes: string[] = [];
/** Dumps received as multipart bodies, read back. */
const multipartChips: ChipDumpJSON[] = [];
let challengesIssued = 0;

beforeAll(async () => {
  const rp = await generateKeyPair('EdDSA', { extractable: true });
  rpJwk = { ...(await exportJWK(rp.privateKey)), kid: 'rp-ed', alg: 'EdDSA' };
  rpPublic = rp.publicKey;
  const svc = await generateKeyPair('ES256', { extractable: true });
  const svcJwk = { ...(await exportJWK(svc.publicKey)), kid: 's1', alg: 'ES256' };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      chunks.push(c);
    });
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      // The sandbox issuer's keys (a sandbox client's assertions come from `<service>/sandbox`).
      if (req.url === '/sandbox/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [svcJwk] }));
        return;
      }
      if (req.url === '/v1/challenges') {
        challengesIssued++;
        res.writeHead(201, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'ch_9',
            challenge: toBase64(CHALLENGE),
            expiresAt: new Date(Date.now() + 6e4).toISOString(),
          }),
        );
        return;
      }
      bodies.push(body);
      const type = req.headers['content-type'] ?? '';
      contentTypes.push(type);
      let request: string;
      let chip: ChipDumpJSON;
      if (type.startsWith('multipart/form-data')) {
        // The binary body: the members as file parts, read back into a dump (base64) for the checks below.
        const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
        request = form.get('request') as string;
        const b64 = async (n: string) => {
          const v = form.get(n);
          return v && typeof v !== 'string' ? toBase64(new Uint8Array(await v.arrayBuffer())) : undefined;
        };
        chip = { format: 'chipid.dump/1', sod: (await b64('sod')) ?? '', dg1: (await b64('dg1')) ?? '' };
        for (const k of ['com', 'dg2', 'dg13', 'dg14', 'dg15'] as const) {
          const v = await b64(k);
          if (v) chip[k] = v;
        }
        const challenge = await b64('aa.challenge');
        const signature = await b64('aa.signature');
        if (challenge && signature) chip.aa = { challenge, signature };
        multipartChips.push(chip);
      } else ({ request, chip } = JSON.parse(body) as { request: string; chip: ChipDumpJSON });
      const { payload } = await jwtVerify(request, rpPublic, { audience: base });
      // Stand-in for the service's challenge check: the chip must have signed the issued bytes.
      const aaOk = payload.challenge_id === undefined || chip.aa?.challenge === toBase64(CHALLENGE);
      const result = aaOk ? nextResult : 'rejected';
      const reasons = result === 'verified' ? [] : ['card_revoked'];
      const assertion = await new SignJWT({ txn: 'ver_7', result, reasons, sub: 'p' })
        .setProtectedHeader({ alg: 'ES256', typ: 'chipid-assertion+jwt', kid: 's1' })
        .setIssuer(`${base}/sandbox`)
        .setAudience(String(payload.iss))
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('j')
        .sign(svc.privateKey);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: 'ver_7', result, reasons, assertion }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'chipid-submit-'));
  mkdirSync(join(dir, '.chipid'));
  writeFileSync(
    join(dir, '.chipid', 'local.json'),
    JSON.stringify({ url: base, clientId: 'sandbox_cli', privateJwk: rpJwk }),
  );
  writeFileSync(
    join(dir, 'dump.json'),
    JSON.stringify({ format: 'chipid.dump/1', sod: 'dwA=', dg1: 'YQA=' }),
  );
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

afterEach(() => {
  vi.restoreAllMocks();
});

function captureStdout(): () => string {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  return () => out;
}

describe('chipid submit', () => {
  it('submits with .chipid/local.json, prints the outcome and verified claims, exit 0', async () => {
    nextResult = 'verified';
    const out = captureStdout();
    const code = await run(['dump.json', '--scope', 'given_name, age_over_18', '--purpose', 'cli test'], dir);
    expect(code).toBe(0);
    const printed = JSON.parse(out()) as Record<string, unknown>;
    expect(printed).toMatchObject({ id: 'ver_7', result: 'verified', reasons: [] });
    expect(typeof printed.assertion).toBe('string');
    expect(printed.claims).toMatchObject({ txn: 'ver_7', aud: 'sandbox_cli', iss: `${base}/sandbox` });
    const { request } = JSON.parse(bodies.at(-1)!) as { request: string };
    const { payload } = await jwtVerify(request, rpPublic);
    expect(payload).toMatchObject({ scope: ['given_name', 'age_over_18'], purpose: 'cli test' });
  });

  it('exits 1 on a rejected outcome', async () => {
    nextResult = 'rejected';
    const out = captureStdout();
    expect(await run(['dump.json'], dir)).toBe(1);
    expect(JSON.parse(out())).toMatchObject({ result: 'rejected', reasons: ['card_revoked'] });
  });

  it('flags override the config file', async () => {
    nextResult = 'verified';
    const other = mkdtempSync(join(tmpdir(), 'chipid-submit-flags-'));
    try {
      writeFileSync(join(other, 'key.json'), JSON.stringify({ keys: [rpJwk] }));
      captureStdout();
      const code = await run(
        [join(dir, 'dump.json'), '--url', base, '--client-id', 'sandbox_flags', '--key', 'key.json'],
        other,
      );
      expect(code).toBe(0);
      const { request } = JSON.parse(bodies.at(-1)!) as { request: string };
      expect((await jwtVerify(request, rpPublic)).payload.iss).toBe('sandbox_flags');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('--challenge with --profile/--seed: the sandbox chip answers the service challenge', async () => {
    nextResult = 'verified';
    const { dump } = await makeCard({ profile: 'valid', seed: '3' });
    writeFileSync(join(dir, 'card.json'), JSON.stringify(dump));
    const out = captureStdout();
    expect(await run(['card.json', '--challenge', '--profile', 'valid', '--seed', '3'], dir)).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ result: 'verified' });
    const sent = JSON.parse(bodies.at(-1)!) as { request: string; chip: ChipDumpJSON };
    expect((await jwtVerify(sent.request, rpPublic)).payload.challenge_id).toBe('ch_9');
    expect(sent.chip.aa?.challenge).toBe(toBase64(CHALLENGE));
    expect(sent.chip.sod).toBe(dump.sod);
    // The dump file must be that very card.
    const e = await run(['card.json', '--challenge', '--profile', 'valid', '--seed', '4'], dir).catch(
      (x: unknown) => x,
    );
    expect(isChipIdError(e) && e.code).toBe('ERR_CONFIG');
    const e2 = await run(['--profile', 'nope', '--seed', '1'], dir).catch((x: unknown) => x);
    expect(isChipIdError(e2) && e2.code).toBe('ERR_CONFIG');
  });

  it('--multipart sends the files as raw-byte parts, signed with the parts digest', async () => {
    nextResult = 'verified';
    const { dump } = await makeCard({ profile: 'valid', seed: '3' });
    const out = captureStdout();
    expect(await run(['--challenge', '--profile', 'valid', '--seed', '3', '--multipart'], dir)).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ result: 'verified' });
    expect(contentTypes.at(-1)).toMatch(/^multipart\/form-data; boundary=/);
    const sent = multipartChips.at(-1)!;
    expect(sent).toMatchObject({ sod: dump.sod, dg1: dump.dg1, dg2: dump.dg2 });
    expect(sent.aa?.challenge).toBe(toBase64(CHALLENGE));
    const request = bodies.at(-1)!.match(/[\w-]+\.[\w-]+\.[\w-]+/)![0];
    const { payload } = await jwtVerify(request, rpPublic);
    expect(payload.chip_digest).toBe(await chipPartsDigest(parseDump(sent)));
    expect(payload.chip_digest).not.toBe(await chipDigest(sent));
  });

  it('--challenge with a dump written by `chipid sandbox card`: its card.chip.json answers', async () => {
    nextResult = 'verified';
    const { run: sandbox } = await import('./sandbox.ts');
    const out0 = captureStdout();
    // With a face of its own size: the .chip.json keeps it, so the rebuilt card is this very card.
    expect(
      await sandbox(['card', '--profile', 'valid', '--face-size', '40000', '--out', join(dir, 'made.json')]),
    ).toBe(0);
    const summary = JSON.parse(out0());
    expect(summary.chip).toBe(join(dir, 'made.chip.json'));
    expect(JSON.parse(readFileSync(join(dir, 'made.chip.json'), 'utf8'))).toMatchObject({ faceSize: 40000 });
    const out = captureStdout();
    expect(await run(['made.json', '--challenge'], dir)).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ result: 'verified' });
    const sent = JSON.parse(bodies.at(-1)!) as { request: string; chip: ChipDumpJSON };
    const file = JSON.parse(readFileSync(join(dir, 'made.json'), 'utf8')) as ChipDumpJSON;
    expect(sent.chip.sod).toBe(file.sod); // the very card in the file, now with its AA answer
    expect(sent.chip.aa?.challenge).toBe(toBase64(CHALLENGE));
  });

  it('unusable input or config throws ERR_CONFIG / ERR_DUMP_INVALID, which main turns into exit 2', async () => {
    const cases: [string[], string][] = [
      [['dump.json', '--challenge'], 'ERR_CONFIG'],
      [['dump.json', '--profile', 'ok'], 'ERR_CONFIG'],
      [['dump.json', '--bogus'], 'ERR_CONFIG'],
      [[], 'ERR_CONFIG'],
      [['missing.json'], 'ERR_DUMP_INVALID'],
    ];
    for (const [args, code] of cases) {
      const e = await run(args, dir).catch((x: unknown) => x);
      expect(isChipIdError(e) && e.code, args.join(' ')).toBe(code);
    }
    const empty = mkdtempSync(join(tmpdir(), 'chipid-submit-empty-'));
    try {
      const e = await run([join(dir, 'dump.json')], empty).catch((x: unknown) => x);
      expect(isChipIdError(e) && e.code).toBe('ERR_CONFIG');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['submit', join(dir, 'nope.json'), '--url', base])).toBe(2);
    expect(String(err.mock.calls[0]?.[0])).toMatch(/^chipid submit: .+\n$/);
  });

  it('finds .chipid/local.json in a directory above; says where it looked when there is none', async () => {
    const sub = join(dir, 'a', 'b');
    mkdirSync(sub, { recursive: true });
    const out = captureStdout();
    expect(await run([join(dir, 'dump.json')], sub)).toBe(0);
    expect(JSON.parse(out()).result).toBe('verified');
    vi.restoreAllMocks();
    const empty = mkdtempSync(join(tmpdir(), 'chipid-submit-none-'));
    try {
      const e = await run([join(dir, 'dump.json')], empty).catch((x: unknown) => x);
      expect(isChipIdError(e) && e.message).toContain(`no .chipid/local.json in ${empty} or above`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('says what is wrong: an unknown profile by name, a card with no AA key, a flag typo', async () => {
    const unknown = await run(['--profile', 'revoked', '--seed', '1'], dir).catch((x: unknown) => x);
    expect(isChipIdError(unknown) && unknown.message).toMatch(
      /unknown sandbox profile 'revoked' \(one of: valid, .*revoked-card/,
    );
    const noAa = await run(['dump.json', '--challenge'], dir).catch((x: unknown) => x);
    expect(isChipIdError(noAa) && noAa.message).toContain('has no Active Authentication key (no DG15)');
    // The same for a sandbox profile without AA — said before a challenge is asked for (and spent).
    const before = challengesIssued;
    const noAaProfile = await run(['--profile', 'no-aa', '--seed', '1', '--challenge'], dir).catch(
      (x: unknown) => x,
    );
    expect(isChipIdError(noAaProfile) && noAaProfile.message).toBe(
      'sandbox profile no-aa has no Active Authentication key: drop --challenge',
    );
    expect(challengesIssued).toBe(before);
    const typo = await run(['dump.json', '--challange'], dir).catch((x: unknown) => x);
    expect(isChipIdError(typo) && typo.message).toBe(
      "Unknown option '--challange' (see chipid submit --help)",
    );
  });

  it('a network failure is exit 2 through main', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const args = [
      'submit',
      join(dir, 'dump.json'),
      '--url',
      'http://127.0.0.1:1',
      '--client-id',
      'sandbox_xyz',
    ];
    writeFileSync(join(dir, 'k.json'), JSON.stringify(rpJwk));
    expect(await main([...args, '--key', join(dir, 'k.json')])).toBe(2);
    const line = String(err.mock.calls[0]?.[0]);
    expect(line).toContain('ERR_NETWORK: POST http://127.0.0.1:1/v1/verifications: network error');
    expect(line).toContain('is the service running? (URL from --url)');
    // With the URL from a config file, the message names the file (a stopped `npm start` leaves it).
    const stale = mkdtempSync(join(tmpdir(), 'chipid-submit-stale-'));
    try {
      mkdirSync(join(stale, '.chipid'));
      const cfg = join(stale, '.chipid', 'local.json');
      writeFileSync(
        cfg,
        JSON.stringify({ url: 'http://127.0.0.1:1', clientId: 'sandbox_xyz', privateJwk: rpJwk }),
      );
      const e = await run([join(dir, 'dump.json')], stale).catch((x: unknown) => x);
      expect(isChipIdError(e) && e.code).toBe('ERR_NETWORK');
      expect((e as Error).message).toContain(`(URL from ${cfg})`);
    } finally {
      rmSync(stale, { recursive: true, force: true });
    }
  });
});
