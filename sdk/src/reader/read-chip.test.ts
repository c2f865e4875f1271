/**
 * readChip end to end against the APDU-level virtual card (`@chipid/sdk/sandbox` virtualCard): every
 * access set-up the card offers (BAC; PACE GM / IM / CAM / DH on every standardized curve and group it
 * takes; 3DES and AES-128/192/256) reads the card's files byte for byte, and `verifyChip` finds every
 * read dump valid with its Active Authentication answer. Faults: a wrong CAN (one attempt on the card),
 * a tag lost mid-DG2 (resume with `error.partial`, byte-identical), a forged response MAC (error, no
 * data), 6700 / 6Cxx on long reads (adapts), the chip ending the session (re-established).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, type TrustStore } from '../crypto/passive-auth.ts';
import { verifyChip } from '../crypto/verify-chip.ts';
import { isChipIdError } from '../errors.ts';
import { type ChipDumpJSON, parseDump } from '../icao/dump.ts';
import { makeCard, type SandboxCard } from '../sandbox/factory.ts';
import { sandboxCSCA } from '../sandbox/pki.ts';
import {
  resolveSetup,
  sandboxCardImage,
  VirtualCard,
  type VirtualCardOptions,
  virtualCard,
} from '../sandbox/virtual-card/index.ts';
import { ReaderError } from './errors.ts';
import { type ChipRead, type ReadChipOptions, readChip } from './read-chip.ts';
import type { ApduLogEntry } from './transport.ts';

const yymmdd = (iso: string) => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
const CHALLENGE = Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88);
let card: SandboxCard;
let trust: TrustStore;
let can: string;
let mrzKey: ReadChipOptions['key'];

beforeAll(async () => {
  card = await makeCard({ profile: 'valid', seed: 'reader-e2e' });
  trust = createTrustStore({ cscas: [(await sandboxCSCA()).pem] });
  can = card.citizen.idNumber.slice(-6);
  mrzKey = {
    cccd: {
      idNumber: card.citizen.idNumber,
      dateOfBirth: yymmdd(card.citizen.birthDate),
      dateOfExpiry: yymmdd(card.card.expiresOn),
    },
  };
}, 60_000);

/** Every file of the dump equals the card's. */
function expectSameFiles(dump: ChipDumpJSON): void {
  for (const k of ['com', 'sod', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15'] as const)
    expect(dump[k], k).toBe(card.dump[k]);
}

async function expectValid(dump: ChipDumpJSON): Promise<void> {
  const report = await verifyChip(parseDump(dump), { trust, expectedChallenge: CHALLENGE });
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(report.valid).toBe(true);
  expect(report.activeAuth).toBeTruthy();
}

async function readWith(
  options: VirtualCardOptions,
  key: ReadChipOptions['key'] = { can },
): Promise<ChipRead> {
  const chip = virtualCard(card, { seed: 'reader-e2e', ...options });
  const r = await readChip(chip, { key, challenge: CHALLENGE });
  expectSameFiles(r.dump);
  expect(r.activeAuthentication).toBe('answered');
  expect(r.chipAuthentication).toBe('passed');
  await expectValid(r.dump);
  return r;
}

describe('every set-up the virtual card offers reads, and verifies', () => {
  it('the chip profiles: cccd, bac, pace-gm, pace-im, pace-cam, pace-dh, pace-3des', async () => {
    const cccd = await readWith({ profile: 'cccd' });
    expect(cccd.accessControl).toBe('pace');
    expect(cccd.pace).toEqual({
      mapping: 'GM',
      curve: 'brainpoolP256r1',
      cipher: 'AES-128',
      password: 'can',
    });
    const bac = await readWith({ profile: 'bac' }, mrzKey);
    expect(bac.accessControl).toBe('bac');
    expect(bac.pace).toBeUndefined();
    expect((await readWith({ profile: 'pace-im' })).pace?.mapping).toBe('IM');
    expect((await readWith({ profile: 'pace-cam' })).pace).toMatchObject({ mapping: 'CAM', curve: 'P-256' });
    expect((await readWith({ profile: 'pace-dh' })).pace).toMatchObject({
      mapping: 'GM',
      curve: 'MODP-2048-256',
    });
    expect((await readWith({ profile: 'pace-3des' })).pace?.cipher).toBe('3DES');
  }, 120_000);

  it('a CCCD read with the id number and dates (CAN = its last 6 digits); the MRZ key goes to BAC when PACE-MRZ is refused', async () => {
    expect((await readWith({ profile: 'cccd' }, mrzKey)).pace?.password).toBe('can');
    const mrzOnly = {
      mrz: {
        documentNumber: card.card.documentNumber,
        dateOfBirth: yymmdd(card.citizen.birthDate),
        dateOfExpiry: yymmdd(card.card.expiresOn),
      },
    };
    expect((await readWith({ profile: 'cccd' }, mrzOnly)).accessControl).toBe('bac');
    expect((await readWith({ profile: 'pace-gm' }, mrzOnly)).pace?.password).toBe('mrz');
  }, 120_000);

  it('ECDH Generic and Integrated Mapping on every standardized curve (AES-128)', async () => {
    for (const parameterId of [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]) {
      const gm = await readWith({
        profile: 'pace-gm',
        pace: { mapping: 'GM', parameterId, cipher: 'AES-128' },
      });
      expect(gm.pace?.mapping, `GM ${parameterId}`).toBe('GM');
      if (parameterId === 10) continue; // P-224: p ≢ 3 mod 4, no Integrated Mapping (Doc 9303 Part 11 §4.4.3.3.2)
      const im = await readWith({
        profile: 'pace-im',
        pace: { mapping: 'IM', parameterId, cipher: 'AES-128' },
      });
      expect(im.pace?.mapping, `IM ${parameterId}`).toBe('IM');
    }
  }, 300_000);

  it('every cipher: 3DES, AES-128, AES-192, AES-256 (GM and IM on brainpoolP256r1, CAM with AES)', async () => {
    for (const cipher of ['3DES', 'AES-128', 'AES-192', 'AES-256'] as const) {
      expect((await readWith({ profile: 'pace-gm', pace: { mapping: 'GM', cipher } })).pace?.cipher).toBe(
        cipher,
      );
      expect((await readWith({ profile: 'pace-im', pace: { mapping: 'IM', cipher } })).pace?.cipher).toBe(
        cipher,
      );
      if (cipher !== '3DES')
        expect((await readWith({ profile: 'pace-cam', pace: { mapping: 'CAM', cipher } })).pace?.cipher).toBe(
          cipher,
        );
    }
  }, 300_000);

  it('DH Generic Mapping on the three RFC 5114 groups', async () => {
    for (const parameterId of [0, 1, 2]) {
      const r = await readWith({
        profile: 'pace-dh',
        pace: { mapping: 'GM', parameterId, cipher: 'AES-128' },
      });
      expect(r.pace?.curve).toBe(['MODP-1024-160', 'MODP-2048-224', 'MODP-2048-256'][parameterId]);
    }
  }, 300_000);

  it('extended length when the card and transport take it: far fewer APDUs', async () => {
    const short = await readWith({ profile: 'cccd' });
    const ext = await readWith({ profile: 'cccd', extendedLength: true });
    expect(ext.counters.apdus).toBeLessThan(short.counters.apdus);
  }, 120_000);
});

describe('faults', () => {
  it('a wrong CAN: ERR_ACCESS_DENIED after exactly one attempt on the card, never retried', async () => {
    const chip = virtualCard(card, { seed: 1 });
    const wrong = can === '000000' ? '111111' : '000000';
    const e = await readChip(chip, { key: { can: wrong } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReaderError);
    expect((e as ReaderError).code).toBe('ERR_ACCESS_DENIED');
    expect((e as ReaderError).hint).toMatch(/CAN/);
    expect(chip.stats.failedAccessAttempts).toBe(1);
  });

  it('a card whose key never matches (BAC): one EXTERNAL AUTHENTICATE, ERR_ACCESS_DENIED', async () => {
    const chip = virtualCard(card, { profile: 'bac', seed: 1, faults: { wrongKeyAlways: true } });
    await expect(readChip(chip, { key: mrzKey })).rejects.toMatchObject({ code: 'ERR_ACCESS_DENIED' });
    expect(chip.stats.failedAccessAttempts).toBe(1);
  });

  it('the tag lost mid-DG2: ERR_TRANSPORT with error.partial; a new readChip continues and the files are byte-identical', async () => {
    const log: ApduLogEntry[] = [];
    const chip = virtualCard(card, { seed: 2, faults: { dropAfterApdus: 22 } });
    const e = await readChip(chip, { key: { can }, challenge: CHALLENGE, log }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReaderError);
    const err = e as ReaderError;
    expect(err.code).toBe('ERR_TRANSPORT');
    expect(err.partial?.current?.file).toBe('dg2');
    const dg2SoFar = Buffer.from(err.partial!.current!.data, 'base64');
    expect(dg2SoFar.length).toBeGreaterThan(0);
    expect(Buffer.from(card.dump.dg2!, 'base64').subarray(0, dg2SoFar.length).equals(dg2SoFar)).toBe(true);
    expect(log.at(-1)?.sw).toBe('error');
    // The user taps again: the chip is back in the field, with no session.
    chip.powerOn();
    const before = chip.stats.apdus;
    const resumed = await readChip(chip, {
      key: { can },
      challenge: CHALLENGE,
      resume: JSON.parse(JSON.stringify(err.partial)),
    });
    expectSameFiles(resumed.dump);
    await expectValid(resumed.dump);
    // Only the rest was read: fewer APDUs than a whole read of the same card, counted here.
    const whole = virtualCard(card, { seed: 2 });
    await readChip(whole, { key: { can }, challenge: CHALLENGE });
    const resumedApdus = chip.stats.apdus - before;
    expect(resumedApdus).toBeLessThan(whole.stats.apdus);
  }, 60_000);

  it('the link dropped at many points (card access, PACE, files, Chip and Active Authentication): each continuation byte-identical', async () => {
    for (const drop of [0, 1, 3, 5, 7, 9, 12, 15, 16, 17, 22, 28, 33, 36, 38]) {
      const chip = virtualCard(card, { seed: `drop-${drop}`, faults: { dropAfterApdus: drop } });
      let resume: ReaderError['partial'];
      let r: ChipRead | undefined;
      for (let attempt = 0; attempt < 3 && !r; attempt++) {
        try {
          r = await readChip(chip, { key: { can }, challenge: CHALLENGE, ...(resume ? { resume } : {}) });
        } catch (e) {
          expect((e as ReaderError).code, `drop ${drop}`).toBe('ERR_TRANSPORT');
          resume = (e as ReaderError).partial;
          chip.powerOn();
        }
      }
      expect(r, `drop ${drop}`).toBeDefined();
      expectSameFiles(r!.dump);
      expect(r!.chipAuthentication, `drop ${drop}`).toBe('passed');
      expect(r!.activeAuthentication, `drop ${drop}`).toBe('answered');
      await expectValid(r!.dump);
    }
  }, 180_000);

  it('a forged response MAC: ERR_SECURE_MESSAGING, and the forged answer is not in the partial read', async () => {
    const chip = virtualCard(card, { seed: 3, faults: { badResponseMacAt: 12 } });
    const e = await readChip(chip, { key: { can } }).catch((x: unknown) => x);
    expect(isChipIdError(e) && e.code).toBe('ERR_SECURE_MESSAGING');
    const partial = (e as ReaderError).partial;
    for (const [k, v] of Object.entries(partial?.files ?? {}))
      if (k in card.dump) expect(v).toBe(card.dump[k as 'sod']);
    if (partial?.current) {
      const got = Buffer.from(partial.current.data, 'base64');
      const full = Buffer.from(card.dump[partial.current.file as 'dg2']!, 'base64');
      expect(full.subarray(0, got.length).equals(got)).toBe(true);
    }
  });

  it('the chip ends the session (6988) mid-read: access control is redone and the read continues, byte-identical', async () => {
    const chip = virtualCard(card, { seed: 9 });
    let n = 0;
    // The 20th APDU (a DG2 READ BINARY) never reaches the card: the link answers 6988 in its place.
    const transport = {
      transceive: (c: Uint8Array) =>
        ++n === 20 ? Promise.resolve(Uint8Array.of(0x69, 0x88)) : chip.transceive(c),
    };
    const log: ApduLogEntry[] = [];
    const r = await readChip(transport, { key: { can }, challenge: CHALLENGE, log });
    expectSameFiles(r.dump);
    await expectValid(r.dump);
    expect(r.chipAuthentication).toBe('passed');
    expect(log.filter((e) => e.command === 'MSE' && e.header === '0022C1A4')).toHaveLength(2);
  }, 60_000);

  it('6700 above 0x80 bytes: the chunk shrinks and the read completes', async () => {
    const r = await readWith({ faults: { wrongLengthAbove: 0x80 } });
    expect(r.counters.apdus).toBeGreaterThan(39);
  }, 60_000);

  it('6Cxx above 0x60 bytes: the chunk follows the chip and the read completes', async () => {
    await readWith({ faults: { correctLengthAbove: 0x60 } });
  }, 60_000);

  it('extended length refused by the chip (6700) though the transport takes it: falls back to short APDUs', async () => {
    const chip = virtualCard(card, { seed: 4 });
    const transport = {
      transceive: (c: Uint8Array) => chip.transceive(c),
      extendedLength: true,
      maxResponseLength: 65538,
    };
    const r = await readChip(transport, { key: { can }, challenge: CHALLENGE });
    expectSameFiles(r.dump);
  }, 60_000);

  it('a chip with a small buffer (maxLe 0x40) and 6282 at end of file', async () => {
    await readWith({ maxLe: 0x40, eofWarning: true });
  }, 60_000);

  it('the APDU log holds headers, lengths and status words only — never data', async () => {
    const log: ApduLogEntry[] = [];
    const chip = virtualCard(card, { seed: 5 });
    const r = await readChip(chip, { key: { can }, challenge: CHALLENGE, log });
    expect(r.apduLog).toBe(log);
    expect(log.length).toBe(r.counters.apdus);
    const text = JSON.stringify(log);
    expect(text).not.toContain(card.citizen.idNumber);
    for (const e of log)
      expect(Object.keys(e).sort()).toEqual([
        'command',
        'header',
        'lc',
        'ms',
        'n',
        'ne',
        'responseLength',
        'sw',
      ]);
  });

  it('an aborted read: ERR_TRANSPORT, nothing more sent', async () => {
    const chip = virtualCard(card, { seed: 6 });
    const ac = new AbortController();
    const e = await readChip(chip, {
      key: { can },
      signal: ac.signal,
      onProgress: (p) => {
        if (p.step === 'read' && p.file === 'dg2') ac.abort();
      },
    }).catch((x: unknown) => x);
    expect((e as ReaderError).code).toBe('ERR_TRANSPORT');
    expect((e as ReaderError).partial?.files.sod).toBe(card.dump.sod);
  });

  it('an abort while the transport hangs: ERR_TRANSPORT at once', async () => {
    const ac = new AbortController();
    const hung = { transceive: () => new Promise<Uint8Array>(() => {}) };
    const p = readChip(hung, { key: { can }, signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await expect(p).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });

  it('bad keys are refused before any APDU', async () => {
    const chip = virtualCard(card, { seed: 7 });
    await expect(readChip(chip, { key: { can: '12345' } })).rejects.toMatchObject({
      code: 'ERR_ACCESS_DENIED',
    });
    await expect(
      readChip(chip, { key: { cccd: { idNumber: '1234', dateOfBirth: '900101', dateOfExpiry: '300101' } } }),
    ).rejects.toMatchObject({ code: 'ERR_ACCESS_DENIED' });
    expect(chip.stats.apdus).toBe(0);
  });
});

describe('large and missing files', () => {
  it("a DG2 over 32 KB: offsets above 32 767 read with B1 and DO'54, short and extended, byte-identical", async () => {
    const big = await makeCard({ profile: 'valid', seed: 'reader-big', faceSize: 40_000 });
    expect(Buffer.from(big.dump.dg2!, 'base64').length).toBeGreaterThan(32_767);
    const bigCan = big.citizen.idNumber.slice(-6);
    for (const extendedLength of [false, true]) {
      const log: ApduLogEntry[] = [];
      const r = await readChip(virtualCard(big, { seed: 1, extendedLength }), { key: { can: bigCan }, log });
      expect(r.dump.dg2).toBe(big.dump.dg2);
      expect(r.dump.sod).toBe(big.dump.sod);
      if (!extendedLength) expect(log.some((e) => e.header.startsWith('0CB1'))).toBe(true);
    }
  }, 120_000);

  it('Chip Authentication with 3DES (MSE:Set KAT) and AES-192/256 (MSE:Set AT + GENERAL AUTHENTICATE): the files read under the new keys', async () => {
    const image = sandboxCardImage(card);
    const aes128 = Buffer.from('04007F00070202030202', 'hex');
    for (const [arc, cipher] of [
      [1, '3DES'],
      [3, 'AES-192'],
      [4, 'AES-256'],
    ] as const) {
      // DG14 announcing the same key with another cipher (same length: only the OID's last arc changes).
      const dg14 = Buffer.from(image.files.dg14!);
      const at = dg14.indexOf(aes128);
      expect(at).toBeGreaterThan(0);
      dg14[at + aes128.length - 1] = arc;
      const protocol = `0.4.0.127.0.7.2.2.3.2.${arc}`;
      const chip = new VirtualCard(
        {
          ...image,
          files: { ...image.files, dg14 },
          chipAuthentication: { ...image.chipAuthentication!, protocol },
        },
        resolveSetup({}),
        () => new Uint8Array(32).fill(5),
      );
      const r = await readChip(chip, { key: { can }, challenge: CHALLENGE });
      expect(r.chipAuthentication, cipher).toBe('passed');
      expect(chip.stats.chipAuthentications, cipher).toBe(1);
      expect(chip.session?.cipher, cipher).toBe(cipher);
      expect(r.dump.dg2).toBe(card.dump.dg2); // read after the switch, under the new keys
    }
  }, 60_000);

  it('a file the SOD lists but the chip lacks (6A82): ERR_FILE_NOT_FOUND', async () => {
    const image = sandboxCardImage(card);
    const { dg13: _gone, ...files } = image.files;
    const chip = new VirtualCard({ ...image, files }, resolveSetup({}), () => new Uint8Array(32).fill(3));
    const e = await readChip(chip, { key: { can } }).catch((x: unknown) => x);
    expect((e as ReaderError).code).toBe('ERR_FILE_NOT_FOUND');
    expect((e as ReaderError).message).toMatch(/dg13/);
  });

  it('EF.CardAccess without short EF ids: SELECT MF (6D00 on a CCCD), then SELECT 011C with P1=02', async () => {
    const chip = virtualCard(card, { seed: 1 });
    const transport = {
      // A chip that refuses the short-EF-id read of EF.CardAccess.
      transceive: (c: Uint8Array) =>
        c[0] === 0x00 && c[1] === 0xb0 && c[2] === 0x9c
          ? Promise.resolve(Uint8Array.of(0x6a, 0x86))
          : chip.transceive(c),
    };
    const log: ApduLogEntry[] = [];
    const r = await readChip(transport, { key: { can }, log });
    expect(log.slice(0, 4).map((e) => `${e.header} ${e.sw}`)).toEqual([
      '00B09C00 6A86',
      '00A4000C 6D00',
      '00A4020C 9000',
      '00B00000 9000',
    ]);
    expect(r.accessControl).toBe('pace');
    expectSameFiles(r.dump);
  });

  it('a file the SOD does not list and the chip lacks (6A82) is left out', async () => {
    const noAA = await makeCard({ profile: 'no-aa', seed: 'reader-no-aa' });
    expect(noAA.dump.dg15).toBeUndefined();
    const r = await readChip(virtualCard(noAA, { seed: 1 }), {
      key: { can: noAA.citizen.idNumber.slice(-6) },
      files: ['sod', 'dg1', 'dg15'],
      challenge: CHALLENGE,
    });
    expect(Object.keys(r.dump).sort()).toEqual(['dg1', 'format', 'sod']);
    expect(r.activeAuthentication).toBe('not-supported');
  }, 60_000);

  it('options.files reads only what is asked', async () => {
    const r = await readChip(virtualCard(card, { seed: 1 }), { key: { can }, files: ['sod', 'dg1'] });
    expect(Object.keys(r.dump).sort()).toEqual(['dg1', 'format', 'sod']);
    expect(r.chipAuthentication).toBe('skipped');
  });
});

describe('without Web Crypto (Hermes: getRandomValues only) and without Node APIs', () => {
  it('reads and the dump verifies', async () => {
    const real = globalThis.crypto;
    Object.defineProperty(globalThis, 'crypto', {
      value: { getRandomValues: real.getRandomValues.bind(real) },
      configurable: true,
    });
    try {
      const chip = virtualCard(card, { seed: 8 });
      const r = await readChip(chip, { key: { can }, challenge: CHALLENGE });
      expectSameFiles(r.dump);
      expect((globalThis.crypto as { subtle?: unknown }).subtle).toBeUndefined();
    } finally {
      Object.defineProperty(globalThis, 'crypto', { value: real, configurable: true });
    }
  });
});
