/**
 * `chipid masterlist` and `chipid verify --masterlist` (issue 22), run as a user would. Data: Germany's
 * BSI CSCA master list of 2026-05-28 and its root csca-germany (test/vectors/master-lists, see
 * test/vectors/SOURCES.md); a sandbox-made master list for the verify path.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readCertificates } from '../crypto/x509.ts';
import { makeCard } from '../sandbox/factory.ts';
import { generateECKey } from '../sandbox/keys.ts';
import { encodeMasterList } from '../sandbox/master-list.ts';
import { issueCertificate, SANDBOX_VALIDITY, sandboxPKI } from '../sandbox/pki.ts';
import { createRandom } from '../sandbox/random.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/chipid.mjs', import.meta.url).pathname;
const vector = (p: string) => new URL(`../../../test/vectors/${p}`, import.meta.url).pathname;
const DE_ML = vector('master-lists/DE_ML_2026-05-28.ml');
const DE_ROOT = vector('master-lists/DE_csca-germany_root.cer');
const OTHER_ROOT = vector('slovenia-passport/csca_si_448831f1.cer');
const dir = mkdtempSync(join(tmpdir(), 'chipid-ml-'));

async function chipid(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('chipid masterlist', () => {
  it('--country VN writes exactly the Vietnamese CSCA; the summary names signer, issue date and counts', async () => {
    const out = join(dir, 'vn.pem');
    const r = await chipid('masterlist', DE_ML, '--root', DE_ROOT, '--country', 'VN', '--out', out);
    expect(r.code).toBe(0);
    const certs = readCertificates(readFileSync(out, 'utf8'));
    expect(certs.map((c) => c.subject.text)).toEqual([
      'C=VN, O=Vietnam Government Information Security Commission, CN=CSCA ePassport Vietnam',
    ]);
    expect(r.stderr).toContain('CN=CSCA Master List Signer');
    expect(r.stderr).toContain('2026-05-28T06:28:45.000Z');
    expect(r.stderr).toContain('per country: VN 1');
    expect(r.stdout).toBe('');
  });

  it('writes all 588 CSCAs to stdout with --out -, or those of several countries', async () => {
    const all = await chipid('masterlist', DE_ML, '--root', DE_ROOT, '--out', '-');
    expect(all.code).toBe(0);
    expect(readCertificates(all.stdout)).toHaveLength(588);
    expect(all.stderr).toContain('588 written');
    const two = await chipid('masterlist', DE_ML, '--root', DE_ROOT, '--country', 'vn,DE', '--out', '-');
    expect(two.code).toBe(0);
    const countries = readCertificates(two.stdout).map((c) => c.subject.country);
    expect(new Set(countries)).toEqual(new Set(['VN', 'DE']));
    expect(countries.filter((c) => c === 'DE')).toHaveLength(9);
  });

  it('exit 1 and nothing written: another root, a byte changed in the signed content', async () => {
    const out = join(dir, 'refused.pem');
    const other = await chipid('masterlist', DE_ML, '--root', OTHER_ROOT, '--out', out);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('ml_signer_untrusted');
    expect(existsSync(out)).toBe(false);
    const bytes = new Uint8Array(readFileSync(DE_ML));
    bytes[400_000]! ^= 0x20; // inside the CscaMasterList (a CSCA certificate)
    const tampered = join(dir, 'tampered.ml');
    writeFileSync(tampered, bytes);
    const t = await chipid('masterlist', tampered, '--root', DE_ROOT, '--out', out);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('ml_signed_attributes_invalid');
    expect(existsSync(out)).toBe(false);
  });

  it('exit 2 on unusable input: not a master list, a missing file, a bad country, missing flags', async () => {
    const out = join(dir, 'never.pem');
    for (const args of [
      [DE_ROOT, '--root', DE_ROOT, '--out', out],
      [join(dir, 'missing.ml'), '--root', DE_ROOT, '--out', out],
      [DE_ML, '--root', join(dir, 'missing.cer'), '--out', out],
      [DE_ML, '--root', DE_ROOT, '--country', 'VNM', '--out', out],
      [DE_ML, '--root', DE_ROOT],
      [DE_ML, '--out', out],
    ]) {
      const r = await chipid('masterlist', ...args);
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect(existsSync(out)).toBe(false);
  });
});

describe('chipid verify --masterlist', () => {
  it('trusts the CSCAs of a verified master list; refuses (exit 2) a list that does not verify', async () => {
    const pki = await sandboxPKI();
    const signer = await issueCertificate({
      serial: 0x3a5101n,
      issuer: pki.csca.subject,
      subject: [
        { type: 'C', value: 'VN' },
        { type: 'CN', value: 'chipid Sandbox Master List Signer (CLI test)' },
      ],
      ...SANDBOX_VALIDITY.ds,
      key: generateECKey('p256', createRandom('cli-master-list-signer')),
      issuerKey: pki.csca.key,
      ca: false,
      extendedKeyUsage: ['2.23.136.1.1.3'],
    });
    const ml = join(dir, 'sandbox.ml');
    writeFileSync(ml, await encodeMasterList({ signer, cscas: [pki.csca.der], signingTime: new Date() }));
    const root = join(dir, 'sandbox-csca.pem');
    writeFileSync(root, pki.csca.pem);
    const card = join(dir, 'card.json');
    writeFileSync(card, JSON.stringify((await makeCard({ profile: 'valid', seed: 'ml-cli' })).dump));

    const ok = await chipid('verify', card, '--masterlist', ml, '--masterlist-root', root);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.valid).toBe(true);
    expect(report.csca).toBe('C=VN, O=chipid sandbox, CN=chipid Sandbox CSCA');

    // The German list holds no sandbox CSCA: verified, but the card's chain is untrusted (exit 1).
    const de = await chipid('verify', card, '--masterlist', DE_ML, '--masterlist-root', DE_ROOT);
    expect(de.code).toBe(1);
    expect(JSON.parse(de.stdout).checks).toContainEqual(
      expect.objectContaining({ name: 'ds.chain', code: 'ds_untrusted' }),
    );

    const wrongRoot = await chipid('verify', card, '--masterlist', ml, '--masterlist-root', DE_ROOT);
    expect(wrongRoot.code).toBe(2);
    expect(wrongRoot.stderr).toContain('ml_signer_untrusted');
    const noRoot = await chipid('verify', card, '--masterlist', ml);
    expect(noRoot.code).toBe(2);
  }, 60_000);
});
