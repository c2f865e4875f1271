/**
 * CSCA key rollover (Doc 9303 Part 12 §5.5): a CSCA link certificate certifies the new CSCA key with
 * the old one, so Document Signers issued under either key chain to the old self-signed CSCA. Rollovers
 * are made here with the sandbox's `issueCertificate`; the chip data is a sandbox card re-signed under
 * each Document Signer.
 */
import { describe, expect, it } from 'vitest';
import { decodeDump } from '../icao/dump.ts';
import { makeCard } from '../sandbox/factory.ts';
import { generateECKey, type SandboxKey } from '../sandbox/keys.ts';
import { encodeSOD } from '../sandbox/lds.ts';
import { type IssuedCertificate, issueCertificate, type NameAttribute } from '../sandbox/pki.ts';
import { createRandom } from '../sandbox/random.ts';
import { createTrustStore, verifyPassive } from './passive-auth.ts';

const name = (cn: string, c = 'VN'): NameAttribute[] => [
  { type: 'C', value: c },
  { type: 'O', value: 'chipid rollover test' },
  { type: 'CN', value: cn },
];
const CSCA_NAME = name('Rollover CSCA');
const VALID = { notBefore: new Date('2020-01-01'), notAfter: new Date('2040-01-01') };
const AT = new Date('2025-06-01');
const key = (seed: string, curve: 'p256' | 'brainpoolP256r1' = 'p256') =>
  generateECKey(curve, createRandom(`rollover-${seed}`));

const ca = (
  subject: NameAttribute[],
  k: SandboxKey,
  issuer: NameAttribute[],
  issuerKey: SandboxKey,
  serial: bigint,
  validity = VALID,
) => issueCertificate({ serial, issuer, subject, ...validity, key: k, issuerKey, ca: true });

const ds = (issuer: IssuedCertificate, serial: bigint, seed: string) =>
  issueCertificate({
    serial,
    issuer: issuer.subject,
    subject: [
      ...name(`DS ${seed}`).slice(0, 2),
      { type: 'OU', value: 'Document Signer' },
      { type: 'CN', value: seed },
    ],
    notBefore: new Date('2021-01-01'),
    notAfter: new Date('2035-01-01'),
    key: key(seed),
    issuerKey: issuer.key,
    ca: false,
  });

/** The sandbox `valid` card's data groups under a new SOD signed by `signer`. */
async function cardSignedBy(signer: IssuedCertificate) {
  const card = await makeCard({ profile: 'valid', seed: 'rollover' });
  const { aa: _aa, ...dump } = decodeDump(card.dump);
  const dataGroups = new Map<number, Uint8Array>([[1, dump.dg1]]);
  for (const [n, bytes] of [
    [2, dump.dg2],
    [13, dump.dg13],
    [14, dump.dg14],
    [15, dump.dg15],
  ] as const)
    if (bytes) dataGroups.set(n, bytes);
  return { ...dump, sod: await encodeSOD({ dataGroups, ds: signer, signingTime: new Date('2024-01-01') }) };
}

async function rollover() {
  const oldKey = key('old-csca');
  const newKey = key('new-csca', 'brainpoolP256r1');
  const oldCsca = await ca(CSCA_NAME, oldKey, CSCA_NAME, oldKey, 1n);
  const newCsca = await ca(CSCA_NAME, newKey, CSCA_NAME, newKey, 2n);
  // The link certificate: the new key under the CSCA's name, issued (signed) by the old key.
  const link = await ca(CSCA_NAME, newKey, CSCA_NAME, oldKey, 3n);
  const dsOld = await ds({ ...oldCsca, key: oldKey }, 10n, 'under-old');
  const dsNew = await ds({ ...newCsca, key: newKey }, 11n, 'under-new');
  return { oldKey, newKey, oldCsca, newCsca, link, dsOld, dsNew };
}

const outcome = (r: { checks: { name: string; ok: boolean; code?: string }[] }) =>
  Object.fromEntries(
    r.checks
      .filter((c) => c.name.startsWith('ds.') || c.name.startsWith('csca.'))
      .map((c) => [c.name, c.code ?? 'ok']),
  );

describe('CSCA link certificates', () => {
  it('with the old CSCA and the link certificate loaded, a DS under the old key and one under the new key both verify', async () => {
    const r = await rollover();
    const trust = createTrustStore({ cscas: [r.oldCsca.der, r.link.pem] });
    const underOld = await verifyPassive(await cardSignedBy(r.dsOld), { trust, at: AT });
    const underNew = await verifyPassive(await cardSignedBy(r.dsNew), { trust, at: AT });
    expect(underOld.checks.filter((c) => !c.ok)).toEqual([]);
    expect(underNew.checks.filter((c) => !c.ok)).toEqual([]);
    expect(underOld.valid && underNew.valid).toBe(true);
    expect(underOld.csca?.raw).toEqual(r.oldCsca.der);
    expect(underNew.csca?.raw).toEqual(r.link.der);
    expect(underNew.checks.find((c) => c.name === 'ds.chain')?.detail).toBe(
      'through 1 CSCA link certificate',
    );
  });

  it('the link certificate alone (old CSCA not trusted) does not make the new key trusted', async () => {
    const r = await rollover();
    const trust = createTrustStore({ cscas: [r.link.der] });
    const report = await verifyPassive(await cardSignedBy(r.dsNew), { trust, at: AT });
    expect(outcome(report)['ds.chain']).toBe('ds_untrusted');
    expect(report.valid).toBe(false);
  });

  it('the old CSCA alone does not trust a DS under the new key', async () => {
    const r = await rollover();
    const report = await verifyPassive(await cardSignedBy(r.dsNew), { cscas: [r.oldCsca.der], at: AT });
    expect(outcome(report)['ds.chain']).toBe('ds_untrusted');
  });

  it("a forged link certificate (the CSCA's name and the old key's identifier, signed by another key) is not followed", async () => {
    const r = await rollover();
    const attacker = key('attacker');
    const forged = await issueCertificate({
      serial: 4n,
      issuer: CSCA_NAME,
      subject: CSCA_NAME,
      ...VALID,
      key: attacker,
      issuerKey: attacker,
      authorityKeyId: r.oldCsca.ski,
      ca: true,
    });
    const dsEvil = await ds({ ...forged, key: attacker }, 12n, 'under-attacker');
    const trust = createTrustStore({ cscas: [r.oldCsca.der, forged.der] });
    const report = await verifyPassive(await cardSignedBy(dsEvil), { trust, at: AT });
    expect(outcome(report)['ds.chain']).toBe('ds_untrusted');
  });

  it('a rollover that renames the CSCA (link: new name, issued by the old name) is followed; another country is not', async () => {
    const r = await rollover();
    const renamed = name('Rollover CSCA 2');
    const link = await ca(renamed, r.newKey, CSCA_NAME, r.oldKey, 5n);
    const dsNew = await ds({ ...link, key: r.newKey }, 13n, 'under-renamed');
    const ok = await verifyPassive(await cardSignedBy(dsNew), { cscas: [r.oldCsca.der, link.der], at: AT });
    expect(ok.checks.filter((c) => !c.ok)).toEqual([]);
    // A "link" that moves the key to another state (C=LA) is not a rollover of this CSCA.
    const lao = name('Rollover CSCA', 'LA');
    const foreignLink = await ca(lao, r.newKey, CSCA_NAME, r.oldKey, 6n);
    const dsLao = await ds({ ...foreignLink, key: r.newKey }, 14n, 'under-lao');
    const refused = await verifyPassive(await cardSignedBy(dsLao), {
      cscas: [r.oldCsca.der, foreignLink.der],
      at: AT,
    });
    expect(outcome(refused)['ds.chain']).toBe('ds_untrusted');
  });

  it('every certificate of the path must be within validity: the old CSCA expired → csca_expired', async () => {
    const oldKey = key('old-csca');
    const newKey = key('new-csca', 'brainpoolP256r1');
    const oldCsca = await ca(CSCA_NAME, oldKey, CSCA_NAME, oldKey, 1n, {
      notBefore: new Date('2015-01-01'),
      notAfter: new Date('2024-01-01'),
    });
    const link = await ca(CSCA_NAME, newKey, CSCA_NAME, oldKey, 3n);
    const newCsca = await ca(CSCA_NAME, newKey, CSCA_NAME, newKey, 2n);
    const dsNew = await ds({ ...newCsca, key: newKey }, 11n, 'under-new');
    const report = await verifyPassive(await cardSignedBy(dsNew), { cscas: [oldCsca.der, link.der], at: AT });
    expect(outcome(report)['ds.chain']).toBe('ok');
    expect(outcome(report)['csca.validity']).toBe('csca_expired');
    // The same DS with the new self-signed CSCA loaded as well chains without the link, and is valid.
    const both = await verifyPassive(await cardSignedBy(dsNew), {
      cscas: [oldCsca.der, link.der, newCsca.der],
      at: AT,
    });
    expect(both.valid).toBe(true);
  });
});
