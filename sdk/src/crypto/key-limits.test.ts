/**
 * Issue 19 (CPU exhaustion through oversized keys; weak Active Authentication keys): the key limits
 * applied while parsing (KEY_LIMITS, keys.ts), the order of work (DS chain before the SOD signature,
 * no Active Authentication unless passive authentication passed) and the weak-key reason. Each attack
 * is real DER refused with its code; its cost is measured by `npm run bench:icao`, never timed here.
 */
import { describe, expect, it } from 'vitest';
import { vector } from '../../../test/support/fuzz.ts';
import {
  dsCertificateFor,
  explicitCurveSPKI,
  oversizedRSASPKI,
  resignedCard,
  rsaSPKI,
} from '../../../test/support/hostile-keys.ts';
import { children, parseOne, readOctets } from '../asn1/der.ts';
import type { ChipIdError } from '../errors.ts';
import { parseDG15 } from '../icao/dg15.ts';
import { parseDump } from '../icao/dump.ts';
import { parseSOD } from '../icao/sod.ts';
import { fromBase64 } from '../lib/bytes.ts';
import { VirtualChip } from '../sandbox/chip.ts';
import { encodeDG15, sandboxCSCA, sandboxPKI } from '../sandbox/index.ts';
import { rsaKey } from '../sandbox/keys.ts';
import { createRandom } from '../sandbox/random.ts';
import { generateRSAKey } from '../sandbox/rsa.ts';
import { KEY_LIMITS, parseSPKI } from './keys.ts';
import { createTrustStore } from './passive-auth.ts';
import { verifyChip } from './verify-chip.ts';
import { parseCertificate } from './x509.ts';

const code = (f: () => unknown): string => {
  try {
    f();
    return 'none';
  } catch (e) {
    return (e as ChipIdError).code;
  }
};
const byName = (checks: { name: string; ok: boolean; code?: string; skipped?: true }[]) =>
  Object.fromEntries(
    checks.map((c) => [c.name, c.ok ? 'ok' : (c.code ?? (c.skipped ? 'skipped' : 'failed'))]),
  );
const challenge = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

describe('key limits, applied while parsing (KEY_LIMITS)', () => {
  it('RSA modulus: up to 8192 bits for certificates, 4096 for DG15; one bit more is algorithm_unsupported', () => {
    expect(KEY_LIMITS).toMatchObject({ rsaMaxBits: 8192, rsaMaxBitsAA: 4096, rsaMinBitsAA: 1024 });
    const at = (bits: number) => oversizedRSASPKI(bits);
    expect(parseSPKI(at(8192))).toMatchObject({ kind: 'rsa', bits: 8192 });
    expect(code(() => parseSPKI(at(8193)))).toBe('ERR_ALG_UNSUPPORTED');
    expect(parseDG15(encodeDG15(at(4096))).key).toMatchObject({ kind: 'rsa', bits: 4096 });
    expect(code(() => parseDG15(encodeDG15(at(4097))))).toBe('ERR_ALG_UNSUPPORTED');
    expect(() => parseSPKI(at(8200))).toThrow(/8200-bit modulus is over the 8192-bit limit/);
  });

  it('RSA exponent: odd, 3 ≤ e < 2¹⁷ (e = 3, 38129 and 65537 occur in real CSCAs)', () => {
    const n = oversizedRSASPKI(2048);
    const withE = (e: bigint) => {
      const { n: modulus } = parseSPKI(n) as { n: bigint };
      return rsaSPKI(modulus, e);
    };
    for (const e of [3n, 38129n, 65537n, 2n ** 17n - 1n]) expect(parseSPKI(withE(e))).toMatchObject({ e });
    expect(code(() => parseSPKI(withE(2n ** 17n + 1n)))).toBe('ERR_ALG_UNSUPPORTED');
    expect(code(() => parseSPKI(withE(2n ** 32n - 1n)))).toBe('ERR_ALG_UNSUPPORTED');
    expect(code(() => parseSPKI(withE(2n ** 4096n - 1n)))).toBe('ERR_ALG_UNSUPPORTED');
    expect(code(() => parseSPKI(withE(1n)))).toBe('ERR_KEY_INVALID');
    expect(code(() => parseSPKI(withE(65536n)))).toBe('ERR_KEY_INVALID');
  });

  it('explicit EC parameters of no supported curve are algorithm_unsupported (a 256-bit and a 4096-bit field)', () => {
    expect(code(() => parseSPKI(explicitCurveSPKI(256)))).toBe('ERR_ALG_UNSUPPORTED');
    expect(code(() => parseSPKI(explicitCurveSPKI(4096)))).toBe('ERR_ALG_UNSUPPORTED');
    expect(code(() => parseDG15(encodeDG15(explicitCurveSPKI(4096))))).toBe('ERR_ALG_UNSUPPORTED');
  });

  it('every CSCA of a real master list is within the limits (German master list 2026-05-28, test/vectors/SOURCES.md)', () => {
    // CscaMasterList (Doc 9303 Part 12 §9) inside CMS SignedData: ContentInfo → [0] SignedData →
    // encapContentInfo → [0] OCTET STRING → SEQUENCE { version, SET OF Certificate }.
    const ml = vector('master-lists/DE_ML_2026-05-28.ml');
    const sd = parseOne(children(parseOne(ml))[1]!.value);
    const eci = children(sd)[2]!;
    const content = readOctets(parseOne(children(eci)[1]!.value));
    const certs = children(children(parseOne(content))[1]!);
    const seen = new Map<string, number>();
    for (const c of certs) {
      const k = parseCertificate(c.raw).publicKey; // throws for any key outside the limits
      const label = k.kind === 'rsa' ? `RSA e=${k.e} ≤${k.bits <= 4096 ? 4096 : 8192}` : `EC ${k.curve.name}`;
      seen.set(label, (seen.get(label) ?? 0) + 1);
    }
    expect(certs.length).toBe(588);
    // Measured on this list: RSA moduli of 2048–6144 bits with e = 3, 38129 or 65537; EC keys on the
    // six supported curves, 160 of them with explicit parameters (each recognised as its named curve).
    expect([...seen.keys()].sort()).toEqual([
      'EC P-256',
      'EC P-384',
      'EC P-521',
      'EC brainpoolP256r1',
      'EC brainpoolP384r1',
      'EC brainpoolP512r1',
      'RSA e=3 ≤4096',
      'RSA e=38129 ≤4096',
      'RSA e=65537 ≤4096',
      'RSA e=65537 ≤8192',
    ]);
  });
});

describe('CPU exhaustion attacks (issue 19), each refused with its code', () => {
  it('a DG15 with a 32 768-bit RSA key: refused unread, and Active Authentication never runs on it', async () => {
    const dg15 = encodeDG15(oversizedRSASPKI(32768));
    expect(dg15.length).toBeGreaterThan(4096); // ≈ 4 KiB of modulus
    expect(code(() => parseDG15(dg15))).toBe('ERR_ALG_UNSUPPORTED');
    const trust = createTrustStore({ cscas: [(await sandboxCSCA()).der] });
    const honest = await resignedCard();
    // Swapped into a genuine card (the SOD does not vouch for it): passive authentication fails, AA is
    // not run at all.
    const swapped = parseDump({ ...honest.dump, dg15: Buffer.from(dg15).toString('base64') });
    const a = await verifyChip({ ...swapped, aa: { challenge, signature: new Uint8Array(4096) } }, { trust });
    expect(byName(a.checks)).toMatchObject({ 'dg15.hash': 'dg_hash_mismatch', 'aa.signature': 'skipped' });
    expect(a.activeAuth).toBe('skipped');
    // Signed into a card by the public sandbox Document Signer (passive authentication vouches for it):
    // refused while parsing, with its code.
    const signed = parseDump((await resignedCard({ dg15 })).dump);
    const b = await verifyChip({ ...signed, aa: { challenge, signature: new Uint8Array(4096) } }, { trust });
    expect(b.checks.filter((c) => !c.ok)).toEqual([
      expect.objectContaining({ name: 'aa.signature', code: 'algorithm_unsupported' }),
    ]);
    expect(b.activeAuth).toBe('failed');
  });

  it('an untrusted 32 776-bit RSA Document Signer in the SOD: sod.parse algorithm_unsupported', async () => {
    const pki = await sandboxPKI();
    const trust = createTrustStore({ cscas: [(await sandboxCSCA()).der] });
    for (const issuer of [pki.foreignCsca, pki.csca]) {
      const ds = await dsCertificateFor(oversizedRSASPKI(32776), 32776, issuer);
      expect(code(() => parseCertificate(ds.der))).toBe('ERR_ALG_UNSUPPORTED');
      const card = await resignedCard({ ds });
      expect(code(() => parseSOD(fromBase64(card.dump.sod)))).toBe('ERR_ALG_UNSUPPORTED');
      const r = await verifyChip(parseDump(card.dump), { trust });
      expect(r.valid).toBe(false);
      expect(byName(r.checks)).toEqual({ 'sod.parse': 'algorithm_unsupported' });
    }
  });

  it('an untrusted Document Signer within the limits: the chain is checked first, its key never used', async () => {
    const pki = await sandboxPKI();
    const trust = createTrustStore({ cscas: [(await sandboxCSCA()).der] });
    // An 8192-bit key (the largest accepted) under the untrusted look-alike CSCA.
    const ds = await dsCertificateFor(oversizedRSASPKI(8192), 8192, pki.foreignCsca);
    const r = await verifyChip(parseDump((await resignedCard({ ds })).dump), { trust });
    const c = r.checks.find((x) => x.name === 'sod.signature');
    expect(c).toEqual({
      name: 'sod.signature',
      ok: false,
      skipped: true,
      detail: 'not checked: the Document Signer is not trusted (ds.chain)',
    });
    expect(byName(r.checks)['ds.chain']).toBe('ds_untrusted');
  });

  it('a DG15 on a 4096-bit explicit curve: refused unread with algorithm_unsupported', async () => {
    const dg15 = encodeDG15(explicitCurveSPKI(4096));
    expect(code(() => parseDG15(dg15))).toBe('ERR_ALG_UNSUPPORTED');
    const trust = createTrustStore({ cscas: [(await sandboxCSCA()).der] });
    const signed = parseDump((await resignedCard({ dg15 })).dump);
    const r = await verifyChip({ ...signed, aa: { challenge, signature: new Uint8Array(1024) } }, { trust });
    expect(byName(r.checks)['aa.signature']).toBe('algorithm_unsupported');
    expect(r.checks.find((c) => c.name === 'aa.signature')?.detail).toMatch(/explicit domain parameters/);
  });
});

describe('weak Active Authentication keys (issue 19 item 5)', () => {
  it('a 512-bit RSA DG15, vouched for by the SOD and answering correctly, is aa_key_weak', async () => {
    const weak = rsaKey(generateRSAKey(512, createRandom('weak-aa')));
    const answer = await new VirtualChip(weak, createRandom('weak-chip')).internalAuthenticate(challenge);
    const trust = createTrustStore({ cscas: [(await sandboxCSCA()).der] });
    const signed = parseDump(
      (await resignedCard({ dg15: encodeDG15(weak.spki), profile: 'valid-rsa' })).dump,
    );
    const r = await verifyChip(
      { ...signed, aa: { challenge, signature: answer } },
      { trust, expectedChallenge: challenge },
    );
    expect(r.checks.filter((c) => !c.ok)).toEqual([
      {
        name: 'aa.signature',
        ok: false,
        code: 'aa_key_weak',
        detail: 'aa: a 512-bit RSA key is under the 1024-bit minimum',
      },
    ]);
    expect(r.activeAuth).toBe('failed');
    // The same chip with a 1024-bit key (the minimum) passes: the answer is checked, not the key size alone.
    const ok = rsaKey(generateRSAKey(1024, createRandom('ok-aa')));
    const answer2 = await new VirtualChip(ok, createRandom('ok-chip')).internalAuthenticate(challenge);
    const signed2 = parseDump((await resignedCard({ dg15: encodeDG15(ok.spki), profile: 'valid-rsa' })).dump);
    const r2 = await verifyChip(
      { ...signed2, aa: { challenge, signature: answer2 } },
      { trust, expectedChallenge: challenge },
    );
    expect(r2.activeAuth).toBe('passed');
    expect(r2.valid).toBe(true);
  });
});
