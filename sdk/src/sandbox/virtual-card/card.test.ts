/**
 * The virtual card of sandbox cards, driven with hand-built APDUs (ISO/IEC 7816-4, Doc 9303 Part 11): a
 * minimal test terminal here does BAC and secure messaging with the reader's pure primitives
 * (sm-codec, ciphers, KDF) — never the card's own SM code — so each side checks the other.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { oid, tlv } from '../../asn1/writer.ts';
import { ascii, bigIntToBytes, concat, equalBytes, fromBase64, fromHex, toHex } from '../../lib/bytes.ts';
import { retailMac, tdesCbcDecrypt, tdesCbcEncrypt } from '../../reader/crypto/des.ts';
import { kdf, SM_BLOCK_LENGTH } from '../../reader/crypto/kdf.ts';
import { pad, unpad } from '../../reader/crypto/padding.ts';
import {
  do85,
  do87,
  do97,
  equalMac,
  incrementSSC,
  parseDataObjects,
  type SMKeys,
  smDecrypt,
  smEncrypt,
  smMac,
} from '../../reader/crypto/sm-codec.ts';
import { makeCard, type SandboxCard } from '../factory.ts';
import { SANDBOX_OID } from '../lds.ts';
import {
  mrzInformationFromDG1,
  TagLostError,
  type VirtualCard,
  type VirtualCardOptions,
  virtualCard,
  virtualCardFor,
} from './index.ts';

const hex = (b: Uint8Array) => toHex(b).toUpperCase();
const sw = (r: Uint8Array) => (r[r.length - 2]! << 8) | r[r.length - 1]!;
const body = (r: Uint8Array) => r.subarray(0, r.length - 2);

/** A short or extended command APDU. */
function apdu(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data?: Uint8Array,
  ne?: number,
  ext = false,
): Uint8Array {
  const head = Uint8Array.of(cla, ins, p1, p2);
  const d = data?.length ? data : undefined;
  if (!ext) {
    return concat(
      head,
      d ? Uint8Array.of(d.length) : new Uint8Array(0),
      d ?? new Uint8Array(0),
      ne !== undefined ? Uint8Array.of(ne & 0xff) : new Uint8Array(0),
    );
  }
  return concat(
    head,
    Uint8Array.of(0),
    d ? Uint8Array.of(d.length >> 8, d.length & 0xff) : new Uint8Array(0),
    d ?? new Uint8Array(0),
    ne !== undefined ? Uint8Array.of((ne >> 8) & 0xff, ne & 0xff) : new Uint8Array(0),
  );
}

/** The terminal side of BAC and secure messaging, for tests. */
class Terminal {
  keys: SMKeys | undefined;
  ssc: Uint8Array = new Uint8Array(8);
  constructor(readonly card: VirtualCard) {}

  raw(bytes: Uint8Array) {
    return this.card.transceive(bytes);
  }

  /** BAC (Doc 9303 Part 11 §4.3) with the terminal's fixed RND.IFD and K.IFD. */
  async bac(mrzInformation: string): Promise<number> {
    const kSeed = sha1(ascii(mrzInformation)).slice(0, 16);
    const kEnc = kdf(kSeed, 1, '3DES');
    const kMac = kdf(kSeed, 2, '3DES');
    const challenge = await this.raw(apdu(0, 0x84, 0, 0, undefined, 8));
    expect(sw(challenge)).toBe(0x9000);
    const rndIc = body(challenge);
    const rndIfd = fromHex('781723860C06C226');
    const kIfd = fromHex('0B795240CB7049B01C19B33E32804F0B');
    const e = tdesCbcEncrypt(kEnc, new Uint8Array(8), concat(rndIfd, rndIc, kIfd));
    const r = await this.raw(apdu(0, 0x82, 0, 0, concat(e, retailMac(kMac, pad(e, 8))), 40));
    if (sw(r) !== 0x9000) return sw(r);
    const eIc = body(r).subarray(0, 32);
    expect(equalBytes(retailMac(kMac, pad(eIc, 8)), body(r).subarray(32))).toBe(true);
    const plain = tdesCbcDecrypt(kEnc, new Uint8Array(8), eIc);
    const kIc = plain.subarray(16);
    const seed = kIfd.map((b, i) => b ^ kIc[i]!);
    this.keys = { cipher: '3DES', ksEnc: kdf(seed, 1, '3DES'), ksMac: kdf(seed, 2, '3DES') };
    this.ssc = concat(rndIc.subarray(4), rndIfd.subarray(4));
    return 0x9000;
  }

  /** A protected command; the answer checked (MAC first) and opened. 61xx followed with GET RESPONSE. */
  async send(
    ins: number,
    p1: number,
    p2: number,
    data?: Uint8Array,
    ne?: number,
    opts: { extended?: boolean; outerNe?: number } = {},
  ): Promise<{ data: Uint8Array; sw: number; outerSw: number; getResponses: number }> {
    const keys = this.keys!;
    const bs = SM_BLOCK_LENGTH[keys.cipher];
    this.ssc = incrementSSC(this.ssc);
    const dos: Uint8Array[] = [];
    if (data?.length)
      dos.push(ins & 1 ? do85(smEncrypt(keys, this.ssc, data)) : do87(smEncrypt(keys, this.ssc, data)));
    if (ne !== undefined)
      dos.push(do97(ne === 65536 ? 0 : ne === 256 && !opts.extended ? 0 : ne, opts.extended));
    const header = pad(Uint8Array.of(0x0c, ins, p1, p2), bs);
    const mac = smMac(keys, this.ssc, concat(header, ...dos));
    const cmdData = concat(...dos, Uint8Array.of(0x8e, 8), mac);
    let r = await this.raw(apdu(0x0c, ins, p1, p2, cmdData, opts.outerNe ?? 0, opts.extended));
    let acc = body(r);
    let getResponses = 0;
    while (r[r.length - 2] === 0x61) {
      getResponses++;
      r = await this.raw(Uint8Array.of(0, 0xc0, 0, 0, r[r.length - 1]!));
      acc = concat(acc, body(r));
    }
    const outerSw = sw(r);
    this.ssc = incrementSSC(this.ssc);
    const objs = parseDataObjects(acc);
    const macDo = objs.find((o) => o.tag === 0x8e);
    if (!macDo) throw new Error(`unprotected answer ${hex(r)}`);
    const covered = concat(...objs.filter((o) => o.tag !== 0x8e).map((o) => o.raw));
    if (!equalMac(smMac(keys, this.ssc, covered), macDo.value)) throw new Error('response MAC wrong');
    const status = objs.find((o) => o.tag === 0x99)!.value;
    const crypt = objs.find((o) => o.tag === 0x87 || o.tag === 0x85);
    let plain: Uint8Array = new Uint8Array(0);
    if (crypt) {
      const c = crypt.tag === 0x87 ? crypt.value.subarray(1) : crypt.value;
      plain = unpad(smDecrypt(keys, this.ssc, c));
    }
    return { data: plain, sw: (status[0]! << 8) | status[1]!, outerSw, getResponses };
  }
}

const CCCD_CARD_ACCESS =
  // Source: REFERENCES.md — EF.CardAccess as public CCCD readers hard-code it.
  '3134300d060804007f0007020202020101300f060a04007f000702020302020201013012060a04007f0007020204020202010202010d';

let valid: SandboxCard;
let mrz: string;
beforeAll(async () => {
  valid = await makeCard({ profile: 'valid', seed: 1 });
  mrz = mrzInformationFromDG1(fromBase64(valid.dump.dg1));
});

const cardOf = (opts: VirtualCardOptions = {}, card = valid) => virtualCard(card, { seed: 1, ...opts });

async function bacTerminal(opts: VirtualCardOptions = {}, card = valid): Promise<Terminal> {
  const t = new Terminal(cardOf(opts, card));
  expect(sw(await t.raw(apdu(0, 0xa4, 4, 0x0c, fromHex('A0000002471001'))))).toBe(0x9000);
  expect(await t.bac(card === valid ? mrz : mrzInformationFromDG1(fromBase64(card.dump.dg1)))).toBe(0x9000);
  return t;
}

/** The whole of an EF read with B0 (offset in P1-P2) in chunks of `chunk`. */
async function readAll(t: Terminal, fid: number, chunk = 0xdf): Promise<Uint8Array> {
  const sel = await t.send(0xa4, 2, 0x0c, Uint8Array.of(fid >> 8, fid & 0xff));
  expect(sel.sw).toBe(0x9000);
  const head = await t.send(0xb0, 0, 0, undefined, 4);
  const len =
    head.data[1]! < 0x80
      ? head.data[1]! + 2
      : head.data[1] === 0x81
        ? head.data[2]! + 3
        : ((head.data[2]! << 8) | head.data[3]!) + 4;
  let out = head.data;
  while (out.length < len) {
    const r = await t.send(
      0xb0,
      out.length >> 8,
      out.length & 0xff,
      undefined,
      Math.min(chunk, len - out.length),
    );
    expect(r.sw).toBe(0x9000);
    out = concat(out, r.data);
  }
  return out;
}

describe('virtual card — the CCCD set-up', () => {
  it('serves the CCCD EF.CardAccess byte for byte, in plain, by short EF id and by SELECT 011C', async () => {
    const card = cardOf();
    expect(hex(card.cardAccess!)).toBe(CCCD_CARD_ACCESS.toUpperCase());
    const bySfi = await card.transceive(apdu(0, 0xb0, 0x9c, 0, undefined, 0));
    expect(sw(bySfi)).toBe(0x9000);
    expect(toHex(body(bySfi))).toBe(CCCD_CARD_ACCESS);
    expect(sw(await card.transceive(apdu(0, 0xa4, 2, 0x0c, fromHex('011C'))))).toBe(0x9000);
    const byFid = await card.transceive(apdu(0, 0xb0, 0, 0, undefined, 0x10));
    expect(toHex(body(byFid))).toBe(CCCD_CARD_ACCESS.slice(0, 32));
  });

  it('answers SELECT MF with 6D00 (as CCCD cards do); a textbook chip with 9000', async () => {
    expect(sw(await cardOf().transceive(apdu(0, 0xa4, 0, 0x0c, fromHex('3F00'))))).toBe(0x6d00);
    expect(sw(await cardOf().transceive(apdu(0, 0xa4, 0, 0x0c)))).toBe(0x6d00);
    expect(sw(await cardOf({ profile: 'pace-gm' }).transceive(apdu(0, 0xa4, 0, 0x0c, fromHex('3F00'))))).toBe(
      0x9000,
    );
  });

  it('reads no LDS file without secure messaging (6982), and finds them only in the eMRTD application', async () => {
    const card = cardOf();
    expect(sw(await card.transceive(apdu(0, 0xb0, 0x81, 0, undefined, 0)))).toBe(0x6a82); // DG1 is not in the MF
    expect(sw(await card.transceive(apdu(0, 0xa4, 4, 0x0c, fromHex('A0000002471001'))))).toBe(0x9000);
    expect(sw(await card.transceive(apdu(0, 0xb0, 0x81, 0, undefined, 0)))).toBe(0x6982);
    expect(sw(await card.transceive(apdu(0, 0xa4, 2, 0x0c, fromHex('0101'))))).toBe(0x9000);
    expect(sw(await card.transceive(apdu(0, 0xb0, 0, 0, undefined, 4)))).toBe(0x6982);
    expect(sw(await card.transceive(apdu(0, 0xa4, 4, 0x0c, fromHex('A0000002471002'))))).toBe(0x6a82);
  });

  it('refuses extended length APDUs unless asked to take them (6700)', async () => {
    const ext = apdu(0, 0xb0, 0x9c, 0, undefined, 0x100, true);
    expect(sw(await cardOf().transceive(ext))).toBe(0x6700);
    expect(sw(await cardOf({ extendedLength: true }).transceive(ext))).toBe(0x9000);
  });

  it('is a BAC card too: every file byte-identical to the dump through BAC and secure messaging', async () => {
    const t = await bacTerminal();
    for (const [name, fid] of [
      ['com', 0x011e],
      ['sod', 0x011d],
      ['dg1', 0x0101],
      ['dg13', 0x010d],
      ['dg14', 0x010e],
      ['dg15', 0x010f],
    ] as const)
      expect(hex(await readAll(t, fid)), name).toBe(hex(fromBase64(valid.dump[name]!)));
    expect(t.card.stats.failedAccessAttempts).toBe(0);
  });
});

describe('virtual card — reading', () => {
  it("reads by short EF id under SM, and B1 with DO'54 offsets beyond 32 767 (a 40 KB DG2)", async () => {
    const big = await makeCard({ profile: 'valid', seed: 1, faceSize: 40_000 });
    const dg2 = fromBase64(big.dump.dg2!);
    expect(dg2.length).toBeGreaterThan(40_000);
    const t = await bacTerminal({}, big);
    const first = await t.send(0xb0, 0x82, 0, undefined, 8); // SFI 02
    expect(hex(first.data)).toBe(hex(dg2.subarray(0, 8)));
    // Past 32 767 B0 cannot say the offset: B1 with DO'54 (offset 3 bytes) answers DO'53.
    const offset = 40_000;
    const r = await t.send(
      0xb1,
      0,
      0,
      concat(Uint8Array.of(0x54, 3), bigIntToBytes(BigInt(offset), 3)),
      0x80,
    );
    expect(r.sw).toBe(0x9000);
    expect(r.data[0]).toBe(0x53);
    const len = r.data[1] === 0x81 ? r.data[2]! : r.data[1]!;
    const bytes = r.data.subarray(r.data.length - len);
    expect(hex(bytes)).toBe(hex(dg2.subarray(offset, offset + len)));
    expect(r.data.length).toBeLessThanOrEqual(0x80);
    // B1 by short EF id in P2 (P1-P2 = 00 0D) reads DG13 from offset 0.
    const dg13 = await t.send(0xb1, 0, 0x0d, Uint8Array.of(0x54, 1, 0), 0x10);
    expect(hex(dg13.data.subarray(2))).toBe(hex(fromBase64(valid.dump.dg13!).subarray(0, 14)));
  });

  it('sends a protected answer longer than the outer Le in parts (61xx, GET RESPONSE)', async () => {
    const t = await bacTerminal();
    const dg13 = fromBase64(valid.dump.dg13!);
    await t.send(0xa4, 2, 0x0c, fromHex('010D'));
    // Inner Le 256 in a short APDU: 256 bytes of data need ~280 protected bytes.
    const r = await t.send(0xb0, 0, 0, undefined, 256);
    expect(r.getResponses).toBeGreaterThan(0);
    expect(r.sw).toBe(0x9000);
    expect(hex(r.data)).toBe(hex(dg13.subarray(0, 256)));
    expect(t.card.stats.getResponses).toBe(r.getResponses);
  });

  it('reads at most maxLe bytes per READ BINARY, and answers 6282 at the end of a file when told to', async () => {
    const t = await bacTerminal({ maxLe: 0x20, eofWarning: true });
    await t.send(0xa4, 2, 0x0c, fromHex('011E'));
    const r = await t.send(0xb0, 0, 0, undefined, 0x80);
    const com = fromBase64(valid.dump.com!);
    expect(r.data.length).toBe(Math.min(0x20, com.length));
    const tail = await t.send(0xb0, 0, 0x10, undefined, 0x40);
    expect(tail.sw).toBe(0x6282);
    expect(hex(tail.data)).toBe(hex(com.subarray(0x10)));
    expect((await t.send(0xb0, 0x7f, 0, undefined, 1)).sw).toBe(0x6b00);
  });
});

describe('virtual card — faults', () => {
  it('6700 and 6Cxx above a Le threshold, protected like any answer', async () => {
    const t = await bacTerminal({ faults: { wrongLengthAbove: 0x60 } });
    await t.send(0xa4, 2, 0x0c, fromHex('0101'));
    expect((await t.send(0xb0, 0, 0, undefined, 0x61)).sw).toBe(0x6700);
    expect((await t.send(0xb0, 0, 0, undefined, 0x60)).sw).toBe(0x9000);
    const u = await bacTerminal({ faults: { correctLengthAbove: 0xa0 } });
    await u.send(0xa4, 2, 0x0c, fromHex('010D'));
    expect((await u.send(0xb0, 0, 0, undefined, 0xdf)).sw).toBe(0x6ca0);
    expect((await u.send(0xb0, 0, 0, undefined, 0xa0)).data.length).toBe(0xa0);
  });

  it('loses the tag after N APDUs: transceive rejects until the card is back in the field, the session gone', async () => {
    const card = cardOf({ faults: { dropAfterApdus: 3 } });
    for (let i = 0; i < 3; i++)
      expect(sw(await card.transceive(apdu(0, 0xb0, 0x9c, 0, undefined, 4)))).toBe(0x9000);
    await expect(card.transceive(apdu(0, 0xb0, 0x9c, 0, undefined, 4))).rejects.toBeInstanceOf(TagLostError);
    await expect(card.transceive(apdu(0, 0xb0, 0x9c, 0, undefined, 4))).rejects.toThrow(
      /tag connection lost/,
    );
    card.reset();
    expect(sw(await card.transceive(apdu(0, 0xb0, 0x9c, 0, undefined, 4)))).toBe(0x9000);
    // Out of the field the card receives nothing: 3 answered, 1 lost, 1 after the re-tap.
    expect(card.stats.apdus).toBe(5);
  });

  it('a bad response MAC at APDU N: the terminal sees a MAC it cannot check', async () => {
    // APDUs 1–3 are SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE; 4 is the first protected one.
    const t = await bacTerminal({ faults: { badResponseMacAt: 5 } });
    await t.send(0xa4, 2, 0x0c, fromHex('011E'));
    await expect(t.send(0xb0, 0, 0, undefined, 4)).rejects.toThrow('response MAC wrong');
  });

  it('wrongKeyAlways: the right MRZ key fails, and the card counts every attempt; a power cycle keeps the count', async () => {
    const card = cardOf({ faults: { wrongKeyAlways: true } });
    const t = new Terminal(card);
    expect(await t.bac(mrz)).toBe(0x6300);
    expect(await t.bac(mrz)).toBe(0x6300);
    card.reset();
    expect(card.stats.failedAccessAttempts).toBe(2);
  });

  it('a retry counter answers 63Cx, then blocks (6983)', async () => {
    const card = cardOf({ retryCounter: 2 });
    const t = new Terminal(card);
    const wrong = `${mrz.slice(0, 10)}000000${mrz.slice(16)}`;
    expect(await t.bac(wrong)).toBe(0x63c1);
    expect(await t.bac(wrong)).toBe(0x63c0);
    expect(await t.bac(mrz)).toBe(0x6983);
  });
});

describe('virtual card — Chip and Active Authentication', () => {
  it('Chip Authentication (MSE:Set AT + GENERAL AUTHENTICATE) switches to new AES keys with the DG14 key', async () => {
    const t = await bacTerminal();
    const sk = fromHex('3f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8');
    const pkPcd = p256.getPublicKey(sk, false);
    const set = await t.send(
      0x22,
      0x41,
      0xa4,
      tlv(0x80, oid(SANDBOX_OID.idCA_ECDH_AES_CBC_CMAC_128).subarray(2)),
    );
    expect(set.sw).toBe(0x9000);
    const ga = await t.send(0x86, 0, 0, concat(Uint8Array.of(0x7c, 0x43, 0x80, 0x41), pkPcd), 256);
    expect(ga.sw).toBe(0x9000);
    expect(hex(ga.data)).toBe('7C00');
    // The terminal's side of the key agreement, with the CA public key DG14 announces.
    const shared = p256.getSharedSecret(sk, valid.caPrivateKey.publicPoint).subarray(1);
    t.keys = { cipher: 'AES-128', ksEnc: kdf(shared, 1, 'AES-128'), ksMac: kdf(shared, 2, 'AES-128') };
    t.ssc = new Uint8Array(16);
    expect(hex(await readAll(t, 0x0101))).toBe(hex(fromBase64(valid.dump.dg1)));
    expect(t.card.stats.chipAuthentications).toBe(1);
  });

  it('refuses Chip Authentication with an off-curve key (6A80) and in plain (6982)', async () => {
    const t = await bacTerminal();
    await t.send(0x22, 0x41, 0xa4, tlv(0x80, oid(SANDBOX_OID.idCA_ECDH_AES_CBC_CMAC_128).subarray(2)));
    const bad = new Uint8Array(65).fill(7);
    bad[0] = 4;
    expect((await t.send(0x86, 0, 0, concat(Uint8Array.of(0x7c, 0x43, 0x80, 0x41), bad), 256)).sw).toBe(
      0x6a80,
    );
    expect(sw(await t.raw(apdu(0, 0x22, 0x41, 0xa4, fromHex('800A04007F00070202030202'))))).toBe(0x6982);
  });

  it("INTERNAL AUTHENTICATE answers with the card's AA key, only under secure messaging", async () => {
    const challenge = fromHex('0102030405060708');
    const t = await bacTerminal();
    const r = await t.send(0x88, 0, 0, challenge, 256);
    expect(r.sw).toBe(0x9000);
    // ECDSA signatures are deterministic (RFC 6979): the chip object gives the same bytes.
    expect(hex(r.data)).toBe(hex(await valid.chip!.internalAuthenticate(challenge)));
    expect(sw(await t.raw(apdu(0, 0x88, 0, 0, challenge, 0)))).toBe(0x6982);
    const noAA = await bacTerminal({}, await makeCard({ profile: 'no-aa', seed: 1 }));
    expect((await noAA.send(0x88, 0, 0, challenge, 256)).sw).toBe(0x6d00);
  });
});

describe('virtualCardFor', () => {
  it("is the card `chipid sandbox card --profile <p> --seed <n>` writes, its CAN the id's last 6 digits", async () => {
    const chip = await virtualCardFor('valid-rsa', 5);
    const card = await makeCard({ profile: 'valid-rsa', seed: '5' });
    expect(chip.sandboxCard!.dump).toEqual(card.dump);
    expect(chip.sandboxCard!.citizen.idNumber.slice(-6)).toMatch(/^\d{6}$/);
  });

  it('is deterministic with the seed: the same nonces on every run', async () => {
    const a = await virtualCardFor('valid', 9);
    const b = await virtualCardFor('valid', 9);
    const c = await virtualCardFor('valid', 10);
    const challenge = apdu(0, 0x84, 0, 0, undefined, 8);
    const [ra, rb, rc] = [
      await a.transceive(challenge),
      await b.transceive(challenge),
      await c.transceive(challenge),
    ];
    expect(hex(ra)).toBe(hex(rb));
    expect(hex(ra)).not.toBe(hex(rc));
  });
});
