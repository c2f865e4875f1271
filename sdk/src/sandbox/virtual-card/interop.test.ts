/**
 * The virtual card against the SDK reader's access protocols (sdk/src/reader: PACE, BAC, secure
 * messaging — written apart from the card): every PACE mapping × domain × cipher the card offers opens
 * a session in which a protected read returns the dump's bytes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSecurityInfos } from '../../icao/dg14.ts';
import { fromBase64, toHex } from '../../lib/bytes.ts';
import { performBAC } from '../../reader/bac.ts';
import { paceProtocols, performPACE, verifyCAM } from '../../reader/pace.ts';
import { SecureChannel } from '../../reader/sm.ts';
import { PlainChannel } from '../../reader/transport.ts';
import { makeCard, type SandboxCard } from '../factory.ts';
import { createRandom } from '../random.ts';
import { mrzInformationFromDG1, type PACEOption, virtualCard } from './index.ts';

let card: SandboxCard;
let can: string;
beforeAll(async () => {
  card = await makeCard({ profile: 'valid', seed: 3 });
  can = card.citizen.idNumber.slice(-6);
});

/** The reader's randomness, seeded (nonces, ephemeral keys). */
const terminalRandom = () => {
  const r = createRandom('terminal').fork('interop');
  return (n: number) => r.bytes(n);
};

/** PACE with the card's CAN (or MRZ), then DG1 read under the session. */
async function paceRead(option: PACEOption | undefined, password: 'can' | 'mrz' = 'can') {
  const chip = virtualCard(card, { seed: 3, profile: 'pace-gm', ...(option ? { pace: option } : {}) });
  const ch = new PlainChannel(chip);
  const access = await ch.send({ cla: 0, ins: 0xb0, p1: 0x9c, p2: 0, ne: 256 });
  expect(access.sw).toBe(0x9000);
  const [protocol] = paceProtocols(parseSecurityInfos(access.data));
  expect(protocol).toBeDefined();
  const result = await performPACE(
    ch,
    protocol!,
    password === 'can'
      ? { kind: 'can', can }
      : { kind: 'mrz', mrzInformation: mrzInformationFromDG1(fromBase64(card.dump.dg1)) },
    terminalRandom(),
  );
  const sm = new SecureChannel(ch, result.keys, result.ssc);
  expect((await sm.send({ cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data: fromHex7() })).sw).toBe(0x9000);
  const dg1 = await sm.send({ cla: 0, ins: 0xb0, p1: 0x81, p2: 0, ne: 0xdf });
  expect(dg1.sw).toBe(0x9000);
  expect(toHex(dg1.data)).toBe(toHex(fromBase64(card.dump.dg1)));
  expect(chip.session?.accessControl).toBe('pace');
  return { chip, result, protocol: protocol! };
}

const fromHex7 = () => Uint8Array.of(0xa0, 0, 0, 2, 0x47, 0x10, 0x01);

describe("interop: the card against the reader's PACE", () => {
  const curves = [
    'P-256',
    'P-384',
    'P-521',
    'brainpoolP256r1',
    'brainpoolP320r1',
    'brainpoolP384r1',
    'brainpoolP512r1',
  ] as const;
  const ciphers = ['3DES', 'AES-128', 'AES-192', 'AES-256'] as const;

  for (const curve of curves)
    it(`ECDH-GM on ${curve}, AES-128`, async () => {
      const { protocol } = await paceRead({ mapping: 'GM', curve, cipher: 'AES-128' });
      expect(protocol.mapping).toBe('GM');
    });
  for (const cipher of ciphers)
    it(`ECDH-GM on brainpoolP256r1, ${cipher}; ECDH-IM the same`, async () => {
      expect((await paceRead({ mapping: 'GM', curve: 'brainpoolP256r1', cipher })).chip.session?.cipher).toBe(
        cipher,
      );
      expect((await paceRead({ mapping: 'IM', curve: 'brainpoolP256r1', cipher })).protocol.mapping).toBe(
        'IM',
      );
    });
  for (const curve of curves)
    it(`ECDH-IM on ${curve}, AES-128`, async () => {
      expect((await paceRead({ mapping: 'IM', curve, cipher: 'AES-128' })).protocol.mapping).toBe('IM');
    });
  for (const group of ['MODP-1024-160', 'MODP-2048-224', 'MODP-2048-256'] as const)
    it(`DH-GM on ${group}, AES-128 and 3DES`, async () => {
      expect((await paceRead({ mapping: 'GM', curve: group, cipher: 'AES-128' })).protocol.agreement).toBe(
        'DH',
      );
      expect((await paceRead({ mapping: 'GM', curve: group, cipher: '3DES' })).chip.session?.cipher).toBe(
        '3DES',
      );
    });
  for (const cipher of ['AES-128', 'AES-192', 'AES-256'] as const)
    it(`ECDH-CAM on P-256, ${cipher}: the chip authentication data proves the DG14 key`, async () => {
      const { result } = await paceRead({ mapping: 'CAM', curve: 'P-256', cipher });
      expect(result.cam).toBeDefined();
      expect(verifyCAM(result.cam!, card.caPrivateKey.publicPoint)).toBe(true);
      const other = await makeCard({ profile: 'valid', seed: 4 });
      expect(verifyCAM(result.cam!, other.caPrivateKey.publicPoint)).toBe(false);
    });

  it('the MRZ password on a textbook chip; the CCCD set-up refuses it and the reader says so', async () => {
    await paceRead(undefined, 'mrz');
    const chip = virtualCard(card, { seed: 3 });
    const ch = new PlainChannel(chip);
    const access = await ch.send({ cla: 0, ins: 0xb0, p1: 0x9c, p2: 0, ne: 256 });
    const [protocol] = paceProtocols(parseSecurityInfos(access.data));
    await expect(
      performPACE(
        ch,
        protocol!,
        { kind: 'mrz', mrzInformation: mrzInformationFromDG1(fromBase64(card.dump.dg1)) },
        terminalRandom(),
      ),
    ).rejects.toMatchObject({ sw: 0x6982 });
  });

  it('a wrong CAN: the reader gets ERR_ACCESS_DENIED, the card counted exactly one failure', async () => {
    const chip = virtualCard(card, { seed: 3 });
    const ch = new PlainChannel(chip);
    const access = await ch.send({ cla: 0, ins: 0xb0, p1: 0x9c, p2: 0, ne: 256 });
    const [protocol] = paceProtocols(parseSecurityInfos(access.data));
    const wrong = can === '000000' ? '000001' : '000000';
    await expect(
      performPACE(ch, protocol!, { kind: 'can', can: wrong }, terminalRandom()),
    ).rejects.toMatchObject({
      code: 'ERR_ACCESS_DENIED',
    });
    expect(chip.stats.failedAccessAttempts).toBe(1);
  });

  it('BAC on the CCCD set-up with the MRZ key', async () => {
    const chip = virtualCard(card, { seed: 3 });
    const ch = new PlainChannel(chip);
    expect((await ch.send({ cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data: fromHex7() })).sw).toBe(0x9000);
    const keys = await performBAC(ch, mrzInformationFromDG1(fromBase64(card.dump.dg1)), terminalRandom());
    const sm = new SecureChannel(ch, keys.keys, keys.ssc);
    const com = await sm.send({ cla: 0, ins: 0xb0, p1: 0x9e, p2: 0, ne: 0xdf });
    expect(toHex(com.data)).toBe(toHex(fromBase64(card.dump.com!)));
    expect(chip.session).toEqual({ accessControl: 'bac', cipher: '3DES' });
  });
});
