/**
 * CSCA master lists (Doc 9303 Part 12 §9) against real data — Germany's BSI master list of 2026-05-28
 * and its root "csca-germany" (test/vectors/master-lists, see test/vectors/SOURCES.md) — and against
 * sandbox-made lists.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../crypto/x509.ts';
import { ChipIdError } from '../errors.ts';
import { generateECKey } from '../sandbox/keys.ts';
import { encodeMasterList } from '../sandbox/master-list.ts';
import { issueCertificate, SANDBOX_VALIDITY, sandboxPKI } from '../sandbox/pki.ts';
import { createRandom } from '../sandbox/random.ts';
import { parseMasterList, verifyMasterList } from './master-list.ts';

const v = (p: string) => new Uint8Array(readFileSync(new URL(`../../../test/vectors/${p}`, import.meta.url)));
const DE_ML = v('master-lists/DE_ML_2026-05-28.ml');
const DE_ROOT = v('master-lists/DE_csca-germany_root.cer');
/** Inside the signer's (2024-10-17 → 2028-10-17) and the root's validity. */
const AT = new Date('2026-06-01T00:00:00Z');

const byName = (checks: { name: string; ok: boolean; code?: string }[]) =>
  Object.fromEntries(checks.map((c) => [c.name, c.code ?? 'ok']));

/** Where the signed parts of a DER ContentInfo lie: the CscaMasterList octets and the signed attributes. */
function signedRanges(der: Uint8Array) {
  const ml = parseMasterList(der);
  const find = (part: Uint8Array) => {
    outer: for (let i = 0; i + part.length <= der.length; i++) {
      for (let j = 0; j < part.length; j++) if (der[i + j] !== part[j]) continue outer;
      return i;
    }
    throw new Error('part not found');
  };
  const content = { start: find(ml.eContent), length: ml.eContent.length };
  // The signed attributes sit in the DER as [0] IMPLICIT; their contents are the SET's after the tag.
  const attrsBody = ml.signerInfo.signedAttributes!.subarray(1);
  const attrs = { start: find(attrsBody) - 1, length: attrsBody.length + 1 };
  return { content, attrs };
}

describe('the German master list (real data)', () => {
  it('verifies against its root and yields 588 CSCAs of 112 countries, one Vietnamese', async () => {
    const report = await verifyMasterList(DE_ML, { roots: [DE_ROOT], at: AT });
    expect(byName(report.checks)).toEqual({
      'ml.parse': 'ok',
      'ml.content-type': 'ok',
      'ml.signed-attributes': 'ok',
      'ml.signer.present': 'ok',
      'ml.signature': 'ok',
      'ml.signer.chain': 'ok',
      'ml.root.validity': 'ok',
      'ml.signer.profile': 'ok',
      'ml.signer.validity': 'ok',
    });
    expect(report.valid).toBe(true);
    expect(report.signatureAlgorithm).toBe('ecdsa-SHA-256');
    expect(report.signer?.subject.text).toBe(
      'C=DE, O=bund, OU=bsi, SERIALNUMBER=0039, CN=CSCA Master List Signer',
    );
    expect(report.root?.subject.text).toBe('C=DE, O=bund, OU=bsi, CN=csca-germany');
    expect(report.masterList?.signingTime?.toISOString()).toBe('2026-05-28T06:28:45.000Z');
    expect(report.masterList?.unreadable).toEqual([]);
    expect(report.cscas).toHaveLength(588);
    expect(new Set(report.cscas.map((c) => c.subject.country)).size).toBe(112);
    // Self-signed CSCAs (issuer = subject, same key identifier) and link certificates (Part 12 §5.5).
    const selfSigned = report.cscas.filter(
      (c) =>
        c.issuer.key === c.subject.key &&
        (!c.authorityKeyId ||
          !c.subjectKeyId ||
          Buffer.from(c.authorityKeyId).equals(Buffer.from(c.subjectKeyId))),
    );
    expect([selfSigned.length, report.cscas.length - selfSigned.length]).toEqual([375, 213]);
    const vn = report.cscas.filter((c) => c.subject.country === 'VN');
    expect(vn.map((c) => c.subject.text)).toEqual([
      'C=VN, O=Vietnam Government Information Security Commission, CN=CSCA ePassport Vietnam',
    ]);
    // Explicit EC parameters in the certificate, recognised as brainpoolP512r1.
    expect(vn[0]!.publicKey.kind === 'ec' && vn[0]!.publicKey.curve.name).toBe('brainpoolP512r1');
    expect(vn[0]!.notAfter.toISOString()).toBe('2037-10-01T01:37:06.000Z');
  });

  it('is refused against another root (the sandbox CSCA; the signer itself) and with no root', async () => {
    const pki = await sandboxPKI();
    for (const roots of [[pki.csca.der], [parseMasterList(DE_ML).signer!], []]) {
      const report = await verifyMasterList(DE_ML, { roots, at: AT });
      expect(report.valid).toBe(false);
      expect(byName(report.checks)['ml.signer.chain']).toBe('ml_signer_untrusted');
      expect(byName(report.checks)['ml.signature']).toBe('ok');
      expect(report.cscas).toEqual([]);
    }
  });

  it('is refused after the signer expired (validation time pinned to 2029)', async () => {
    const report = await verifyMasterList(DE_ML, { roots: [DE_ROOT], at: new Date('2029-01-01') });
    expect(report.valid).toBe(false);
    expect(byName(report.checks)['ml.signer.validity']).toBe('ml_signer_expired');
    expect(report.cscas).toEqual([]);
  });

  it('is refused with one byte changed in the list content, in the signed attributes or in the signature', async () => {
    const { content, attrs } = signedRanges(DE_ML);
    const sig = parseMasterList(DE_ML).signerInfo.signature;
    // Offsets across the whole signed content (every CSCA region), the signed attributes and the signature.
    const offsets = [
      content.start,
      content.start + 7,
      content.start + Math.floor(content.length / 3),
      content.start + Math.floor(content.length / 2) + 11,
      content.start + content.length - 1,
      attrs.start + 3,
      attrs.start + attrs.length - 1,
      DE_ML.length - 5, // inside the signature value (the file ends with it)
    ];
    expect(DE_ML.length - sig.length).toBeLessThan(DE_ML.length - 5);
    for (const at of offsets) {
      const bad = DE_ML.slice();
      bad[at]! ^= 0x01;
      const report = await verifyMasterList(bad, { roots: [DE_ROOT], at: AT });
      expect(report.valid, `offset ${at}`).toBe(false);
      expect(report.cscas).toEqual([]);
      const failed = report.checks.filter((c) => !c.ok).map((c) => c.code);
      expect(failed.length, `offset ${at}`).toBeGreaterThan(0);
      expect(
        failed.every((c) => c?.startsWith('ml_')),
        `offset ${at}`,
      ).toBe(true);
    }
  }, 120_000);

  it('parses the CMS structure: the signer and its root ride along; PEM (CMS) input reads the same', () => {
    const ml = parseMasterList(DE_ML);
    expect(ml.version).toBe(0);
    expect(ml.certificates.map((c) => c.subject.text)).toEqual([
      'C=DE, O=bund, OU=bsi, SERIALNUMBER=0039, CN=CSCA Master List Signer',
      'C=DE, O=bund, OU=bsi, CN=csca-germany',
    ]);
    const pem = `-----BEGIN CMS-----\n${Buffer.from(DE_ML).toString('base64')}\n-----END CMS-----\n`;
    expect(parseMasterList(pem).cscas).toHaveLength(588);
  });
});

describe('parseMasterList on garbage', () => {
  it('an SOD, a certificate, an empty file are ERR_MASTERLIST_INVALID', () => {
    for (const bad of [new Uint8Array(), DE_ROOT, Uint8Array.of(0x30, 0x03, 0x06, 0x01, 0x00)]) {
      expect(() => parseMasterList(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_MASTERLIST_INVALID' }) as unknown as Error,
      );
    }
  });

  it('random bytes and truncations only ever give ERR_MASTERLIST_INVALID (verify: ml_invalid)', async () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          parseMasterList(b);
        } catch (e) {
          expect(e).toBeInstanceOf(ChipIdError);
          expect((e as ChipIdError).code).toBe('ERR_MASTERLIST_INVALID');
        }
      }),
      { numRuns: 300 },
    );
    for (const n of [1, 10, 100, 5000, DE_ML.length - 1]) {
      const report = await verifyMasterList(DE_ML.subarray(0, n), { roots: [DE_ROOT], at: AT });
      expect(byName(report.checks)).toEqual({ 'ml.parse': 'ml_invalid' });
    }
  });
});

describe('sandbox-made master lists', () => {
  async function signerSetup(opts: { eku?: readonly string[] } = {}) {
    const pki = await sandboxPKI();
    const signer = await issueCertificate({
      serial: 0x3a5001n,
      issuer: pki.csca.subject,
      subject: [
        { type: 'C', value: 'VN' },
        { type: 'O', value: 'chipid sandbox' },
        { type: 'CN', value: 'chipid Sandbox Master List Signer' },
      ],
      ...SANDBOX_VALIDITY.ds,
      key: generateECKey('brainpoolP256r1', createRandom('master-list-test-signer')),
      issuerKey: pki.csca.key,
      ca: false,
      extendedKeyUsage: opts.eku ?? ['2.23.136.1.1.3'],
    });
    return { pki, signer };
  }

  it('a list signed by a sandbox Master List Signer verifies against the sandbox CSCA', async () => {
    const { pki, signer } = await signerSetup();
    const der = await encodeMasterList({
      signer,
      cscas: [pki.csca.der, pki.foreignCsca.der],
      signingTime: new Date('2025-03-01T00:00:00Z'),
      certificates: [pki.csca.der],
    });
    const report = await verifyMasterList(der, { roots: [pki.csca.pem], at: new Date('2025-06-01') });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.cscas.map((c) => c.subject.text).sort()).toEqual(
      [pki.csca.der, pki.foreignCsca.der].map((d) => parseCertificate(d).subject.text).sort(),
    );
    expect(report.masterList?.signingTime?.toISOString()).toBe('2025-03-01T00:00:00.000Z');
  });

  it("a signer under the publishing CSCA's new key verifies against the old root through the link certificate the list carries", async () => {
    const name = [
      { type: 'C', value: 'VN' },
      { type: 'CN', value: 'Rolled-over publishing CSCA' },
    ] as const;
    const oldKey = generateECKey('p256', createRandom('ml-publisher-old'));
    const newKey = generateECKey('brainpoolP256r1', createRandom('ml-publisher-new'));
    const ca = (key: typeof oldKey, issuerKey: typeof oldKey, serial: bigint) =>
      issueCertificate({
        serial,
        issuer: [...name],
        subject: [...name],
        ...SANDBOX_VALIDITY.csca,
        key,
        issuerKey,
        ca: true,
      });
    const oldRoot = await ca(oldKey, oldKey, 1n);
    const link = await ca(newKey, oldKey, 2n);
    const signer = await issueCertificate({
      serial: 3n,
      issuer: [...name],
      subject: [{ type: 'CN', value: 'Signer under the new key' }],
      ...SANDBOX_VALIDITY.ds,
      key: generateECKey('p256', createRandom('ml-publisher-signer')),
      issuerKey: newKey,
      ca: false,
      extendedKeyUsage: ['2.23.136.1.1.3'],
    });
    const at = new Date('2025-06-01');
    const withLink = await encodeMasterList({
      signer,
      cscas: [oldRoot.der],
      signingTime: at,
      certificates: [link.der],
    });
    const ok = await verifyMasterList(withLink, { roots: [oldRoot.der], at });
    expect(ok.checks.filter((c) => !c.ok)).toEqual([]);
    expect(ok.checks.find((c) => c.name === 'ml.signer.chain')?.detail).toBe(
      'through 1 CSCA link certificate',
    );
    expect(ok.root?.raw).toEqual(oldRoot.der);
    // Without the link certificate the old root alone does not vouch for the new key.
    const withoutLink = await encodeMasterList({ signer, cscas: [oldRoot.der], signingTime: at });
    const refused = await verifyMasterList(withoutLink, { roots: [oldRoot.der], at });
    expect(byName(refused.checks)['ml.signer.chain']).toBe('ml_signer_untrusted');
    // A "link" signed by some other key (same name, the old key's identifier claimed) is not followed.
    const forger = generateECKey('p256', createRandom('ml-publisher-forger'));
    const forged = await issueCertificate({
      serial: 4n,
      issuer: [...name],
      subject: [...name],
      ...SANDBOX_VALIDITY.csca,
      key: newKey,
      issuerKey: forger,
      authorityKeyId: oldRoot.ski,
      ca: true,
    });
    const withForged = await encodeMasterList({
      signer,
      cscas: [forged.der],
      signingTime: at,
      certificates: [forged.der],
    });
    expect(
      byName((await verifyMasterList(withForged, { roots: [oldRoot.der], at })).checks)['ml.signer.chain'],
    ).toBe('ml_signer_untrusted');
  });

  it('a signer without the master-list extended key usage → ml_signer_invalid', async () => {
    const { pki, signer } = await signerSetup({ eku: ['1.3.6.1.5.5.7.3.4'] });
    const der = await encodeMasterList({
      signer,
      cscas: [pki.csca.der],
      signingTime: new Date('2025-03-01'),
    });
    const report = await verifyMasterList(der, { roots: [pki.csca.der], at: new Date('2025-06-01') });
    expect(report.valid).toBe(false);
    expect(byName(report.checks)['ml.signer.profile']).toBe('ml_signer_invalid');
  });

  it('a signer from a look-alike root (same name, another key) → ml_signer_untrusted', async () => {
    const { pki } = await signerSetup();
    const fakeKey = generateECKey('p256', createRandom('master-list-test-fake-root'));
    const signer = await issueCertificate({
      serial: 0x3a5002n,
      issuer: pki.csca.subject,
      subject: [{ type: 'CN', value: 'Fake signer' }],
      ...SANDBOX_VALIDITY.ds,
      key: fakeKey,
      issuerKey: fakeKey,
      authorityKeyId: pki.csca.ski,
      ca: false,
      extendedKeyUsage: ['2.23.136.1.1.3'],
    });
    const der = await encodeMasterList({
      signer,
      cscas: [pki.csca.der],
      signingTime: new Date('2025-03-01'),
    });
    const report = await verifyMasterList(der, { roots: [pki.csca.der], at: new Date('2025-06-01') });
    expect(byName(report.checks)['ml.signature']).toBe('ok');
    expect(byName(report.checks)['ml.signer.chain']).toBe('ml_signer_untrusted');
    expect(report.valid).toBe(false);
  });
});
