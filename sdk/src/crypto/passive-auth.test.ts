/**
 * Passive authentication against real chip data:
 * - Slovenian passport SOD + DS + CSCA (ZeroPass/port-py-server test vectors; see test/vectors/SOURCES.md),
 *   sha256WithRSAEncryption, chain valid only "as of" 2020-01-01.
 * - BSI TR-03105-5 reference data set SOD (RSASSA-PSS / SHA-256), CSCA not published.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChipIdError } from '../errors.ts';
import type { ChipDump } from '../icao/dump.ts';
import { parseSOD } from '../icao/sod.ts';
import { parseCRL } from './crl.ts';
import { parseSPKI } from './keys.ts';
import { createTrustStore, verifyPassive } from './passive-auth.ts';
import { signatureScheme, verifySignature } from './signature.ts';
import { parseCertificate } from './x509.ts';

const v = (p: string) => new Uint8Array(readFileSync(new URL(`../../../test/vectors/${p}`, import.meta.url)));
const SI = {
  sod: v('slovenia-passport/ef.sod_si_454CB206.bin'),
  dg15: v('slovenia-passport/ef.dg15_ef.sod_si_454CB206.bin'),
  csca: v('slovenia-passport/csca_si_448831f1.cer'),
  dsc: v('slovenia-passport/dsc_si_448833b8.cer'),
};
const BSI = {
  sod: v('bsi-tr03105/EF_SOD.bin'),
  dg1: v('bsi-tr03105/Datagroup1.bin'),
  dg2: v('bsi-tr03105/Datagroup2.bin'),
  dg14: v('bsi-tr03105/Datagroup14.bin'),
  dg15: v('bsi-tr03105/Datagroup15.bin'),
};
const AS_OF = new Date('2020-01-01T00:00:00Z');
// The Slovenian data has no DG1: a minimal TD3 DG1 with issuing state SVN stands in for the country
// check only (its hash is expected NOT to match the SOD).
const SI_DG1 = new Uint8Array([0x61, 0x08, 0x5f, 0x1f, 0x05, ...new TextEncoder().encode('P<SVN')]);

const byName = (checks: { name: string; ok: boolean; code?: string; skipped?: true }[]) =>
  Object.fromEntries(
    checks.map((c) => [c.name, c.ok ? 'ok' : (c.code ?? (c.skipped ? 'skipped' : 'failed'))]),
  );

const flip = (b: Uint8Array, i: number) => {
  const c = b.slice();
  c[i]! ^= 0x01;
  return c;
};

describe('X.509 and SOD parsing (real data)', () => {
  it('parses the Slovenian CSCA and DS certificates', () => {
    const csca = parseCertificate(SI.csca);
    const ds = parseCertificate(SI.dsc);
    expect(csca.subject.country).toBe('SI');
    expect(csca.basicConstraints?.ca).toBe(true);
    expect(csca.keyUsage?.keyCertSign).toBe(true);
    expect(ds.issuer.key).toBe(csca.subject.key);
    expect(ds.keyUsage?.digitalSignature).toBe(true);
    expect(ds.notBefore.toISOString()).toBe(
      '2014-05-08T00:00:00.000Z'.slice(0, 10) + ds.notBefore.toISOString().slice(10),
    );
    expect(ds.publicKey.kind).toBe('rsa');
  });

  it('a certificate (or CRL) whose outer signature algorithm differs from its signed copy is refused (RFC 5280 §4.1.1.2)', async () => {
    // sha256WithRSAEncryption (1.2.840.113549.1.1.11) outside → sha384WithRSAEncryption (…1.12): the
    // outer field is not signed, and it chooses the hash.
    const oid = Buffer.from('2a864886f70d01010b', 'hex');
    const outer = Buffer.from(SI.dsc).lastIndexOf(oid);
    expect(outer).toBeGreaterThan(Buffer.from(SI.dsc).indexOf(oid)); // the inner copy comes first
    const changed = SI.dsc.slice();
    changed[outer + oid.length - 1] = 0x0c;
    expect(() => parseCertificate(changed)).toThrow(/signature algorithm differs from its signed copy/);
    const { sandboxPKI } = await import('../sandbox/index.ts');
    const { buildCRL } = await import('../sandbox/pki.ts');
    const crl = (await buildCRL((await sandboxPKI()).csca, [1n], new Date(), new Date(Date.now() + 1e9))).der;
    const ecdsaSha256 = Buffer.from('2a8648ce3d040302', 'hex'); // the sandbox CSCA signs ecdsa-with-SHA256
    const at = Buffer.from(crl).lastIndexOf(ecdsaSha256);
    expect(at).toBeGreaterThan(Buffer.from(crl).indexOf(ecdsaSha256));
    const bad = crl.slice();
    bad[at + ecdsaSha256.length - 1] = 0x03;
    expect(() => parseCRL(bad)).toThrow(/signature algorithm differs from its signed copy/);
    expect(parseCRL(crl).revoked.size).toBe(1);
  });

  it('parses the SODs: hash algorithm, data group list, DS certificate', () => {
    const si = parseSOD(SI.sod);
    expect(si.hashAlgorithm).toBe('SHA-256');
    expect([...si.dataGroupHashes.keys()]).toEqual([1, 2, 3, 14, 15]);
    expect(si.documentSigner?.raw).toEqual(SI.dsc);
    const bsi = parseSOD(BSI.sod);
    expect([...bsi.dataGroupHashes.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 14]);
    expect(bsi.documentSigner?.subject.text).toContain('CN=HJP PB DS');
  });
});

describe('passive authentication', () => {
  it('Slovenian passport: signature, chain, DG15 hash all verify as of 2020-01-01', async () => {
    const r = await verifyPassive(
      { sod: SI.sod, dg1: SI_DG1, dg15: SI.dg15 },
      { cscas: [SI.csca], at: AS_OF },
    );
    const c = byName(r.checks);
    expect(c).toMatchObject({
      'sod.parse': 'ok',
      'sod.signed-attributes': 'ok',
      'sod.signature': 'ok',
      'ds.chain': 'ok',
      'ds.validity': 'ok',
      'csca.validity': 'ok',
      'ds.profile': 'ok',
      country: 'ok',
      'dg15.hash': 'ok',
      'dg1.hash': 'dg_hash_mismatch',
    });
    expect(r.signatureAlgorithm).toBe('rsa-pkcs1-v1_5-SHA-256');
    expect(r.valid).toBe(false);
  });

  it('the same chain is expired today (validation time matters)', async () => {
    const r = await verifyPassive(
      { sod: SI.sod, dg1: SI_DG1, dg15: SI.dg15 },
      { cscas: [SI.csca], at: new Date('2026-01-01') },
    );
    const c = byName(r.checks);
    expect(c['ds.validity']).toBe('ds_expired');
    expect(c['csca.validity']).toBe('csca_expired');
  });

  it('BSI TR-03105: RSASSA-PSS SOD signature and DG hashes verify; chain untrusted without its CSCA', async () => {
    const dump: ChipDump = { sod: BSI.sod, dg1: BSI.dg1, dg2: BSI.dg2, dg14: BSI.dg14 };
    const r = await verifyPassive(dump, { cscas: [SI.csca], at: new Date('2014-06-01') });
    const c = byName(r.checks);
    expect(r.signatureAlgorithm).toBe('rsassa-pss-SHA-256');
    // The DS key is used only once a trusted CSCA vouches for it (issue 19): here none does, so the
    // SOD signature is not checked; the signature itself verifies with the DS key (checked directly).
    const sod = parseSOD(BSI.sod);
    const si = sod.signerInfo;
    expect(
      await verifySignature(
        sod.documentSigner!.publicKey,
        signatureScheme(si.signatureAlgorithm, si.digestAlgorithm),
        si.signedAttributes!,
        si.signature,
      ),
    ).toBe(true);
    expect(c).toMatchObject({
      'sod.signature': 'skipped',
      'ds.chain': 'ds_untrusted',
      country: 'ok',
      'dg1.hash': 'ok',
      'dg2.hash': 'ok',
      'dg14.hash': 'ok',
    });
  });

  it('a DG the SOD does not list is reported (BSI DG15 is not covered by its SOD)', async () => {
    const r = await verifyPassive(
      { sod: BSI.sod, dg1: BSI.dg1, dg15: BSI.dg15 },
      { cscas: [], at: new Date('2014-06-01') },
    );
    expect(byName(r.checks)['dg15.hash']).toBe('dg_not_in_sod');
  });

  describe('tamper matrix (each change rejected with its code)', () => {
    const base = { sod: SI.sod, dg1: SI_DG1, dg15: SI.dg15 };
    const run = async (d: ChipDump) =>
      byName((await verifyPassive(d, { cscas: [SI.csca], at: AS_OF })).checks);
    const sod = parseSOD(SI.sod);
    const offsetOf = (part: Uint8Array) => part.byteOffset - SI.sod.byteOffset;

    it('DG15 flipped → dg_hash_mismatch', async () => {
      expect((await run({ ...base, dg15: flip(SI.dg15, 40) }))['dg15.hash']).toBe('dg_hash_mismatch');
    });
    it('SOD content (a DG hash) flipped → signed attributes fail', async () => {
      const i = offsetOf(sod.dataGroupHashes.get(2)!);
      const c = await run({ ...base, sod: flip(SI.sod, i) });
      expect(c['sod.signed-attributes']).toBe('sod_signed_attributes_invalid');
      expect(c['sod.signature']).toBe('sod_signature_invalid');
    });
    it('SOD signature flipped → sod_signature_invalid', async () => {
      const i = offsetOf(sod.signerInfo.signature) + 10;
      const c = await run({ ...base, sod: flip(SI.sod, i) });
      expect(c['sod.signed-attributes']).toBe('ok');
      expect(c['sod.signature']).toBe('sod_signature_invalid');
    });
    it('DS certificate (inside the SOD) flipped → ds_untrusted', async () => {
      const ds = sod.documentSigner!;
      const i = offsetOf(ds.tbs) + ds.tbs.length - 40; // inside the extensions
      const c = await run({ ...base, sod: flip(SI.sod, i) });
      expect(c['ds.chain']).toBe('ds_untrusted');
    });
    // Fields outside the signature that RFC 5652 / Doc 9303 fix: a change there must not pass.
    const find = (hay: Uint8Array, needle: number[], from = 0) => {
      for (let i = from; i <= hay.length - needle.length; i++)
        if (needle.every((b, k) => hay[i + k] === b)) return i;
      throw new Error('pattern not found');
    };
    const signedDataOid = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    const versionAt = find(SI.sod, [0x02, 0x01, 0x03], find(SI.sod, signedDataOid));
    it('SignedData version 3 → 2 (unsigned, fixed by RFC 5652 §5.1) → sod_invalid', async () => {
      const bad = SI.sod.slice();
      bad[versionAt + 2] = 2;
      expect(() => parseSOD(bad)).toThrow(/SignedData version/);
      const c = await run({ ...base, sod: bad });
      expect(Object.values(c)).toContain('sod_invalid');
    });
    it('SignedData re-tagged SEQUENCE → SET → sod_invalid', () => {
      const at = find(SI.sod, [0xa0], find(SI.sod, signedDataOid) + signedDataOid.length);
      const seqAt = find(SI.sod, [0x30], at + 1); // [0] EXPLICIT, its length, then SignedData's tag
      const bad = SI.sod.slice();
      bad[seqAt] = 0x31;
      expect(() => parseSOD(bad)).toThrow(/SignedData is not a SEQUENCE/);
    });
    it("digestAlgorithms not listing the signer's digest algorithm → sod_invalid", () => {
      // version (02 01 03), then SET { SEQUENCE { OID … } }: short lengths in these SODs.
      const oidLenAt = versionAt + 3 + 2 + 2 + 1;
      const lastOidByte = oidLenAt + SI.sod[oidLenAt]!;
      const bad = SI.sod.slice();
      bad[lastOidByte] = bad[lastOidByte]! ^ 0x03;
      expect(() => parseSOD(bad)).toThrow(/digestAlgorithms/);
    });
    it('SignerInfo version not matching its signer identifier (RFC 5652 §5.3) → sod_invalid', () => {
      const siVersion = sod.signerInfo.version;
      const at = find(SI.sod, [0x02, 0x01, siVersion], offsetOf(sod.eContent) + sod.eContent.length);
      const bad = SI.sod.slice();
      bad[at + 2] = siVersion === 1 ? 3 : 1;
      expect(() => parseSOD(bad)).toThrow(/SignerInfo version/);
    });
    it('LDSSecurityObject version other than v0/v1 → sod_invalid', () => {
      const at = find(SI.sod, [0x02, 0x01, sod.version], offsetOf(sod.eContent));
      const bad = SI.sod.slice();
      bad[at + 2] = 7;
      expect(() => parseSOD(bad)).toThrow(/LDSSecurityObject version/);
    });
    it('wrong trust anchor → ds_untrusted', async () => {
      const r = await verifyPassive(base, { cscas: [], at: AS_OF });
      expect(byName(r.checks)['ds.chain']).toBe('ds_untrusted');
    });
    it('country mismatch (DG1 says another state) → country_mismatch', async () => {
      const dg1 = new Uint8Array([0x61, 0x08, 0x5f, 0x1f, 0x05, ...new TextEncoder().encode('P<HRV')]);
      expect((await run({ ...base, dg1 })).country).toBe('country_mismatch');
    });
  });

  it('trust store caches the chain verdict per DS', async () => {
    const trust = createTrustStore({ cscas: [SI.csca] });
    await verifyPassive({ sod: SI.sod, dg1: SI_DG1 }, { trust, at: AS_OF });
    expect(trust.chainCache.size).toBe(1);
    await verifyPassive({ sod: SI.sod, dg1: SI_DG1 }, { trust, at: AS_OF });
    expect(trust.chainCache.size).toBe(1);
  });

  it('property: mutated SODs never throw — every failure is a check', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(SI.sod.length - 1), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const sod = SI.sod.slice();
        sod[i]! ^= x;
        const r = await verifyPassive({ sod, dg1: SI_DG1, dg15: SI.dg15 }, { cscas: [SI.csca], at: AS_OF });
        expect(r.valid).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('property: random and truncated bytes into every parser only give ChipIdError', () => {
    const parsers = [parseSOD, parseCertificate, parseCRL, parseSPKI] as ((b: Uint8Array) => unknown)[];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.nat(SI.sod.length).map((n) => SI.sod.subarray(0, n)),
          fc.nat(SI.dsc.length).map((n) => SI.dsc.subarray(0, n)),
        ),
        (bytes) => {
          for (const p of parsers) {
            try {
              p(bytes);
            } catch (e) {
              expect(e).toBeInstanceOf(ChipIdError);
            }
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('CRLs in the trust store (sandbox PKI)', () => {
  /** The sandbox PKI, a `valid` card of it and the sandbox's CRL builder. */
  async function sandboxCard() {
    const { makeCard, sandboxPKI } = await import('../sandbox/index.ts');
    const { buildCRL } = await import('../sandbox/pki.ts');
    const { parseDump } = await import('../icao/dump.ts');
    const pki = await sandboxPKI();
    const chip = parseDump((await makeCard({ profile: 'valid', seed: 'crl' })).dump);
    return { pki, chip, buildCRL };
  }

  it('a Document Signer on the CSCA CRL → ds_revoked, whether the CRL is given as PEM or parsed; one not listed passes', async () => {
    const { pki, chip, buildCRL } = await sandboxCard();
    const from = new Date('2025-01-01T00:00:00Z');
    const until = new Date('2045-01-01T00:00:00Z');
    const listing = await buildCRL(pki.csca, [pki.ds.p256.serial], from, until);
    const other = await buildCRL(pki.csca, [77n], from, until, 2n);
    const revocation = async (crls: NonNullable<Parameters<typeof createTrustStore>[0]['crls']>) =>
      byName(
        (await verifyPassive(chip, { trust: createTrustStore({ cscas: [pki.csca.der], crls }) })).checks,
      )['ds.revocation'];
    expect(await revocation([listing.pem])).toBe('ds_revoked');
    expect(await revocation([parseCRL(listing.der)])).toBe('ds_revoked');
    expect(await revocation([other.pem])).toBe('ok');
    expect(() => createTrustStore({ cscas: [], crls: [{} as never] })).toThrow(/a CRL must be/);
  });

  it("revocation 'required': no current CRL of the CSCA → crl_unavailable; a listed serial is ds_revoked on any CRL", async () => {
    const { pki, chip, buildCRL } = await sandboxCard();
    const at = new Date('2030-06-01T00:00:00Z');
    const crl = (serials: bigint[], from: string, until: string) =>
      buildCRL(pki.csca, serials, new Date(from), new Date(until)).then((c) => c.pem);
    const current = await crl([77n], '2030-01-01', '2030-12-31');
    const stale = await crl([77n], '2029-01-01', '2029-12-31'); // nextUpdate before `at`
    const staleListing = await crl([pki.ds.p256.serial], '2029-01-01', '2029-12-31');
    const revocation = async (crls: string[], mode?: 'required' | 'if-available') => {
      const r = await verifyPassive(chip, {
        trust: createTrustStore({ cscas: [pki.csca.der], crls }),
        at,
        ...(mode ? { revocation: mode } : {}),
      });
      return [byName(r.checks)['ds.revocation'], r.valid];
    };
    expect(await revocation([], 'required')).toEqual(['crl_unavailable', false]);
    expect(await revocation([stale], 'required')).toEqual(['crl_unavailable', false]);
    expect(await revocation([stale, current], 'required')).toEqual(['ok', true]);
    expect(await revocation([staleListing], 'required')).toEqual(['ds_revoked', false]);
    expect(await revocation([staleListing])).toEqual(['ds_revoked', false]);
    // The default checks against what there is, and says nothing without a CRL.
    expect(await revocation([])).toEqual([undefined, true]);
    expect(await revocation([stale])).toEqual(['ok', true]);
  });
});
