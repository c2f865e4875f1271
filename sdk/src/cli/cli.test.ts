/**
 * The `chipid` CLI contract (issue 2): `inspect` JSON fields and `verify` report/exit codes, run as a
 * user would (`npx chipid …` resolves to sdk/bin/chipid.mjs). Data: BSI TR-03105-5 reference set.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../lib/bytes.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/chipid.mjs', import.meta.url).pathname;
const vec = (p: string) =>
  toBase64(new Uint8Array(readFileSync(new URL(`../../../test/vectors/${p}`, import.meta.url))));
const dir = mkdtempSync(join(tmpdir(), 'chipid-cli-'));
const dumpFile = join(dir, 'bsi.json');
writeFileSync(
  dumpFile,
  JSON.stringify({
    format: 'chipid.dump/1',
    com: vec('bsi-tr03105/EF_COM.bin'),
    sod: vec('bsi-tr03105/EF_SOD.bin'),
    dg1: vec('bsi-tr03105/Datagroup1.bin'),
    dg2: vec('bsi-tr03105/Datagroup2.bin'),
    dg14: vec('bsi-tr03105/Datagroup14.bin'),
  }),
);
const cscaFile = new URL('../../../test/vectors/slovenia-passport/csca_si_448831f1.cer', import.meta.url)
  .pathname;

async function chipid(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('chipid CLI', () => {
  it('inspect prints DG1 fields as in the MRZ and the SOD summary', async () => {
    const r = await chipid('inspect', dumpFile);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.dg1).toMatchObject({
      documentCode: 'P',
      issuingState: 'D',
      documentNumber: 'C11T002JM',
      dateOfBirth: '960812',
      dateOfExpiry: '231031',
      sex: 'F',
      nationality: 'D',
      surname: 'MUSTERMANN',
      givenNames: 'ERIKA',
    });
    expect(out.sod).toMatchObject({ hashAlgorithm: 'SHA-256', signatureAlgorithm: 'rsassa-pss-SHA-256' });
    expect(out.sod.dataGroups).toEqual([1, 2, 3, 4, 14]);
    // EF.COM's tag list as Doc 9303 writes tags (0x61 = DG1), beside the data-group numbers.
    expect(out.com.tags.length).toBe(out.com.dataGroups.length);
    expect(out.com.tags[0]).toBe('0x61');
    for (const t of out.com.tags) expect(t).toMatch(/^0x[0-9a-f]{2}$/);
    expect(out.dg2.faces[0].format).toBe('jp2'); // the BSI face is JPEG 2000
  });

  it('verify reports each check and exits 1 when the chain is untrusted', async () => {
    const r = await chipid('verify', dumpFile, '--csca', cscaFile, '--at', '2014-06-01');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false);
    const byName = Object.fromEntries(
      out.checks.map((c: { name: string; ok: boolean; code?: string }) => [c.name, c]),
    );
    expect(byName['sod.signature'].ok).toBe(true);
    expect(byName['dg1.hash'].ok).toBe(true);
    expect(byName['ds.chain']).toMatchObject({ ok: false, code: 'ds_untrusted' });
  });

  it('every command answers --help (exit 0); a flag typo is one plain line pointing at that help (exit 2)', async () => {
    const top = await chipid('--help');
    expect(top.code).toBe(0);
    for (const line of [
      'sandbox registry',
      'submit --profile <name> --seed <n>',
      'inspect <dump.json> [--images]',
    ])
      expect(top.stdout).toContain(line);
    for (const cmd of [['inspect'], ['verify'], ['sandbox', 'card'], ['submit']]) {
      const r = await chipid(...cmd, '--help');
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.stdout).toContain(`usage: chipid ${cmd.join(' ')}`);
    }
    for (const [cmd, shown] of [
      [
        ['inspect', dumpFile, '--output'],
        "chipid inspect: ERR_CONFIG: Unknown option '--output' (see chipid inspect --help)",
      ],
      [
        ['sandbox', 'card', '--challange', '00'],
        "chipid sandbox: Unknown option '--challange' (see chipid sandbox card --help)",
      ],
    ] as const) {
      const r = await chipid(...cmd);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(shown);
    }
  });

  it('verify --require-crl: a CSCA without a current CRL fails ds.revocation with crl_unavailable (exit 1)', async () => {
    const { makeCard, sandboxCSCA, sandboxPKI } = await import('../sandbox/index.ts');
    const { buildCRL } = await import('../sandbox/pki.ts');
    const card = join(dir, 'sandbox.json');
    writeFileSync(card, JSON.stringify((await makeCard({ profile: 'valid', seed: 'cli-crl' })).dump));
    const csca = join(dir, 'sandbox-csca.pem');
    writeFileSync(csca, (await sandboxCSCA()).pem);
    const crl = join(dir, 'sandbox.crl');
    const day = 86_400_000;
    const issued = await buildCRL(
      (await sandboxPKI()).csca,
      [7n],
      new Date(Date.now() - day),
      new Date(Date.now() + day),
    );
    writeFileSync(crl, issued.pem);
    const revocation = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as { checks: { name: string; code?: string }[] }).checks.find(
        (c) => c.name === 'ds.revocation',
      );
    const plain = await chipid('verify', card, '--csca', csca);
    expect([plain.code, revocation(plain)]).toEqual([0, undefined]);
    const required = await chipid('verify', card, '--csca', csca, '--require-crl');
    expect([required.code, revocation(required)?.code]).toEqual([1, 'crl_unavailable']);
    const withCrl = await chipid('verify', card, '--csca', csca, '--crl', crl, '--require-crl');
    expect([withCrl.code, revocation(withCrl)]).toMatchObject([0, { name: 'ds.revocation' }]);
  });

  it('verify names the --csca file that is not a certificate', async () => {
    const r = await chipid('verify', dumpFile, '--csca', dumpFile);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^chipid verify: ERR_CERT_INVALID: --csca ${dumpFile}: `));
  });

  it('unusable input exits 2 with a one-line error', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'chipid.dump/1', sod: 'AAAA', dg1: 'AAAA', extra: 1 }));
    const r = await chipid('verify', bad, '--csca', cscaFile);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('ERR_DUMP_INVALID');
    const missing = await chipid('verify', join(dir, 'missing.json'), '--csca', cscaFile);
    expect([missing.code, missing.stderr.trim()]).toEqual([
      2,
      `chipid verify: ERR_DUMP_INVALID: cannot read ${join(dir, 'missing.json')}: no such file`,
    ]);
    const folder = await chipid('inspect', dir);
    expect(folder.stderr.trim()).toMatch(/: a directory, not a file$/);
    expect((await chipid('verify', dumpFile, '--csca', join(dir, 'nope.pem'))).stderr).toMatch(
      /cannot read .*nope\.pem: no such file/,
    );
    expect((await chipid('inspect')).code).toBe(2);
  });
});

describe('raw elementary files (what JMRTD or a desk reader writes)', () => {
  const raw = (name: string, file: string) => {
    const p = join(dir, name);
    writeFileSync(p, readFileSync(new URL(`../../../test/vectors/bsi-tr03105/${file}`, import.meta.url)));
    return p;
  };
  const sod = raw('sod.bin', 'EF_SOD.bin');
  const dg1 = raw('dg1.bin', 'Datagroup1.bin');
  const dg2 = raw('dg2.bin', 'Datagroup2.bin');

  it('inspect reads raw files by their outer tag', async () => {
    const r = await chipid('inspect', sod, dg1);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['sod', 'dg1']);
    expect(out.sod.dataGroups).toEqual([1, 2, 3, 4, 14]);
    expect(out.dg1.surname).toBe('MUSTERMANN');
  });

  it('dump assembles a chipid.dump/1 byte for byte; inspect and verify take it or the raw files', async () => {
    const out = join(dir, 'assembled.json');
    const r = await chipid('dump', '--sod', sod, '--dg1', dg1, '--dg2', dg2, '--out', out);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(json).sort()).toEqual(['dg1', 'dg2', 'format', 'sod']);
    expect(Buffer.from(json.sod, 'base64').equals(readFileSync(sod))).toBe(true);
    const fromDump = await chipid('verify', out, '--csca', cscaFile, '--at', '2012-06-01');
    const fromFiles = await chipid(
      'verify',
      '--sod',
      sod,
      '--dg1',
      dg1,
      '--dg2',
      dg2,
      '--csca',
      cscaFile,
      '--at',
      '2012-06-01',
    );
    expect(fromFiles.code).toBe(fromDump.code);
    expect(JSON.parse(fromFiles.stdout).checks).toEqual(JSON.parse(fromDump.stdout).checks);
    expect(
      JSON.parse(fromFiles.stdout).checks.find((c: { name: string }) => c.name === 'dg2.hash'),
    ).toMatchObject({ ok: true });
  });

  it('dump refuses a file under the wrong flag, and says what it is', async () => {
    const r = await chipid('dump', '--sod', dg1, '--dg1', dg1, '--out', '-');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--sod ${dg1}: is DG1 (outer tag 0x61), not SOD`);
    const missing = await chipid('dump', '--dg1', dg1, '--out', '-');
    expect([missing.code, missing.stderr]).toEqual([
      2,
      'chipid dump: ERR_CONFIG: --sod <file> is missing (every dump has EF.SOD and DG1)\n',
    ]);
  });

  it('verify without --csca says --csca is missing; a raw file given as the dump names the flags', async () => {
    const r = await chipid('verify', dumpFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chipid verify: ERR_CONFIG: --csca <pem\|der> is missing/);
    const rawAsDump = await chipid('verify', sod, '--csca', cscaFile);
    expect(rawAsDump.stderr).toContain('is a raw SOD file: give the raw files as --sod <file> --dg1 <file>');
  });

  it('a truncated file is reported as a read cut short (ERR_ASN1_TRUNCATED)', async () => {
    const half = join(dir, 'half-dg2.bin');
    writeFileSync(half, readFileSync(dg2).subarray(0, 1000));
    const r = await chipid('inspect', half);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).dg2.error.code).toBe('ERR_ASN1_TRUNCATED');
  });
});

describe('chipid --version', () => {
  it("prints the SDK package's name and version", async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const r = await chipid('--version');
    expect([r.code, r.stdout]).toEqual([0, `@chipid/sdk ${pkg.version}\n`]);
  });
});
