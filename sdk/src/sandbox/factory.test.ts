/**
 * Sandbox chip factory: determinism, SOD integrity (hashes recomputed here, OpenSSL `cms -verify`),
 * MRZ check digits (recomputed independently, Doc 9303 Part 3 §4.9 / Part 5 §4.2.2), Active
 * Authentication answers (ECDSA via Web Crypto / noble, RSA ISO/IEC 9796-2 recovery written here),
 * round trips through the SDK parsers, and each profile's outcome through the SDK verifier.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { children, parseOne, readBitString } from '../asn1/der.ts';
import { createTrustStore } from '../crypto/passive-auth.ts';
import { verifyChip } from '../crypto/verify-chip.ts';
import { verifyActiveAuth } from '../icao/active-auth.ts';
import { parseCOM } from '../icao/com.ts';
import { parseDG1 } from '../icao/dg1.ts';
import { parseDG2 } from '../icao/dg2.ts';
import { parseDG13 } from '../icao/dg13.ts';
import { parseDG14 } from '../icao/dg14.ts';
import { parseDG15 } from '../icao/dg15.ts';
import { type ChipDumpJSON, chipDumpSchema, parseDump } from '../icao/dump.ts';
import { parseSOD } from '../icao/sod.ts';
import { bytesToBigInt, concat, equalBytes, fromBase64, toHex } from '../lib/bytes.ts';
import { faceFor, makeCard, type SandboxCard } from './factory.ts';
import type { RSAKey } from './keys.ts';
import { sandboxCSCA } from './pki.ts';
import { PROFILE_NAMES, PROFILES, type ProfileName } from './profiles.ts';

const CHALLENGE = Uint8Array.from([0x4f, 0x90, 0x12, 0xa7, 0x33, 0x01, 0xfe, 0x5c]);
const cards = new Map<ProfileName, SandboxCard>();
const b = (s: string | undefined) => fromBase64(s ?? '');

beforeAll(async () => {
  for (const p of PROFILE_NAMES)
    cards.set(p, await makeCard({ profile: p, seed: 'factory-test', challenge: CHALLENGE }));
});
const card = (p: ProfileName) => cards.get(p)!;

/** Independent 7-3-1 check digit. */
const cd = (s: string) =>
  [...s].reduce(
    (sum, c, i) =>
      sum + (c === '<' ? 0 : /\d/.test(c) ? Number(c) : c.charCodeAt(0) - 55) * [7, 3, 1][i % 3]!,
    0,
  ) % 10;

describe('determinism', () => {
  it('same seed + profile ⇒ byte-identical dump; other seeds and no seed differ', async () => {
    for (const p of ['valid', 'valid-rsa', 'valid-brainpool', 'clone'] as const) {
      const a = await makeCard({ profile: p, seed: 11, challenge: CHALLENGE });
      const again = await makeCard({ profile: p, seed: '11', challenge: CHALLENGE });
      expect(JSON.stringify(again.dump)).toBe(JSON.stringify(a.dump));
      const other = await makeCard({ profile: p, seed: 12, challenge: CHALLENGE });
      expect(other.dump.dg15).not.toBe(a.dump.dg15);
      expect(other.dump.sod).not.toBe(a.dump.sod);
      expect(other.dump.aa?.signature).not.toBe(a.dump.aa?.signature);
    }
    const r1 = await makeCard({ profile: 'valid' });
    const r2 = await makeCard({ profile: 'valid' });
    expect(r1.dump.dg15).not.toBe(r2.dump.dg15);
    // The ready citizen is the same (it is in the registry seed); only keys differ.
    expect(r1.dump.dg1).toBe(r2.dump.dg1);
  });

  it('random citizens come from the seed', async () => {
    const a = await makeCard({ citizen: 'random', seed: 3 });
    const a2 = await makeCard({ citizen: 'random', seed: 3 });
    const c = await makeCard({ citizen: 'random', seed: 4 });
    expect(a.citizen).toEqual(a2.citizen);
    expect(a.citizen.idNumber).not.toBe(c.citizen.idNumber);
    expect(a.registry[0]).toMatchObject({ kind: 'citizen', idNumber: a.citizen.idNumber, status: 'alive' });
  });
});

describe('every profile', () => {
  it('is a valid chipid.dump/1 whose SOD hashes every DG it carries (SHA-256 recomputed here)', () => {
    for (const p of PROFILE_NAMES) {
      const { dump } = card(p);
      expect(chipDumpSchema.safeParse(dump).success, p).toBe(true);
      const sod = parseSOD(b(dump.sod));
      expect(sod.eContentType).toBe('2.23.136.1.1.1');
      expect(sod.version).toBe(0);
      const files = { 1: dump.dg1, 2: dump.dg2, 13: dump.dg13, 14: dump.dg14, 15: dump.dg15 } as const;
      const listed = [...sod.dataGroupHashes.keys()].sort((x, y) => x - y);
      expect(listed, p).toEqual(p === 'no-aa' ? [1, 2, 13, 14] : [1, 2, 13, 14, 15]);
      for (const [n, value] of Object.entries(files)) {
        if (value === undefined) continue;
        const same = equalBytes(sha256(b(value)), sod.dataGroupHashes.get(Number(n))!);
        const tampered = (p === 'tampered-dg1' && n === '1') || (p === 'tampered-dg13' && n === '13');
        expect(same, `${p} dg${n}`).toBe(!tampered);
      }
      expect(
        sod.signerInfo.messageDigest && equalBytes(sod.signerInfo.messageDigest, sha256(sod.eContent)),
      ).toBe(true);
      expect(sod.signerInfo.contentType).toBe('2.23.136.1.1.1');
    }
  });

  it('has a CCCD TD1 MRZ with every check digit right (recomputed here)', () => {
    for (const p of PROFILE_NAMES) {
      const { dump, citizen } = card(p);
      const mrz = parseDG1(b(dump.dg1)).raw;
      const [l1, l2, l3] = [mrz.slice(0, 30), mrz.slice(30, 60), mrz.slice(60, 90)];
      expect(mrz).toHaveLength(90);
      expect(l1.slice(5, 14)).toBe(citizen.idNumber.slice(3));
      expect(cd(l1.slice(5, 14))).toBe(Number(l1[14]));
      expect(l1.slice(15, 27)).toBe(citizen.idNumber);
      expect(cd(citizen.idNumber)).toBe(Number(l1[29]));
      expect(cd(l2.slice(0, 6))).toBe(Number(l2[6]));
      expect(cd(l2.slice(8, 14))).toBe(Number(l2[14]));
      expect(cd(l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29)), p).toBe(
        Number(l2[29]),
      );
      expect(l2.slice(15, 18)).toBe('VNM');
      expect(l1.slice(2, 5)).toBe(p === 'wrong-country' ? 'LAO' : 'VNM');
      expect(l3).toMatch(/^[A-Z]+<<[A-Z<]+$/);
    }
  });
});

describe('round trip through the SDK parsers', () => {
  it('DG1, DG13, DG2, DG14, DG15 and EF.COM give back the citizen and card', () => {
    for (const p of PROFILE_NAMES) {
      if (p === 'tampered-dg1' || p === 'tampered-dg13') continue;
      const { dump, citizen, card: cardData } = card(p);
      const { mrz } = parseDG1(b(dump.dg1));
      expect(mrz.valid).toBe(true);
      expect(mrz.format).toBe('TD1');
      expect(mrz.documentCode).toBe('ID');
      expect(mrz.documentNumber).toBe(cardData.documentNumber);
      expect(mrz.optionalData.startsWith(citizen.idNumber)).toBe(true);
      expect(mrz.dateOfBirth).toBe(citizen.birthDate.slice(2).replaceAll('-', ''));
      expect(mrz.dateOfExpiry).toBe(cardData.expiresOn.slice(2).replaceAll('-', ''));
      expect(mrz.sex).toBe(citizen.sex);
      expect(mrz.nationality).toBe('VNM');

      const dg13 = parseDG13(b(dump.dg13));
      const dmy = (iso: string) => `${iso.slice(8)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
      expect(dg13).toMatchObject({
        encoding: '1.0.10646.1.0.8',
        idNumber: citizen.idNumber,
        fullName: citizen.fullName,
        dateOfBirth: dmy(citizen.birthDate),
        sex: citizen.sex === 'M' ? 'Nam' : 'Nữ',
        nationality: 'Việt Nam',
        ethnicity: citizen.ethnicity,
        religion: citizen.religion,
        placeOfOrigin: citizen.placeOfOrigin,
        placeOfResidence: citizen.placeOfResidence,
        identifyingMarks: citizen.identifyingMarks,
        dateOfIssue: dmy(cardData.issuedOn),
        dateOfExpiry: dmy(cardData.expiresOn),
        fatherName: citizen.fatherName,
        motherName: citizen.motherName,
      });
      expect(dg13.spouseName).toBe(citizen.spouseName);
      expect(dg13.oldIdNumber).toBe(citizen.oldIdNumber);
      expect(dg13.unknown).toEqual([]);

      const [face] = parseDG2(b(dump.dg2));
      const jp2 = p === 'valid-jp2';
      expect(face).toMatchObject({ format: jp2 ? 'jp2' : 'jpeg', width: 240, height: 320 });
      // JPEG SOI, or the JP2 signature box (ISO/IEC 15444-1 §I.5.1).
      expect(toHex(face!.image.subarray(0, jp2 ? 12 : 3))).toBe(jp2 ? '0000000c6a5020200d0a870a' : 'ffd8ff');
      if (p === 'valid-large-dg2') expect(face!.image.length).toBeGreaterThanOrEqual(120_000);
      else expect(face!.image.length).toBeLessThan(20_000);

      const com = parseCOM(b(dump.com));
      expect(com.ldsVersion).toBe('0107');
      expect(com.dataGroups).toEqual(p === 'no-aa' ? [1, 2, 13, 14] : [1, 2, 13, 14, 15]);

      const dg14 = parseDG14(b(dump.dg14));
      const ecAA = dump.dg15 !== undefined && p !== 'valid-rsa';
      expect(dg14.activeAuthentication?.signatureAlgorithm).toBe(
        ecAA ? '0.4.0.127.0.7.1.1.4.1.3' : undefined,
      );
      expect(dg14.securityInfos.some((i) => i.kind === 'chipAuthenticationPublicKey')).toBe(true);

      if (dump.dg15) expect(parseDG15(b(dump.dg15)).key.kind).toBe(p === 'valid-rsa' ? 'rsa' : 'ec');
    }
  });

  it('citizens have several distinct faces, each fixed by the citizen (not the seed)', async () => {
    const faces = new Map<string, string>();
    for (const p of PROFILE_NAMES) {
      const c = cards.get(p)!;
      const [face] = parseDG2(b(c.dump.dg2));
      faces.set(p, toHex(face!.image.subarray(0, 4096)));
    }
    // Three JPEG faces per sex and the JPEG 2000 one: the sandbox shows at least five of them.
    expect(new Set(faces.values()).size).toBeGreaterThanOrEqual(5);
    const again = await makeCard({ profile: 'valid-brainpool', seed: 'another seed' });
    expect(toHex(parseDG2(b(again.dump.dg2))[0]!.image.subarray(0, 4096))).toBe(faces.get('valid-brainpool'));
    expect(faceFor({ idNumber: '001090211803', sex: 'M' }).sex).toBe('M');
    expect(faceFor({ idNumber: '079195004127', sex: 'F' }).sex).toBe('F');
  });

  it('a padded JPEG 2000 face keeps its codestream and reaches the size', async () => {
    const big = await makeCard({ profile: 'valid-jp2', seed: 1, faceSize: 50_000 });
    const [face] = parseDG2(b(big.dump.dg2));
    expect(face!.format).toBe('jp2');
    expect(face!.image.length).toBeGreaterThanOrEqual(50_000);
    // The padding is a trailing `free` box after the codestream box.
    const small = parseDG2(b((await makeCard({ profile: 'valid-jp2', seed: 1 })).dump.dg2))[0]!.image;
    expect(face!.image.subarray(0, small.length)).toEqual(small);
    expect(new TextDecoder().decode(face!.image.subarray(small.length + 4, small.length + 8))).toBe('free');
  });

  it('a padded face reaches the requested size and still parses', async () => {
    const big = await makeCard({ seed: 1, faceSize: 150_000 });
    const [face] = parseDG2(b(big.dump.dg2));
    expect(face!.image.length).toBeGreaterThanOrEqual(150_000);
    expect(face!.image.length).toBeLessThan(150_004);
    expect(face).toMatchObject({ format: 'jpeg', width: 240, height: 320 });
    expect(toHex(face!.image.subarray(-2))).toBe('ffd9');
  });
});

describe('Active Authentication (virtual chip)', () => {
  const spkiPoint = (spki: Uint8Array) => readBitString(children(parseOne(spki))[1]!).bytes;

  it('P-256: plain r||s over SHA-256(challenge) verifies with Web Crypto against DG15', async () => {
    const { dump } = card('valid');
    const key = await crypto.subtle.importKey(
      'spki',
      parseDG15(b(dump.dg15)).spki as Uint8Array<ArrayBuffer>,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const sig = b(dump.aa?.signature);
    expect(sig).toHaveLength(64);
    expect(
      await crypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        key,
        sig as Uint8Array<ArrayBuffer>,
        CHALLENGE,
      ),
    ).toBe(true);
    expect(
      await crypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        key,
        sig as Uint8Array<ArrayBuffer>,
        CHALLENGE.slice(1),
      ),
    ).toBe(false);
  });

  it('brainpoolP256r1: verifies with noble against DG15', () => {
    const { dump } = card('valid-brainpool');
    const point = spkiPoint(parseDG15(b(dump.dg15)).spki);
    expect(
      brainpoolP256r1.verify(b(dump.aa?.signature), sha256(CHALLENGE), point, {
        prehash: false,
        lowS: false,
      }),
    ).toBe(true);
  });

  it('RSA: ISO/IEC 9796-2 scheme 1 recovers (header 6A, SHA-1, trailer BC, M1 of maximal length)', async () => {
    const made = card('valid-rsa');
    const rsa = (made.aaPrivateKey as RSAKey).rsa;
    const modPow = (x: bigint, e: bigint, m: bigint) => {
      let r = 1n;
      for (let bb = x % m, ee = e; ee > 0n; ee >>= 1n, bb = (bb * bb) % m) if (ee & 1n) r = (r * bb) % m;
      return r;
    };
    for (const challenge of [CHALLENGE, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)]) {
      const sig = await made.chip!.internalAuthenticate(challenge);
      expect(sig).toHaveLength(128);
      const s = bytesToBigInt(sig);
      expect(s <= rsa.n - s).toBe(true); // min(s, n − s)
      let j = modPow(s, rsa.e, rsa.n);
      if ((j & 0xffn) !== 0xbcn) j = rsa.n - j;
      const f = Uint8Array.from(j.toString(16).padStart(256, '0').match(/../g)!, (h) =>
        Number.parseInt(h, 16),
      );
      expect(f[0]).toBe(0x6a);
      expect(f[127]).toBe(0xbc);
      const m1 = f.subarray(1, 107);
      expect(equalBytes(f.subarray(107, 127), sha1(concat(m1, challenge)))).toBe(true);
      // The SDK's verifier agrees (SHA-1 for the implicit trailer).
      const { key } = parseDG15(b(made.dump.dg15));
      expect((await verifyActiveAuth({ publicKey: key, challenge, signature: sig, hash: 'SHA-1' })).ok).toBe(
        true,
      );
    }
  });

  it('clone: the chip answers with a key that is not DG15 (well-formed, but AA fails)', async () => {
    const made = card('clone');
    expect(equalBytes(made.chip!.publicKeyInfo, parseDG15(b(made.dump.dg15)).spki)).toBe(false);
    const { key } = parseDG15(b(made.dump.dg15));
    expect(
      (
        await verifyActiveAuth({
          publicKey: key,
          challenge: CHALLENGE,
          signature: b(made.dump.aa?.signature),
        })
      ).ok,
    ).toBe(false);
  });

  it('no-aa: no DG15, no chip, no answer', () => {
    const made = card('no-aa');
    expect(made.dump.dg15).toBeUndefined();
    expect(made.dump.aa).toBeUndefined();
    expect(made.chip).toBeUndefined();
    expect(made.aaPrivateKey).toBeUndefined();
  });
});

describe('outcomes through the SDK verifier', () => {
  it('valid* verify; PKI-broken profiles fail with exactly their code; registry profiles pass the chip checks', async () => {
    const trust = createTrustStore({ cscas: [(await sandboxCSCA()).pem] });
    for (const p of PROFILE_NAMES) {
      const made = card(p);
      const dump: ChipDumpJSON = made.dump;
      const report = await verifyChip(parseDump(dump), { trust });
      // Steps not run (the SOD signature under an untrusted DS, AA after a passive failure) are no reasons.
      const codes = [...new Set(report.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.code))];
      const expected = PROFILES[p].expected;
      const chipReasons = expected.reasons.filter((r) => !r.startsWith('card_') && !r.startsWith('citizen_'));
      if (chipReasons.length === 0) {
        expect(report.valid, `${p}: ${JSON.stringify(codes)}`).toBe(true);
        expect(codes).toEqual([]);
      } else if (p === 'no-aa') {
        expect(report.valid).toBe(true);
        expect(report.activeAuth).toBe('unsupported');
      } else {
        expect(report.valid, p).toBe(false);
        expect(codes, p).toEqual(chipReasons);
      }
    }
  });
});

describe('a DG15 the SOD lists but the read left out', () => {
  it('is a chip with Active Authentication (absent), not one without (unsupported): a clone cannot hide it', async () => {
    const trust = createTrustStore({ cscas: [(await sandboxCSCA()).pem] });
    const { dg15: _key, aa: _answer, ...withoutAA } = card('valid').dump;
    const report = await verifyChip(parseDump(withoutAA), { trust });
    expect(report.valid).toBe(true); // what is there is genuine
    expect(report.activeAuth).toBe('absent');
    const none = await verifyChip(parseDump(card('no-aa').dump), { trust });
    expect(none.activeAuth).toBe('unsupported'); // its SOD lists no DG15
  });
});

describe.skipIf(spawnSync('openssl', ['version']).status !== 0)('OpenSSL accepts every SOD', () => {
  it('cms -verify succeeds for genuine signatures (P-256, brainpoolP256r1, RSA) and fails when broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chipid-sod-'));
    const csca = join(dir, 'csca.pem');
    writeFileSync(csca, (await sandboxCSCA()).pem);
    const verify = (p: ProfileName, extra: string[] = []) => {
      const sod = b(card(p).dump.sod);
      // Strip the 0x77 application wrapper: the inside is a plain CMS ContentInfo.
      const inner = parseOne(sod, { der: false }).value;
      const file = join(dir, `${p}.der`);
      writeFileSync(file, inner);
      const out = join(dir, `${p}.lso`);
      const r = spawnSync(
        'openssl',
        [
          'cms',
          '-verify',
          '-inform',
          'DER',
          '-in',
          file,
          '-CAfile',
          csca,
          '-purpose',
          'any',
          '-binary',
          '-out',
          out,
          ...extra,
        ],
        { encoding: 'utf8' },
      );
      return { ok: r.status === 0, err: r.stderr };
    };
    for (const p of [
      'valid',
      'valid-brainpool',
      'valid-rsa',
      'tampered-dg1',
      'clone',
      'no-aa',
      'wrong-country',
    ] as const) {
      const r = verify(p);
      expect(r.ok, `${p}: ${r.err}`).toBe(true);
    }
    const expired = verify('expired-ds', ['-attime', String(Date.parse('2022-01-01T00:00:00Z') / 1000)]);
    expect(expired.ok, expired.err).toBe(true);
    expect(verify('expired-ds').ok).toBe(false);
    expect(verify('bad-sod-signature').ok).toBe(false);
    expect(verify('foreign-csca').ok).toBe(false);
    for (const p of ['valid', 'valid-rsa', 'valid-brainpool'] as const) {
      const r = spawnSync('openssl', ['asn1parse', '-inform', 'DER', '-in', join(dir, `${p}.der`)], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      expect(r.stdout).not.toContain('error');
    }
  });
});
