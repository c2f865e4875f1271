/**
 * Sandbox PKI: certificate profiles (Doc 9303 Part 12 §7.1, RFC 5280), determinism of the published
 * anchor, and acceptance by OpenSSL (`openssl x509`, `openssl verify`, `openssl crl`) when on PATH.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { parseCRL } from '../crypto/crl.ts';
import { signatureScheme, verifySignature } from '../crypto/signature.ts';
import { parseCertificate } from '../crypto/x509.ts';
import { equalBytes, toHex } from '../lib/bytes.ts';
import { buildCRL, SANDBOX_DS_RSA_PRIMES, SANDBOX_PKI_SEEDS, sandboxCSCA, sandboxPKI } from './pki.ts';
import { createRandom } from './random.ts';
import { generateRSAKey } from './rsa.ts';

const hasOpenSSL = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function openssl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe('sandbox CSCA', () => {
  it('is the published, pinned anchor (derived from chipid-sandbox-csca-v1; must never drift)', async () => {
    const { der, pem } = await sandboxCSCA();
    expect(toHex(sha256(der))).toBe('d0c24a79f8928b4ff0433785556babc0d30567dc1b9e922241cb7ddd510f0b5d');
    expect(pem.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
  });

  it('has the CSCA profile: VN, CA:true critical, keyCertSign+cRLSign critical, SKI = AKI', async () => {
    const { csca } = await sandboxPKI();
    const c = parseCertificate(csca.der);
    expect(c.subject.text).toBe('C=VN, O=chipid sandbox, CN=chipid Sandbox CSCA');
    expect(c.issuer.key).toBe(c.subject.key);
    expect(c.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(c.keyUsage?.keyCertSign && c.keyUsage.cRLSign && !c.keyUsage.digitalSignature).toBe(true);
    expect(c.extensions.find((e) => e.oid === '2.5.29.19')?.critical).toBe(true);
    expect(c.extensions.find((e) => e.oid === '2.5.29.15')?.critical).toBe(true);
    expect(equalBytes(c.subjectKeyId!, c.authorityKeyId!)).toBe(true);
    expect(c.notBefore.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(c.notAfter.toISOString()).toBe('2045-01-01T00:00:00.000Z');
    expect(
      await verifySignature(c.publicKey, signatureScheme(c.signatureAlgorithm), c.tbs, c.signature),
    ).toBe(true);
  });
});

describe('Document Signers', () => {
  it('carry the DS profile and chain to their CSCA', async () => {
    const pki = await sandboxPKI();
    const csca = parseCertificate(pki.csca.der);
    const foreign = parseCertificate(pki.foreignCsca.der);
    const cases = [
      [pki.ds.p256, csca, 'ecPublicKey'],
      [pki.ds.brainpoolP256r1, csca, 'ecPublicKey'],
      [pki.ds.rsa, csca, 'rsa'],
      [pki.dsExpired, csca, 'ecPublicKey'],
      [pki.dsForeign, foreign, 'ecPublicKey'],
    ] as const;
    for (const [ds, issuer] of cases) {
      const c = parseCertificate(ds.der);
      expect(c.subject.country).toBe('VN');
      expect(c.issuer.key).toBe(issuer.subject.key);
      expect(c.keyUsage?.digitalSignature && !c.keyUsage.keyCertSign).toBe(true);
      expect(c.extensions.find((e) => e.oid === '2.5.29.15')?.critical).toBe(true);
      expect(c.basicConstraints?.ca ?? false).toBe(false);
      expect(equalBytes(c.authorityKeyId!, issuer.subjectKeyId!)).toBe(true);
      expect(
        await verifySignature(issuer.publicKey, signatureScheme(c.signatureAlgorithm), c.tbs, c.signature),
      ).toBe(true);
    }
    expect(parseCertificate(pki.ds.rsa.der).signatureAlgorithm.oid).toBe('1.2.840.10045.4.3.2'); // signed by the EC CSCA
    expect(parseCertificate(pki.dsExpired.der).notAfter < new Date('2025-01-01')).toBe(true);
    // The brainpool DS key is on the named curve (RFC 5639 OID).
    expect(toHex(pki.ds.brainpoolP256r1.key.spki)).toContain(
      toHex(Uint8Array.of(0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07)),
    );
  });

  it('are byte-identical across builds (RFC 6979 signatures, seeded keys)', async () => {
    const a = await sandboxPKI();
    const { ds } = a;
    expect(ds.p256.der.length).toBeGreaterThan(300);
    // A fresh build path: sign the same TBS twice with the same key gives the same bytes.
    const sig1 = await ds.p256.key.sign(Uint8Array.of(1, 2, 3));
    const sig2 = await ds.p256.key.sign(Uint8Array.of(1, 2, 3));
    expect(equalBytes(sig1, sig2)).toBe(true);
  });
});

describe('buildCRL', () => {
  it('builds a v2 CRL signed by the CSCA listing the revoked serials', async () => {
    const pki = await sandboxPKI();
    const crl = await buildCRL(
      pki.csca,
      [pki.ds.p256.serial, 77n],
      new Date('2025-01-01T00:00:00Z'),
      new Date('2045-01-01T00:00:00Z'),
    );
    const parsed = parseCRL(crl.der);
    expect(parsed.issuer.text).toBe('C=VN, O=chipid sandbox, CN=chipid Sandbox CSCA');
    const csca = parseCertificate(pki.csca.der);
    expect(
      await verifySignature(
        csca.publicKey,
        signatureScheme(parsed.signatureAlgorithm),
        parsed.tbs,
        parsed.signature,
      ),
    ).toBe(true);
    expect(crl.pem).toContain('-----BEGIN X509 CRL-----');
  });
});

describe.skipIf(!hasOpenSSL)('OpenSSL accepts the sandbox PKI', () => {
  it('x509 -text, verify (chains, expiry, foreign), crl verify and -crl_check', async () => {
    const pki = await sandboxPKI();
    const dir = mkdtempSync(join(tmpdir(), 'chipid-pki-'));
    const f = (name: string, data: string | Uint8Array) => {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    };
    const csca = f('csca.pem', pki.csca.pem);
    const certs = {
      p256: f('ds-p256.pem', pki.ds.p256.pem),
      bp: f('ds-bp.pem', pki.ds.brainpoolP256r1.pem),
      rsa: f('ds-rsa.pem', pki.ds.rsa.pem),
      expired: f('ds-expired.pem', pki.dsExpired.pem),
      foreign: f('ds-foreign.pem', pki.dsForeign.pem),
      foreignCsca: f('foreign-csca.pem', pki.foreignCsca.pem),
    };
    for (const p of [csca, ...Object.values(certs)]) {
      const r = openssl(['x509', '-in', p, '-noout', '-text']);
      expect(r.ok, r.out).toBe(true);
    }
    expect(openssl(['x509', '-in', f('csca.der', pki.csca.der), '-inform', 'DER', '-noout']).ok).toBe(true);
    expect(openssl(['x509', '-in', csca, '-noout', '-text']).out).toContain('CA:TRUE');
    const at = String(Math.floor(Date.parse('2023-06-01T00:00:00Z') / 1000));
    for (const p of [certs.p256, certs.bp, certs.rsa, certs.expired]) {
      const r = openssl(['verify', '-attime', at, '-CAfile', csca, p]);
      expect(r.ok, r.out).toBe(true);
    }
    // Now (after 2024-01-01) the expired DS fails; the foreign DS never chains to the sandbox CSCA.
    expect(openssl(['verify', '-CAfile', csca, certs.expired]).ok).toBe(false);
    expect(openssl(['verify', '-CAfile', csca, certs.p256]).ok).toBe(true);
    expect(openssl(['verify', '-CAfile', csca, certs.foreign]).ok).toBe(false);
    expect(openssl(['verify', '-CAfile', certs.foreignCsca, certs.foreign]).ok).toBe(true);

    const crl = await buildCRL(
      pki.csca,
      [pki.ds.p256.serial],
      new Date('2025-01-01T00:00:00Z'),
      new Date('2045-01-01T00:00:00Z'),
    );
    const crlFile = f('csca.crl', crl.pem);
    const v = openssl(['crl', '-in', crlFile, '-CAfile', csca, '-noout']);
    expect(v.ok && /verify OK/.test(v.out), v.out).toBe(true);
    const revoked = openssl(['verify', '-crl_check', '-CAfile', csca, '-CRLfile', crlFile, certs.p256]);
    expect(revoked.ok).toBe(false);
    expect(revoked.out).toContain('revoked');
    expect(openssl(['verify', '-crl_check', '-CAfile', csca, '-CRLfile', crlFile, certs.bp]).ok).toBe(true);
  });
});

describe('the RSA Document Signer key derives from its published seed', () => {
  it('SANDBOX_DS_RSA_PRIMES are the primes generateRSAKey finds from SANDBOX_PKI_SEEDS.dsRSA', async () => {
    const derived = generateRSAKey(2048, createRandom(SANDBOX_PKI_SEEDS.dsRSA));
    expect({ p: derived.p, q: derived.q }).toEqual(SANDBOX_DS_RSA_PRIMES);
    const { ds } = await sandboxPKI();
    const key = parseCertificate(ds.rsa.der).publicKey;
    expect(key.kind === 'rsa' && key.n).toBe(derived.n);
  });
});
